"""The screening questions file at start-up: validated as a whole; a broken file stops the
bot with its report, and with the default path and no file the bot asks no questions."""

from __future__ import annotations

import logging

from bot.i18n import CLI_LANGUAGE, t
from bot.settings import ConfigError, Settings
from flows.screening import NO_QUESTIONS, ScreeningError, ScreeningPolicy, load

log = logging.getLogger(__name__)


def open_screening(settings: Settings) -> ScreeningPolicy:
    path = settings.screening_path
    explicit = "screening_path" in settings.model_fields_set
    if not path.exists() and not explicit:
        log.warning("no screening file at %s: no questions after the urgency", path)
        return NO_QUESTIONS
    try:
        policy = load(path)
    except ScreeningError as exc:
        raise ConfigError(t(CLI_LANGUAGE, "cli.screening.unusable", problem=exc)) from None
    log.info("screening questions loaded: %d", len(policy.questions))
    return policy

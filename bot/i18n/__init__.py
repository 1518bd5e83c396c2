"""Translation catalogs: every user-facing sentence, in French and English, as gettext .po
files read with Babel. Keys are stable ids such as 'consult.sent'; parameters use {name}."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from flows.vocabulary import DEFAULT_LANGUAGE, LANGUAGES

CATALOG_DIR = Path(__file__).parent


class MissingTranslation(KeyError):
    """A key absent from a catalog: a programming error caught by the catalog tests."""


@cache
def catalog(language: str) -> dict[str, str]:
    """All keys of one language's catalog."""
    with (CATALOG_DIR / f"{language}.po").open("rb") as handle:
        po = read_po(handle, locale=language)
    return {str(m.id): str(m.string) for m in po if m.id and isinstance(m.id, str)}


CLI_LANGUAGE = "cli"  # the CLI's language, whichever it is: t() reads it as cli_language()
CLI_LANGUAGES = ("en", "fr")
DEFAULT_CLI_LANGUAGE = "en"  # unless RELAIS_CLI_LANGUAGE says fr
_cli_language = [DEFAULT_CLI_LANGUAGE]


def cli_language() -> str:
    """The language the `relais` command speaks: RELAIS_CLI_LANGUAGE, read once at start-up
    (bot/cli.py), English until then."""
    return _cli_language[0]


def set_cli_language(language: str) -> None:
    """At the command's start-up only: the language chosen by RELAIS_CLI_LANGUAGE."""
    if language not in CLI_LANGUAGES:
        raise ValueError(f"not a CLI language: {language!r}")
    _cli_language[0] = language


def t(language: str | None, key: str, /, **params: object) -> str:
    """The sentence for key in that language (French when unknown; CLI_LANGUAGE: the CLI's
    language of the moment), with parameters filled."""
    if language == CLI_LANGUAGE:
        language = cli_language()
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    try:
        template = catalog(lang)[key]
    except KeyError:
        raise MissingTranslation(f"{key!r} missing from the {lang} catalog") from None
    return template.format(**params) if params else template


def both(key: str, /, **params: object) -> str:
    """French then English, for people whose language is not known yet."""
    return f"{t('fr', key, **params)}\n\n{t('en', key, **params)}"

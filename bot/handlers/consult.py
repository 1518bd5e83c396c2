"""The officer's side: any message opens a consultation (or goes to the open one), two taps
choose category and urgency, and the request goes out with the reference and how many
workers are available now. Never silence: every message gets an answer."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update
from telegram.ext import ContextTypes

from bot import render
from bot.handlers import escalation, resources
from bot.handlers.access import requires
from bot.handlers.offers import send_offer_cards
from bot.handlers.relay import message_kind, relay, shared_point
from bot.i18n import t
from bot.render import person_name
from bot.services import Services
from flows import consultations
from flows.consultations import ConsultationView, DraftStatus, RelayStatus, SubmitResult
from flows.people import PersonView
from flows.vocabulary import Category, Role, Tier, Urgency

log = logging.getLogger(__name__)


@requires(Role.OFFICER)
async def consult_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, officer: PersonView
) -> None:
    """/consult [words]: open a consultation explicitly."""
    existing = await services.run(
        consultations.open_consultation_of_officer, services.db, officer.id
    )
    if existing is not None:
        await services.sender.text(
            officer.chat_id, t(officer.language, "consult.already_open", ref=existing.reference)
        )
        return
    words = " ".join(context.args or [])
    c = await services.run(consultations.open_draft, services.db, officer.id, words, services.clock)
    await _prompt(services, officer, c)


async def on_officer_message(services: Services, officer: PersonView, message: Message) -> None:
    """Route what an officer sends: open a draft, add to it, queue it, or relay it."""
    kind = message_kind(message)
    if kind is None:
        await services.sender.text(officer.chat_id, t(officer.language, "relay.unsupported"))
        return
    route = await services.run(
        consultations.route_message, services.db, officer, message.chat_id, None
    )
    c = route.consultation
    if route.status == RelayStatus.NONE:
        c = await services.run(
            consultations.open_draft, services.db, officer.id, message.text or "", services.clock
        )
        log.info("opened consultation=%s officer=%s", c.id, officer.id)
        if kind != "text":
            await _queue(services, c, officer, message, kind)
        await _prompt(services, officer, c)
        return
    assert c is not None
    if route.status == RelayStatus.DRAFT:
        added = kind == "text" and await services.run(
            consultations.add_to_draft, services.db, officer.id, c.id, message.text or ""
        )
        if not added and not await _queue(services, c, officer, message, kind):
            await on_officer_message(services, officer, message)  # no longer a draft
            return
        await services.sender.text(
            officer.chat_id, t(officer.language, "consult.draft_kept", ref=c.reference)
        )
        await _prompt(services, officer, c)
        return
    if route.status == RelayStatus.QUEUE:
        if not await _queue(services, c, officer, message, kind):
            await on_officer_message(services, officer, message)  # accepted meanwhile: relay
            return
        await services.sender.text(
            officer.chat_id, t(officer.language, "consult.queued", ref=c.reference)
        )
        return
    assert route.recipient is not None
    if not await relay(services, c, officer, route.recipient, message):
        await services.sender.text(
            officer.chat_id,
            t(
                officer.language,
                "relay.failed",
                name=person_name(route.recipient),
                fallback=services.settings.fallback_line,
            ),
        )


async def _queue(
    services: Services, c: ConsultationView, officer: PersonView, message: Message, kind: str
) -> bool:
    """Keep the message for whoever accepts; False when the consultation moved on meanwhile."""
    if await services.run(
        consultations.already_taken_in, services.db, message.chat_id, message.message_id
    ):
        return True
    return await services.run(
        consultations.queue_message,
        services.db,
        c.id,
        officer.id,
        (message.chat_id, message.message_id),
        kind,
        message.text if kind == "text" else message.caption,
        services.clock,
        shared_point(message),
    )


async def _prompt(services: Services, officer: PersonView, c: ConsultationView) -> None:
    """Ask for whatever the draft still lacks: category first, then urgency."""
    prompt = (
        render.category_prompt(officer.language, c)
        if c.category is None
        else render.urgency_prompt(officer.language, c)
    )
    await services.sender.text(officer.chat_id, prompt.text, keyboard=prompt.keyboard)


async def on_category(
    services: Services, query: CallbackQuery, officer: PersonView, cid: int, category: Category
) -> None:
    """First tap: the category; the same message becomes the urgency question."""
    result = await services.run(
        consultations.set_category, services.db, officer.id, cid, category, services.clock
    )
    if result.status != DraftStatus.OK or result.consultation is None:
        await _stale(services, query, officer, result.status)
        return
    await services.sender.answer(query.id)
    prompt = render.urgency_prompt(officer.language, result.consultation)
    if query.message is not None:
        await services.sender.edit(
            officer.chat_id, query.message.message_id, prompt.text, keyboard=prompt.keyboard
        )


async def on_urgency(
    services: Services, query: CallbackQuery, officer: PersonView, cid: int, urgency: Urgency
) -> None:
    """Second tap: the request goes out to every available worker, or the fallback line."""
    result = await services.run(
        consultations.submit,
        services.db,
        officer.id,
        cid,
        urgency,
        services.clock,
        services.policy,
    )
    c = result.consultation
    if result.status != DraftStatus.OK or c is None:
        await _stale(services, query, officer, result.status)
        return
    await services.sender.answer(query.id)
    lang = officer.language
    if query.message is not None:
        await services.sender.edit(
            officer.chat_id, query.message.message_id, render.request_summary(lang, c)
        )
    await services.sender.text(officer.chat_id, _sent_text(services, officer, c, result))
    log.info("submitted consultation=%s tier=%s offers=%d", c.id, c.tier, len(result.offers))
    await send_offer_cards(services, c, result.offers)
    if result.next_due is not None:
        escalation.schedule(services, c.id, result.next_due)
    await resources.send_top_three(services, officer, c)


def _sent_text(
    services: Services, officer: PersonView, c: ConsultationView, result: SubmitResult
) -> str:
    """One line that says what happens next: how many can take it now, or where it went at
    once because nobody on shift was free, or the fallback."""
    lang = officer.language
    if c.tier >= Tier.FALLBACK:
        text = t(lang, "consult.nobody", ref=c.reference, fallback=services.settings.fallback_line)
        lines = resources.fallback_block(services, lang, None, None, services.clock())
        return f"{text}\n{lines}" if lines else text  # the directory's 24/7 crisis lines
    if c.tier == Tier.WIDER:
        return t(lang, "consult.sent_wider", ref=c.reference)
    if c.tier == Tier.SUPERVISORS:
        return t(lang, "consult.sent_supervisors", ref=c.reference)
    return t(lang, "consult.sent", ref=c.reference, count=result.available_now)


async def _stale(
    services: Services, query: CallbackQuery, officer: PersonView, status: DraftStatus
) -> None:
    key = "callback.stale" if status == DraftStatus.NO_LONGER_DRAFT else "callback.invalid"
    log.info("refused draft button status=%s officer=%s", status.value, officer.id)
    await services.sender.answer(query.id, t(officer.language, key), alert=True)

"""Offer cards: sending them to available workers, the Accept button (first press wins), and
editing every other card to say who took the consultation."""

from __future__ import annotations

import asyncio
import logging

from telegram import CallbackQuery

from bot import render
from bot.handlers.relay import brief_new_holder
from bot.i18n import t
from bot.render import person_name
from bot.services import Services
from flows import consultations
from flows.consultations import AcceptStatus, CardToEdit, ConsultationView, OfferTarget
from flows.people import PersonView
from flows.vocabulary import OfferState

log = logging.getLogger(__name__)


async def send_offer_cards(
    services: Services, consultation: ConsultationView, targets: list[OfferTarget]
) -> None:
    await asyncio.gather(*(send_offer_card(services, consultation, t_) for t_ in targets))


async def send_offer_card(
    services: Services, consultation: ConsultationView, target: OfferTarget
) -> None:
    """Send one card and remember where it is, so it can be edited when someone takes it."""
    worker = target.worker
    card = render.offer_card(
        worker.language, consultation, target.tier, target.at_capacity, target.window_ran_out
    )
    sent = await services.sender.text(worker.chat_id, card.text, keyboard=card.keyboard)
    if not sent:
        log.warning(
            "offer card not delivered consultation=%s worker=%s", consultation.id, worker.id
        )
        return
    state = await services.run(
        consultations.record_offer_message, services.db, target.offer_id, worker.chat_id, sent[-1]
    )
    log.info("offered consultation=%s worker=%s tier=%s", consultation.id, worker.id, target.tier)
    if state not in (None, OfferState.OPEN):
        await _fix_settled_card(services, consultation.id, worker, sent[-1])


async def _fix_settled_card(
    services: Services, consultation_id: int, worker: PersonView, message_id: int
) -> None:
    """The case was taken or closed while this card was on its way: say so on the card."""
    c = await services.run(consultations.get_view, services.db, consultation_id)
    if c is None:
        return
    lang = worker.language
    if c.worker is not None and c.worker.id == worker.id:
        card = render.offer_mine_card(lang, c)
    elif c.worker is not None:
        card = render.offer_taken_card(lang, c, person_name(c.worker))
    else:
        card = render.offer_withdrawn_card(lang, c)
    await services.sender.edit(worker.chat_id, message_id, card.text)


async def send_pending_offers(services: Services, worker_id: int) -> None:
    """Someone became available or freed capacity: offer them what is waiting, most urgent
    first, so a queued consultation is offered again the moment anyone can take it."""
    pending = await services.run(
        consultations.offer_waiting_to, services.db, worker_id, services.clock, services.policy
    )
    for item in pending:
        await send_offer_card(services, item.consultation, item.target)


async def on_accept(
    services: Services, query: CallbackQuery, worker: PersonView, consultation_id: int
) -> None:
    """Accept button: claim atomically, then tell the officer, the winner and the others."""
    result = await services.run(
        consultations.accept,
        services.db,
        worker.id,
        consultation_id,
        services.clock,
        services.policy,
    )
    lang = worker.language
    c = result.consultation
    if result.status == AcceptStatus.NOT_OFFERED or c is None:
        log.info("refused accept worker=%s consultation=%s", worker.id, consultation_id)
        await services.sender.answer(query.id, t(lang, "callback.invalid"), alert=True)
        return
    if result.status != AcceptStatus.ACCEPTED:
        await _answer_refused_accept(services, query, worker, result.status, c)
        return
    log.info("accepted consultation=%s worker=%s", c.id, worker.id)
    await services.sender.answer(query.id, t(lang, "accept.ok", ref=c.reference))
    if query.message is not None:
        mine = render.offer_mine_card(lang, c)
        await services.sender.edit(worker.chat_id, query.message.message_id, mine.text)
    officer = c.officer
    intro = t(lang, "accept.intro", ref=c.reference, officer=person_name(officer))
    intro_ids = await services.sender.text(worker.chat_id, intro)
    await services.run(
        consultations.link_messages, services.db, c.id, worker.chat_id, intro_ids, services.clock
    )
    await brief_new_holder(services, c, worker, result.history, result.queued_messages)
    await services.sender.text(
        officer.chat_id,
        t(officer.language, "consult.accepted", ref=c.reference, worker=person_name(worker)),
    )
    await mark_cards_taken(services, c, result.other_cards, person_name(worker))


async def mark_cards_taken(
    services: Services, c: ConsultationView, cards: list[CardToEdit], taker: str
) -> None:
    """Every other offer card of the consultation now says who has it (and loses its buttons)."""
    await asyncio.gather(
        *(
            services.sender.edit(
                card.chat_id,
                card.message_id,
                render.offer_taken_card(card.worker.language, c, taker).text,
            )
            for card in cards
        )
    )


async def _answer_refused_accept(
    services: Services,
    query: CallbackQuery,
    worker: PersonView,
    status: AcceptStatus,
    c: ConsultationView,
) -> None:
    lang = worker.language
    if status == AcceptStatus.AT_CAPACITY:
        await services.sender.answer(query.id, t(lang, "accept.at_capacity"), alert=True)
        return
    if status == AcceptStatus.ALREADY_YOURS:
        await services.sender.answer(query.id, t(lang, "accept.already_yours", ref=c.reference))
        return
    if status == AcceptStatus.TAKEN:
        taker = person_name(c.worker)
        await services.sender.answer(query.id, t(lang, "accept.taken", worker=taker), alert=True)
        card = render.offer_taken_card(lang, c, taker)
    else:
        await services.sender.answer(query.id, t(lang, "accept.closed"), alert=True)
        card = render.offer_withdrawn_card(lang, c)
    if query.message is not None:  # a card sent before the claim was recorded: fix it now
        await services.sender.edit(worker.chat_id, query.message.message_id, card.text)

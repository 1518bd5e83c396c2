"""Offer cards: sending them to available workers, the Accept button (first press wins), and
editing every other card to say who took the consultation."""

from __future__ import annotations

import logging

from telegram import CallbackQuery

from bot import callbacks, render
from bot.render import answers, person_name
from bot.services import Services
from flows import consultations, offers
from flows.consultations import AcceptStatus
from flows.people import PersonView
from flows.views import ConsultationView

log = logging.getLogger(__name__)


async def send_pending_offers(services: Services, worker_id: int) -> None:
    """Someone became available or freed capacity: offer them what is waiting, most urgent
    first, so a queued consultation is offered again the moment anyone can take it."""
    await services.act(offers.offer_waiting_to, worker_id, services.policy)


@callbacks.ACCEPT.handles
async def on_accept(
    services: Services, query: CallbackQuery, worker: PersonView, consultation_id: int
) -> None:
    """Accept button: one use case claims the case and records every notice it causes (the
    card, the introduction, the briefing, the officer, the other cards); here only the
    answer to the press."""
    card = query.message.message_id if query.message is not None else None
    result = await services.act(
        consultations.accept, worker.id, consultation_id, services.policy, card
    )
    c = result.consultation
    answer = answers.accept(worker.language, result.status, c)
    await services.sender.answer(query.id, answer.text, alert=answer.alert)
    if result.status == AcceptStatus.NOT_OFFERED or c is None:
        log.info("refused accept worker=%s consultation=%s", worker.id, consultation_id)
        return
    if result.status == AcceptStatus.ACCEPTED:
        log.info("accepted consultation=%s worker=%s", c.id, worker.id)
        return
    await _fix_refused_card(services, query, worker, result.status, c)


async def _fix_refused_card(
    services: Services,
    query: CallbackQuery,
    worker: PersonView,
    status: AcceptStatus,
    c: ConsultationView,
) -> None:
    """The press came to nothing: a card still offering the case says why. A case taken
    then closed keeps naming who took it (its last holder, in the use case's answer): only
    one closed before anyone accepted reads as withdrawn."""
    lang = worker.language
    if status in (AcceptStatus.AT_CAPACITY, AcceptStatus.ALREADY_YOURS):
        return
    if c.worker is None:
        card = render.offer_withdrawn_card(lang, c)
    elif c.worker.id == worker.id:  # theirs, closed since
        card = render.offer_mine_card(lang, c)
    else:
        card = render.offer_taken_card(lang, c, person_name(c.worker))
    if query.message is not None:  # a card sent before the claim was recorded: fix it now
        await services.sender.edit(worker.chat_id, query.message.message_id, card.text)

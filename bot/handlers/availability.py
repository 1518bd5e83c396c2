"""Workers say when they can take consultations: /on, /off, /status (supervisors use /status
too, for what they hold). /on and /off override the roster until the worker's next shift
change. Going on picks up whatever is waiting; going off with consultations in hand asks to
transfer or close each one."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import render
from bot.handlers.access import requires
from bot.handlers.offers import send_pending_offers
from bot.i18n import t
from bot.render import person_name
from bot.services import Services
from flows import consultations, people
from flows.people import PersonView
from flows.vocabulary import Presence, Role


@requires(Role.WORKER)
async def go_on(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/on: available now; every consultation still waiting is offered at once."""
    updated = await services.run(
        people.set_presence, services.db, person.id, Presence.ON, services.clock, services.policy
    )
    await services.sender.text(person.chat_id, _with_until(updated, "availability.on", services))
    await send_pending_offers(services, person.id)


@requires(Role.WORKER)
async def go_off(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/off: no new offers; consultations in hand must be transferred or closed."""
    updated = await services.run(
        people.set_presence, services.db, person.id, Presence.OFF, services.clock, services.policy
    )
    await services.sender.text(person.chat_id, _with_until(updated, "availability.off", services))
    active = await services.run(consultations.active_of_worker, services.db, person.id)
    if active:
        choice = render.still_active_choice(person.language, active)
        await services.sender.text(person.chat_id, choice.text, keyboard=choice.keyboard)


@requires(Role.WORKER, Role.SUPERVISOR)
async def status(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/status: the consultations in hand and, for a worker, available or not (a supervisor
    is offered requests by escalation, not by availability)."""
    lang = person.language
    active = await services.run(consultations.active_of_worker, services.db, person.id)
    refs = ", ".join(f"{c.reference} ({person_name(c.officer)})" for c in active)
    if not active:
        held = t(lang, "availability.none_active")
    elif person.role == Role.SUPERVISOR:
        held = t(lang, "availability.held", refs=refs, count=len(active))
    else:
        capacity = person.capacity or services.policy.capacity
        held = t(lang, "availability.active", refs=refs, count=len(active), capacity=capacity)
    if person.role == Role.SUPERVISOR:
        await services.sender.text(person.chat_id, held)
        return
    available = await services.run(
        people.is_available, services.db, person.id, services.clock, services.policy
    )
    text = t(lang, "availability.status_on" if available else "availability.status_off")
    await services.sender.text(person.chat_id, text + "\n" + held)


def _with_until(person: PersonView, key: str, services: Services) -> str:
    text = t(person.language, key)
    if person.presence_until is not None:
        shown = render.local_time(person.presence_until, services.settings.zone)
        text += " " + t(person.language, "availability.until", until=shown)
    return text

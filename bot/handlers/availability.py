"""Workers say when they can take consultations: /on, /off, /status. Going on picks up
whatever is still waiting in the queue."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.access import requires
from bot.handlers.offers import send_offer_card
from bot.i18n import t
from bot.services import Services
from flows import consultations, people
from flows.people import PersonView
from flows.vocabulary import Role


@requires(Role.WORKER)
async def go_on(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/on: available now; every consultation still waiting is offered at once."""
    await services.run(people.set_available, services.db, person.id, True)
    await services.sender.text(person.chat_id, t(person.language, "availability.on"))
    pending = await services.run(
        consultations.offer_waiting_to, services.db, person.id, services.clock
    )
    for item in pending:
        await send_offer_card(services, item.consultation, item.target)


@requires(Role.WORKER)
async def go_off(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/off: no new offers; active consultations stay with the worker until closed."""
    await services.run(people.set_available, services.db, person.id, False)
    text = t(person.language, "availability.off")
    active = await services.run(consultations.active_of_worker, services.db, person.id)
    if active:
        refs = ", ".join(c.reference for c in active)
        text += "\n" + t(person.language, "availability.still_active", refs=refs)
    await services.sender.text(person.chat_id, text)


@requires(Role.WORKER)
async def status(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/status: available or not, and the consultations in hand."""
    key = "availability.status_on" if person.available else "availability.status_off"
    text = t(person.language, key)
    active = await services.run(consultations.active_of_worker, services.db, person.id)
    refs = ", ".join(f"{c.reference} ({c.officer.display_name})" for c in active)
    text += "\n" + (
        t(person.language, "availability.active", refs=refs)
        if active
        else t(person.language, "availability.none_active")
    )
    await services.sender.text(person.chat_id, text)

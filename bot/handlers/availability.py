"""Workers say when they can take consultations: /on, /off, /status (supervisors use /status
too, for what they hold). /on and /off override the roster until the worker's next shift
change. Going on picks up whatever is waiting; going off with consultations in hand asks to
transfer or close each one, and a request offered to them alone moves on at once
(flows/availability.py)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import render
from bot.handlers.access import requires
from bot.jobs.escalation import run_due
from bot.services import Services
from flows import availability
from flows.people import PersonView
from flows.vocabulary import Role


@requires(Role.WORKER)
async def go_on(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/on: available now; every consultation still waiting is offered at once."""
    await services.act(availability.go_on, person.id, services.policy)


@requires(Role.WORKER)
async def go_off(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/off: no new offers; a request offered to them alone moves on now; consultations in
    hand must be transferred or closed."""
    gone = await services.act(availability.go_off, person.id, services.policy)
    if gone.escalate_now:
        await run_due(services)


@requires(Role.WORKER, Role.SUPERVISOR)
async def status(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/status: the consultations in hand and, for a worker, available or not (a supervisor
    is offered requests by escalation, not by availability)."""
    found = await services.run(
        availability.status_of, services.db, person.id, services.clock, services.policy
    )
    text = render.status_text(person.language, person.role, found)
    await services.sender.text(person.chat_id, text)

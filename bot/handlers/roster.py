"""Supervisors manage the roster from the bot: /shifts lists it, /shifts add and /shifts
remove change it (the same operations as `relais shifts`)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import render
from bot.handlers.access import requires
from bot.services import Services
from flows import availability, roster
from flows.people import PersonView
from flows.vocabulary import Role


@requires(Role.SUPERVISOR)
async def shifts_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, sup: PersonView
) -> None:
    """/shifts | /shifts add PERSON_ID DAYS HH:MM-HH:MM [oncall] | /shifts remove SHIFT_ID"""
    args = context.args or []
    if not args:
        shifts = await services.run(roster.list_shifts, services.db)
        await services.sender.text(sup.chat_id, render.roster_text(sup.language, shifts))
    elif args[0] == "add" and len(args) in (4, 5) and args[1].isdigit():
        on_call = args[4] if len(args) == 5 else None
        await services.act(availability.add_shifts, sup.id, int(args[1]), args[2], args[3], on_call)
    elif args[0] == "remove" and len(args) == 2 and args[1].isdigit():
        await services.act(availability.remove_shift, sup.id, int(args[1]))
    else:
        await services.sender.text(sup.chat_id, render.roster_usage(sup.language))

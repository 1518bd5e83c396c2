"""Supervisors manage the roster from the bot: /shifts lists it, /shifts add and /shifts
remove change it (the same operations as `relais shifts`)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.access import requires
from bot.i18n import t
from bot.services import Services
from flows import roster
from flows.people import PersonView
from flows.roster import RosterError, ShiftView
from flows.vocabulary import Role


@requires(Role.SUPERVISOR)
async def shifts_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, sup: PersonView
) -> None:
    """/shifts | /shifts add PERSON_ID DAYS HH:MM-HH:MM [oncall] | /shifts remove SHIFT_ID"""
    args = context.args or []
    lang = sup.language
    try:
        if not args:
            shifts = await services.run(roster.list_shifts, services.db)
            await services.sender.text(sup.chat_id, roster_text(lang, shifts))
            return
        if args[0] == "add" and len(args) in (4, 5) and args[1].isdigit():
            on_call = len(args) == 5 and args[4].lower() in ("oncall", "garde", "on-call")
            if len(args) == 5 and not on_call:
                raise RosterError(args[4])
            added = await services.run(
                roster.add_shifts,
                services.db,
                int(args[1]),
                args[2],
                args[3],
                on_call,
                services.clock,
            )
            await services.sender.text(sup.chat_id, roster_text(lang, added, "roster.added"))
            return
        if args[0] == "remove" and len(args) == 2 and args[1].isdigit():
            removed = await services.run(roster.remove_shift, services.db, int(args[1]))
            key = "roster.removed" if removed else "roster.no_such_shift"
            await services.sender.text(sup.chat_id, t(lang, key, id=args[1]))
            return
    except RosterError as exc:
        await services.sender.text(sup.chat_id, t(lang, "roster.invalid", problem=str(exc)))
        return
    await services.sender.text(sup.chat_id, t(lang, "roster.usage"))


def roster_text(lang: str, shifts: list[ShiftView], title: str = "roster.title") -> str:
    if not shifts:
        return t(lang, "roster.empty")
    lines = [t(lang, title)]
    for s in shifts:
        key = "roster.line_on_call" if s.on_call else "roster.line"
        lines.append(
            t(
                lang,
                key,
                id=s.id,
                day=t(lang, f"day.{s.day}"),
                starts=s.starts,
                ends=s.ends,
                name=s.person_name,
                person=s.person_id,
            )
        )
    return "\n".join(lines)

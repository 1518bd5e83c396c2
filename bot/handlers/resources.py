"""/resources, /reload and the directory's buttons: search in a few taps (words, category
buttons, nearest first after a shared location), details, paging, a worker sending a card
to the officer of a consultation, and the officer's top three when a request goes out."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from telegram import CallbackQuery, Location, Update
from telegram.ext import ContextTypes

from bot.directory import memory
from bot.handlers.access import requires
from bot.i18n import t
from bot.render import resources as resource_cards
from bot.services import Services
from flows import consultations, referrals
from flows.directory import (
    CATEGORIES,
    Query,
    distance_km,
    fallback_resources,
    read_query,
    search,
    top_for_category,
)
from flows.directory.search import PAGE
from flows.people import PersonView
from flows.views import ConsultationView
from flows.vocabulary import Role

log = logging.getLogger(__name__)

ALL_ROLES = (Role.OFFICER, Role.WORKER, Role.SUPERVISOR)


@requires(*ALL_ROLES)
async def resources_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/resources [words]: search; without words, category buttons."""
    if not services.directory.current.resources:
        await _empty(services, person)
        return
    words = " ".join(context.args or []).strip()
    if not words:
        prompt = resource_cards.categories_prompt(person.language)
        await services.sender.text(person.chat_id, prompt.text, keyboard=prompt.keyboard)
        return
    await _first_page(services, person, read_query(words))  # "open now", an age, women...


async def _first_page(services: Services, person: PersonView, query: Query) -> None:
    now = services.clock()
    near = memory.location(person.id, now)
    if near is not None and query.near is None:
        query = replace(query, near=near)
    memory.searched(person.id, query, now)
    await _send_page(services, person, query, 0)


async def _send_page(services: Services, person: PersonView, query: Query, offset: int) -> None:
    directory = services.directory.current
    result = await services.run(search, directory, query, services.clock(), offset, PAGE)
    key = memory.save(person.id, query)
    title = "resources.title_near" if query.near and offset == 0 else None
    if title is None and not query.words:
        title = "resources.title"  # a category: its label, not quoted words
    lang = person.language
    if query.words:
        words = query.words
    elif query.category:
        words = resource_cards.category_label(lang, query.category)
    else:  # only filters were typed ("/resources ouvert")
        words = t(lang, "resources.all_services")
    rendered = resource_cards.page(lang, result, key, words, title, query.open_now)
    log.info("resources search person=%s total=%d offset=%d", person.id, result.total, offset)
    await services.sender.text(person.chat_id, rendered.text, keyboard=rendered.keyboard)


async def on_browse(
    services: Services, query: CallbackQuery, person: PersonView, index: int
) -> None:
    """A category button: all its resources, in the file's order of priority."""
    await services.sender.answer(query.id)
    await _first_page(services, person, Query(category=CATEGORIES[index]))


async def on_open_now(
    services: Services, query: CallbackQuery, person: PersonView, search_id: int, only: bool
) -> None:
    """The "Open now" / "Open or not" button: the same search again, from its first page."""
    saved = memory.search(search_id, person.id)
    if saved is None:
        await services.sender.answer(query.id, t(person.language, "resources.expired"), alert=True)
        return
    await services.sender.answer(query.id)
    again = replace(saved.query, open_now=only)
    memory.searched(person.id, again, services.clock())
    await _send_page(services, person, again, 0)


async def on_more(
    services: Services, query: CallbackQuery, person: PersonView, search_id: int, offset: int
) -> None:
    saved = memory.search(search_id, person.id)
    if saved is None:
        await services.sender.answer(query.id, t(person.language, "resources.expired"), alert=True)
        return
    await services.sender.answer(query.id)
    await _send_page(services, person, saved.query, offset)


async def on_details(
    services: Services, query: CallbackQuery, person: PersonView, position: int, checksum: int
) -> None:
    directory = services.directory.current
    resource = directory.at(position, checksum)
    if resource is None:
        await services.sender.answer(query.id, t(person.language, "resources.gone"), alert=True)
        return
    await services.sender.answer(query.id)
    now = services.clock()
    near = memory.location(person.id, now)
    km = None
    if near is not None and resource.located:
        assert resource.latitude is not None and resource.longitude is not None
        km = distance_km(near[0], near[1], resource.latitude, resource.longitude)
    can_refer = False
    if person.role in (Role.WORKER, Role.SUPERVISOR):
        active = await services.run(consultations.active_of_worker, services.db, person.id)
        can_refer = bool(active)
    card = resource_cards.details(
        person.language, resource, now, services.settings.zone, km, position, can_refer
    )
    await services.sender.text(person.chat_id, card.text, keyboard=card.keyboard)


async def on_refer(
    services: Services, query: CallbackQuery, worker: PersonView, position: int, checksum: int
) -> None:
    """Send to officer: straight away with one active consultation, else ask which."""
    lang = worker.language
    resource = services.directory.current.at(position, checksum)
    if resource is None:
        await services.sender.answer(query.id, t(lang, "resources.gone"), alert=True)
        return
    active = await services.run(consultations.active_of_worker, services.db, worker.id)
    if not active:
        await services.sender.answer(query.id, t(lang, "resources.no_active"), alert=True)
        return
    await services.sender.answer(query.id)
    if len(active) == 1:
        await _refer(services, worker, active[0].id, resource.id)
        return
    token = memory.hold_referral(worker.id, resource.id)
    choice = resource_cards.consultation_choice(lang, resource.name.get(lang), active, token)
    await services.sender.text(worker.chat_id, choice.text, keyboard=choice.keyboard)


async def on_refer_to(
    services: Services, query: CallbackQuery, worker: PersonView, cid: int, token: int
) -> None:
    resource_id = memory.referral(token, worker.id)
    if resource_id is None:
        await services.sender.answer(query.id, t(worker.language, "resources.expired"), alert=True)
        return
    await services.sender.answer(query.id)
    await _refer(services, worker, cid, resource_id)


async def _refer(services: Services, worker: PersonView, cid: int, resource_id: str) -> None:
    directory = services.directory.current
    position = directory.position(resource_id)
    if position is None:
        await services.sender.text(worker.chat_id, t(worker.language, "resources.gone"))
        return
    resource = directory.resources[position]
    c = await services.run(
        referrals.refer, services.db, worker.id, cid, resource_id, services.clock
    )
    if c is None:
        await services.sender.text(worker.chat_id, t(worker.language, "callback.stale"))
        return
    officer = c.officer
    card = resource_cards.card_text(
        officer.language, resource, services.clock(), services.settings.zone
    )
    text = t(officer.language, "resources.received", ref=c.reference, worker=worker.display_name)
    await services.sender.text(officer.chat_id, f"{text}\n\n{card}")
    await services.sender.text(
        worker.chat_id,
        t(
            worker.language,
            "resources.sent",
            name=resource.name.get(worker.language),
            officer=officer.display_name,
            ref=c.reference,
        ),
    )
    log.info("referral consultation=%s resource=%s worker=%s", c.id, resource_id, worker.id)


async def on_location(services: Services, person: PersonView, location: Location) -> bool:
    """Remember a shared location; answer with the nearest results when the person searched
    moments ago. True when it answered."""
    now = services.clock()
    memory.remember_location(person.id, location.latitude, location.longitude, now)
    recent = memory.recent_search(person.id, now)
    if recent is None or not services.directory.current.resources:
        return False
    query = replace(recent, near=(location.latitude, location.longitude))
    memory.searched(person.id, query, now)
    await _send_page(services, person, query, 0)
    return True


async def has_open_consultation(services: Services, person: PersonView) -> bool:
    if person.role == Role.OFFICER:
        found = await services.run(
            consultations.open_consultation_of_officer, services.db, person.id
        )
        return found is not None
    return bool(await services.run(consultations.active_of_worker, services.db, person.id))


async def scene(services: Services, c: ConsultationView) -> tuple[float, float] | None:
    """Where the consultation happens: the location its officer shared in it, if any (a
    location shared for a search, or in another consultation, is not this scene)."""
    return await services.run(consultations.shared_location, services.db, c.id)


async def send_top_three(services: Services, officer: PersonView, c: ConsultationView) -> None:
    """Right after a request goes out: three resources open now for its category, nearest
    first when the officer shared a location in this consultation."""
    if c.category is None or not services.directory.current.resources:
        return
    near = await scene(services, c)
    hits = await services.run(
        top_for_category, services.directory.current, c.category.value, services.clock(), near
    )
    if hits:
        top = resource_cards.top_three(officer.language, c, hits)
        await services.sender.text(officer.chat_id, top.text, keyboard=top.keyboard)


def fallback_block(
    services: Services,
    lang: str,
    category: str | None,
    near: tuple[float, float] | None,
    now: datetime,
) -> str:
    """The crisis lines and open services (nearest to the consultation's scene first)
    added to the fallback message (may be empty)."""
    directory = services.directory.current
    if not directory.resources:
        return ""
    return resource_cards.fallback_lines(lang, fallback_resources(directory, category, now, near))


@requires(Role.SUPERVISOR)
async def reload_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/reload: read the file again; a broken file keeps the directory in use."""
    today = services.clock().astimezone(services.settings.zone).date()
    result = await services.run(services.directory.reload, today)
    lang = person.language
    if result.applied:
        text = t(
            lang,
            "resources.reload_ok",
            count=result.count,
            warnings=len(result.report.warnings),
        )
        if result.report.warnings:
            text += "\n" + result.report.text(10)
    else:
        text = t(
            lang,
            "resources.reload_failed",
            errors=len(result.report.errors),
            count=result.count,
            report=result.report.text(15),
        )
    log.info("directory reload by=%s applied=%s", person.id, result.applied)
    await services.sender.text(person.chat_id, text)


async def check_file(services: Services) -> None:
    """The periodic check: reload when the file changed; a broken file is logged and the
    directory in use is kept."""
    holder = services.directory
    if not await services.run(holder.changed):
        return
    today = services.clock().astimezone(services.settings.zone).date()
    result = await services.run(holder.reload, today)
    if result.applied:
        log.info("directory file changed: reloaded %d entries", result.count)
    else:
        log.warning(
            "directory file changed but has %d error(s); keeping the previous one",
            len(result.report.errors),
        )


def start(services: Services) -> None:
    """Start the periodic file-change check."""
    interval = timedelta(seconds=services.settings.directory_check_seconds)
    services.timers.every("directory:check", interval, lambda: check_file(services))


async def _empty(services: Services, person: PersonView) -> None:
    await services.sender.text(
        person.chat_id,
        t(person.language, "resources.empty", fallback=services.settings.fallback_line),
    )

"""/resources, /reload and the directory's buttons: search in a few taps (words, category
buttons, nearest first after a shared location), details, paging, and a worker sending a
card to the officer of a consultation (one use case, flows/referrals.py). Search pages are
reads: rendered by bot/render/resources.py and sent (or answered) from here."""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import CallbackQuery, Location, Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot.directory import memory
from bot.handlers.access import requires
from bot.i18n import t
from bot.render import resources as resource_cards
from bot.services import Services
from flows import referrals, views
from flows.directory import CATEGORIES, Query, distance_km, read_query, search
from flows.directory.search import PAGE
from flows.people import PersonView
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


async def _first_page(
    services: Services, person: PersonView, query: Query, asked: bool = False
) -> None:
    """A search's first page (nearest first with a recent location); asked: the bot asked
    for a location for it."""
    now = services.clock()
    near = memory.location(person.id, now)
    if near is not None and query.near is None:
        query = replace(query, near=near)
    memory.searched(person.id, query, now, asked)
    await _send_page(services, person, query, 0)


async def _send_page(services: Services, person: PersonView, query: Query, offset: int) -> None:
    directory = services.directory.current
    result = await services.run(search, directory, query, services.clock(), offset, PAGE)
    rendered = resource_cards.results(person.language, result, memory.save(person.id, query), query)
    log.info("resources search person=%s total=%d offset=%d", person.id, result.total, offset)
    await services.sender.text(person.chat_id, rendered.text, keyboard=rendered.keyboard)


@callbacks.BROWSE.handles
async def on_browse(
    services: Services, query: CallbackQuery, person: PersonView, index: int
) -> None:
    """A category button: all its resources, in the file's order of priority. The chooser
    asked for a location ("share your location to see the nearest"): one shared soon after
    answers this search."""
    await services.sender.answer(query.id)
    await _first_page(services, person, Query(category=CATEGORIES[index]), asked=True)


@callbacks.OPEN_NOW.handles
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
    now = services.clock()
    memory.searched(person.id, again, now, memory.asked(person.id, now))
    await _send_page(services, person, again, 0)


@callbacks.MORE.handles
async def on_more(
    services: Services, query: CallbackQuery, person: PersonView, search_id: int, offset: int
) -> None:
    saved = memory.search(search_id, person.id)
    if saved is None:
        await services.sender.answer(query.id, t(person.language, "resources.expired"), alert=True)
        return
    await services.sender.answer(query.id)
    await _send_page(services, person, saved.query, offset)


@callbacks.RESOURCE.handles
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
        active = await services.run(views.active_of_worker, services.db, person.id)
        can_refer = bool(active)
    card = resource_cards.details(
        person.language, resource, now, services.settings.zone, km, position, can_refer
    )
    await services.sender.text(person.chat_id, card.text, keyboard=card.keyboard)


@callbacks.REFER.handles
async def on_refer(
    services: Services, query: CallbackQuery, worker: PersonView, position: int, checksum: int
) -> None:
    """Send to officer: straight away with one active consultation, else ask which."""
    lang = worker.language
    resource = services.directory.current.at(position, checksum)
    if resource is None:
        await services.sender.answer(query.id, t(lang, "resources.gone"), alert=True)
        return
    active = await services.run(views.active_of_worker, services.db, worker.id)
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


@callbacks.REFER_TO.handles
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
    """One use case: the event, the officer's card and the worker's confirmation."""
    c = await services.act(
        referrals.refer,
        worker.id,
        cid,
        resource_id,
        services.directory.current,
        services.settings.zone.key,
    )
    if c is not None:
        log.info("referral consultation=%s resource=%s worker=%s", c.id, resource_id, worker.id)


async def on_location(services: Services, person: PersonView, location: Location) -> bool:
    """Remember a shared location; answer with the nearest results when the person searched
    moments ago (an officer: only when the bot asked for a location, since an officer's
    location is otherwise the scene of a request). Answers once. True when it answered."""
    now = services.clock()
    memory.remember_location(person.id, location.latitude, location.longitude, now)
    recent = memory.recent_search(person.id, now, asked_only=person.role == Role.OFFICER)
    if recent is None or not services.directory.current.resources:
        return False
    query = replace(recent, near=(location.latitude, location.longitude))
    memory.searched(person.id, query, now)  # answered: the next location is not for it
    await _send_page(services, person, query, 0)
    return True


async def location_for_search_only(services: Services, officer: PersonView) -> None:
    """An officer without a consultation: the location answered the search, no request was
    started, and the officer is told how to start one."""
    text = resource_cards.location_for_search(officer.language)
    await services.sender.text(officer.chat_id, text)


async def has_open_consultation(services: Services, person: PersonView) -> bool:
    if person.role == Role.OFFICER:
        found = await services.run(views.open_consultation_of_officer, services.db, person.id)
        return found is not None
    return bool(await services.run(views.active_of_worker, services.db, person.id))


@requires(Role.SUPERVISOR)
async def reload_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/reload: read the file again; a broken file keeps the directory in use."""
    today = services.clock().astimezone(services.settings.zone).date()
    result = await services.run(services.directory.reload, today)
    log.info("directory reload by=%s applied=%s", person.id, result.applied)
    await services.sender.text(person.chat_id, resource_cards.reloaded(person.language, result))


async def _empty(services: Services, person: PersonView) -> None:
    text = resource_cards.empty(person.language, services.settings.fallback_line)
    await services.sender.text(person.chat_id, text)

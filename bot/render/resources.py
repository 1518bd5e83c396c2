"""Directory results to text and keyboards: a compact page of five cards (number, name,
open or closed, distance, phone Telegram makes tappable), the full card, category buttons,
the officer's top three and the fallback lines. Plain text: no markup to escape."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from babel.numbers import format_decimal
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import t
from bot.render import Rendered
from flows.directory import (
    CATEGORIES,
    Fallback,
    Finding,
    Hit,
    Page,
    Query,
    Reload,
    Report,
    Resource,
)
from flows.directory.hours import DAYS, Hours
from flows.views import ConsultationView
from flows.vocabulary import Category

CONSULTATION_CATEGORIES = {c.value for c in Category}


def _km(lang: str, distance: float) -> str:
    """A distance to one decimal in the reader's format: "1,4" in French, "1.4" in English."""
    return format_decimal(round(distance, 1), format="0.0", locale=lang)


def category_label(lang: str, key: str) -> str:
    if key in CONSULTATION_CATEGORIES:
        return t(lang, f"category.{key}")
    return t(lang, f"resources.cat.{key}")


def phone_line(r: Resource) -> str:
    """The number alone on its segment so Telegram clients make it tap-to-call."""
    parts = []
    if r.phone:
        parts.append(f"☎ {r.phone}")
    if r.sms:
        parts.append(f"✉ {r.sms}")
    return "  ".join(parts)


def compact(lang: str, number: int, hit: Hit) -> str:
    r = hit.resource
    state = t(lang, "resources.open" if hit.open_now else "resources.closed")
    head = f"{number}. {r.name.get(lang)} · {state}"
    if hit.distance_km is not None:
        head += " · " + t(lang, "resources.km", km=_km(lang, hit.distance_km))
    if not r.verified:
        head += " · " + t(lang, "resources.unverified")
    line = phone_line(r)
    return f"{head}\n   {line}" if line else head


def page(
    lang: str,
    result: Page,
    search_id: int,
    words: str = "",
    title_key: str | None = None,
    only_open: bool = False,
) -> Rendered:
    """One page of results: ℹ buttons, then "Open now" (or "Open or not") and "More"."""
    toggle = InlineKeyboardButton(
        t(lang, "resources.all_button" if only_open else "resources.open_now_button"),
        callback_data=callbacks.open_now(search_id, not only_open),
    )
    if not result.hits:
        if only_open:  # something may be closed: one tap shows it
            none = t(lang, "resources.none_open", words=words or "—")
            return Rendered(none, InlineKeyboardMarkup([[toggle]]))
        return Rendered(t(lang, "resources.none", words=words or "—"))
    first, last = result.offset + 1, result.offset + len(result.hits)
    key = title_key or ("resources.title_words" if words else "resources.title")
    title = t(lang, key, words=words, first=first, last=last, total=result.total)
    if only_open:
        title += " " + t(lang, "resources.only_open")
    lines = [title] + [compact(lang, result.offset + i + 1, h) for i, h in enumerate(result.hits)]
    details = [
        InlineKeyboardButton(
            f"ℹ {result.offset + i + 1}",
            callback_data=callbacks.resource(h.position, h.resource.checksum),
        )
        for i, h in enumerate(result.hits)
    ]
    actions = [toggle]
    if result.more:
        more = t(lang, "resources.more_button")
        actions.append(InlineKeyboardButton(more, callback_data=callbacks.more(search_id, last)))
    return Rendered("\n\n".join(lines), InlineKeyboardMarkup([details, actions]))


def details(
    lang: str,
    r: Resource,
    now: datetime,
    zone: ZoneInfo,
    distance_km: float | None = None,
    position: int | None = None,
    can_refer: bool = False,
) -> Rendered:
    return Rendered(
        card_text(lang, r, now, zone, distance_km),
        InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        t(lang, "resources.send_button"),
                        callback_data=callbacks.refer(position, r.checksum),
                    )
                ]
            ]
        )
        if can_refer and position is not None
        else None,
    )


def card_text(
    lang: str, r: Resource, now: datetime, zone: ZoneInfo, distance_km: float | None = None
) -> str:
    state = t(lang, "resources.open" if r.hours.is_open(now) else "resources.closed")
    lines = [f"{r.name.get(lang)} · {state}"]
    if r.organization and r.organization not in (r.name.fr, r.name.en):
        lines.append(r.organization)
    lines.append(r.description.get(lang))
    if r.phone:
        lines.append(t(lang, "resources.phone", phone=r.phone))
    if r.sms:
        lines.append(t(lang, "resources.sms", sms=r.sms))
    if r.website:
        lines.append(r.website)
    if r.address:
        where = r.address
        if distance_km is not None:
            where += " · " + t(lang, "resources.km", km=_km(lang, distance_km))
        lines.append(t(lang, "resources.address", address=where))
    lines.append(t(lang, "resources.hours", hours=hours_text(lang, r.hours)))
    lines.append(t(lang, "resources.languages", languages=", ".join(r.languages)))
    if r.min_age is not None or r.max_age is not None:
        ages = f"{r.min_age if r.min_age is not None else 0}–{r.max_age or '…'}"
        lines.append(t(lang, "resources.ages", ages=ages))
    if r.referral:
        ways = ", ".join(t(lang, f"resources.referral.{w}") for w in r.referral)
        lines.append(t(lang, "resources.how", ways=ways))
    if r.capacity_note:
        at = (
            r.capacity_updated.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            if (r.capacity_updated)
            else "—"
        )
        lines.append(t(lang, "resources.capacity", note=r.capacity_note.get(lang), at=at))
    verification = verification_line(lang, r)
    if verification:
        lines.append(verification)
    return "\n".join(lines)


def hours_text(lang: str, hours: Hours) -> str:
    """'24/7', or the open days named in the reader's language: 'lun. 10:00-14:00 ; mar. …'."""
    if hours.always:
        return t(lang, "resources.hours_always")
    names = get_day_names("abbreviated", locale=lang)
    days = [
        t(lang, "resources.hours_day", day=names[i], spans=", ".join(hours.spans[d]))
        for i, d in enumerate(DAYS)
        if d in hours.spans
    ]
    return t(lang, "resources.hours_separator").join(days)


VERIFICATION_KEYS = {  # (verified, a date known, who known) -> key; None: say nothing
    (True, True, True): "resources.verified",
    (True, True, False): "resources.verified_on",
    (True, False, True): "resources.verified_by",
    (True, False, False): None,
    (False, True, True): "resources.not_verified",
    (False, True, False): "resources.not_verified_on",
    (False, False, True): "resources.not_verified_by",
    (False, False, False): "resources.not_verified_never",
}


def verification_line(lang: str, r: Resource) -> str | None:
    """When and by whom the entry was checked, saying only what the file tells; an entry
    marked unverified always says so."""
    date = r.last_verified.isoformat() if r.last_verified else ""
    key = VERIFICATION_KEYS[(r.verified, bool(date), bool(r.verified_by))]
    return t(lang, key, date=date, by=r.verified_by or "") if key else None


def categories_prompt(lang: str) -> Rendered:
    buttons = [
        InlineKeyboardButton(category_label(lang, key), callback_data=callbacks.browse(key))
        for key in CATEGORIES
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return Rendered(t(lang, "resources.choose_category"), InlineKeyboardMarkup(rows))


def consultation_choice(
    lang: str, name: str, active: list[ConsultationView], token: int
) -> Rendered:
    rows = [
        [
            InlineKeyboardButton(
                f"{c.reference} · {c.officer.display_name}",
                callback_data=callbacks.refer_to(c.id, token),
            )
        ]
        for c in active
    ]
    return Rendered(t(lang, "resources.choose_consultation", name=name), InlineKeyboardMarkup(rows))


def top_three(lang: str, c: ConsultationView, hits: list[Hit]) -> Rendered:
    lines = [t(lang, "resources.top_three", ref=c.reference)]
    lines += [compact(lang, i + 1, h) for i, h in enumerate(hits)]
    details = [
        InlineKeyboardButton(
            f"ℹ {i + 1}", callback_data=callbacks.resource(h.position, h.resource.checksum)
        )
        for i, h in enumerate(hits)
    ]
    return Rendered("\n\n".join(lines), InlineKeyboardMarkup([details]))


def fallback_lines(lang: str, fallback: Fallback) -> str:
    """One short block: the 24/7 lines, then what is open now for the category."""
    parts = [
        t(lang, "resources.fallback_phone", name=r.name.get(lang), phone=r.phone)
        for r in fallback.lines
        if r.phone
    ]
    for h in fallback.services:
        name, phone = h.resource.name.get(lang), h.resource.phone
        item = (
            t(lang, "resources.fallback_phone", name=name, phone=phone)
            if phone
            else t(lang, "resources.fallback_name", name=name)
        )
        if h.distance_km is not None:
            item += " (" + t(lang, "resources.km", km=_km(lang, h.distance_km)) + ")"
        parts.append(item)
    return "\n".join(parts)


def results(lang: str, result: Page, search_id: int, query: Query) -> Rendered:
    """One page of a search as the person asked it: the words they typed, or the category's
    label, or all services when they only typed filters; 'nearest' on a located first page."""
    title = "resources.title_near" if query.near and result.offset == 0 else None
    if title is None and not query.words:
        title = "resources.title"  # a category: its label, not quoted words
    if query.words:
        words = query.words
    elif query.category:
        words = category_label(lang, query.category)
    else:  # only filters were typed ("/resources ouvert")
        words = t(lang, "resources.all_services")
    return page(lang, result, search_id, words, title, query.open_now)


def location_for_search(lang: str) -> str:
    """A location that answered an officer's search, with no consultation open: no request
    was started by it, and how to start one."""
    return t(lang, "resources.location_for_search")


def empty(lang: str, fallback_line: str) -> str:
    """No directory loaded: the one line that always answers."""
    return t(lang, "resources.empty", fallback=fallback_line)


def reloaded(lang: str, reload: Reload) -> str:
    """/reload: how many resources are in use, and the report's first lines."""
    report = reload.report
    if reload.applied:
        text = t(lang, "resources.reload_ok", count=reload.count, warnings=len(report.warnings))
        return text + "\n" + report_text(lang, report, 10) if report.warnings else text
    return t(
        lang,
        "resources.reload_failed",
        errors=len(report.errors),
        count=reload.count,
        report=report_text(lang, report, 15),
    )


def report_text(lang: str, report: Report, limit: int | None = None) -> str:
    """Report.text in the reader's language: errors first, then warnings, one a line (cut
    after limit lines, saying so), then the counts."""
    ordered = report.errors + report.warnings
    shown = ordered if limit is None else ordered[:limit]
    lines = [finding_line(lang, f) for f in shown]
    if len(shown) < len(ordered):
        lines.append(t(lang, "resources.finding.more", count=len(ordered) - len(shown)))
    errors, warnings = len(report.errors), len(report.warnings)
    lines.append(t(lang, "resources.finding.total", errors=errors, warnings=warnings))
    return "\n".join(lines)


def finding_line(lang: str, f: Finding) -> str:
    """'erreur : ligne 75, entrée info-social-811, champ phone : … [bad_phone]': where and
    what from the catalogs (field names and problem codes are the file's own words)."""
    place = (
        ("resources.finding.line", {"line": f.line}) if f.line else ("resources.finding.file", {})
    )
    where = [t(lang, place[0], **place[1])]
    if f.entry:
        where.append(t(lang, "resources.finding.entry", entry=f.entry))
    if f.field:
        where.append(t(lang, "resources.finding.field", field=f.field))
    what = t(lang, f"resources.problem.{f.code}", **dict(f.params)) if f.code else f.message
    key = f"resources.finding.{f.severity.value}"
    return t(lang, key, where=", ".join(where), what=what, kind=f.kind.value)


def received(
    lang: str,
    c: ConsultationView,
    resource: Resource | None,
    name: str,
    now: datetime,
    zone: ZoneInfo,
) -> str:
    """The officer's copy of a card a worker sent (its name alone if it left the directory
    since)."""
    worker = c.worker.display_name if c.worker is not None else "—"
    head = t(lang, "resources.received", ref=c.reference, worker=worker)
    card = card_text(lang, resource, now, zone) if resource is not None else name
    return f"{head}\n\n{card}"


def sent(lang: str, c: ConsultationView, name: str) -> str:
    """The worker's confirmation: which resource went to whom."""
    return t(lang, "resources.sent", name=name, officer=c.officer.display_name, ref=c.reference)

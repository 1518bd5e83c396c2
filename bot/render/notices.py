"""Each kind of outbox notice to what Telegram is asked to do, in the recipient's language,
at send time: a registry of renderers, one per NoticeKind, each returning a list of steps
(send a text, copy a message, edit a message). The dispatcher executes the steps; no
handler builds a sentence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot import callbacks, render
from bot.i18n import t
from bot.render import assessments as assessment_cards
from bot.render import calls as call_cards
from bot.render import followups as followup_cards
from bot.render import location as location_cards
from bot.render import reports as report_texts
from bot.render import resources as resource_cards
from bot.render import screening as screening_cards
from bot.render import subjects as subject_cards
from bot.render.scene import say_keyboard
from bot.sender import CAPTION_LIMIT, CAPTIONED, Markup
from flows.directory import DirectoryHolder, fallback_resources, top_for_category
from flows.outbox import Notice
from flows.people import PersonView
from flows.roster import ShiftView
from flows.views import ConsultationView
from flows.vocabulary import NoticeKind, Presence, Tier


@dataclass(frozen=True)
class Text:
    text: str
    keyboard: Markup | None = None  # inline buttons, or a one-tap reply keyboard
    reply_to_previous: bool = False  # answer the message the previous step produced
    reply_to: int | None = None  # answer this message of the chat


@dataclass(frozen=True)
class Copy:
    from_chat_id: int
    message_id: int
    caption: str | None = None
    reply_to_previous: bool = False
    reply_to: int | None = None  # answer this message of the chat


@dataclass(frozen=True)
class Edit:
    """Rewrite the notice's edit_message_id (a card): its text, and its buttons or none."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


@dataclass(frozen=True)
class Photo:
    """Upload an image made at send time (a report's chart)."""

    png: bytes
    caption: str | None = None


Step = Text | Copy | Edit | Photo


@dataclass(frozen=True)
class Context:
    """What renderers may read besides the notice: the directory in memory, the moment."""

    directory: DirectoryHolder
    now: datetime
    fallback_line: str


Renderer = Callable[[Notice, Context], list[Step]]
RENDERERS: dict[NoticeKind, Renderer] = {}


def renders(kind: NoticeKind) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        RENDERERS[kind] = fn
        return fn

    return register


def steps_of(notice: Notice, context: Context) -> list[Step]:
    return RENDERERS[notice.kind](notice, context)


def _values(notice: Notice) -> dict[str, Any]:
    return dict(notice.params.get("values", {}))


@renders(NoticeKind.SAY)
def _say(notice: Notice, context: Context) -> list[Step]:
    values = _values(notice)
    if "fallback" in values and values["fallback"] is None:
        values["fallback"] = context.fallback_line
    text = t(notice.language, notice.params["key"], **values)
    keyboard = say_keyboard(notice.language, notice.params.get("buttons"))
    if notice.edit_message_id is not None:
        return [Edit(text, keyboard)]
    return [Text(text, keyboard, reply_to=notice.params.get("reply_to"))]


@renders(NoticeKind.PROMPT)
def _prompt(notice: Notice, context: Context) -> list[Step]:
    c: ConsultationView = notice.params["consultation"]
    lang = notice.language
    prompt = (
        render.category_prompt(lang, c) if c.category is None else render.urgency_prompt(lang, c)
    )
    if notice.edit_message_id is not None:
        return [Edit(prompt.text, prompt.keyboard)]
    return [Text(prompt.text, prompt.keyboard)]


@renders(NoticeKind.SUBMITTED)
def _submitted(notice: Notice, context: Context) -> list[Step]:
    """The request as chosen in place of the buttons, then one line on what happens next:
    how many can take it now, where it went at once, or the fallback with the 24/7 lines."""
    c: ConsultationView = notice.params["consultation"]
    lang = notice.language
    steps: list[Step] = []
    if notice.edit_message_id is not None and notice.params.get("ask_key"):
        asked = subject_cards.summary_with_key_question(lang, c)
        steps.append(Edit(asked.text, asked.keyboard))
    elif notice.edit_message_id is not None:
        steps.append(Edit(render.request_summary(lang, c)))
    if notice.params.get("owner_first") and c.tier == Tier.AVAILABLE:
        text = t(lang, "cases.sent_to_owner", ref=c.reference)
    elif c.tier >= Tier.FALLBACK:
        text = t(lang, "consult.nobody", ref=c.reference, fallback=context.fallback_line)
        lines = _fallback_block(notice, context, c)
        text = f"{text}\n{lines}" if lines else text
    elif c.tier == Tier.WIDER:
        text = t(lang, "consult.sent_wider", ref=c.reference)
    elif c.tier == Tier.SUPERVISORS:
        text = t(lang, "consult.sent_supervisors", ref=c.reference)
    else:
        text = t(lang, "consult.sent", ref=c.reference, count=notice.params["available_now"])
    steps.append(Text(text))
    return steps


@renders(NoticeKind.ESCALATED)
def _escalated(notice: Notice, context: Context) -> list[Step]:
    """One short line for the officer at each step of escalation."""
    c: ConsultationView = notice.params["consultation"]
    lang = notice.language
    requeued = bool(notice.params.get("requeued"))
    if c.tier == Tier.AVAILABLE:  # back in the queue: its worker can no longer hold it
        return [Text(t(lang, "escalation.requeued", ref=c.reference))]
    # back in the queue and nobody available: the officer hears both, in one message
    gone = t(lang, "escalation.holder_gone", ref=c.reference) + "\n" if requeued else ""
    if c.tier == Tier.WIDER:
        return [Text(gone + t(lang, "escalation.wider", ref=c.reference))]
    if c.tier == Tier.SUPERVISORS:
        return [Text(gone + t(lang, "escalation.supervisors", ref=c.reference))]
    text = t(lang, "escalation.fallback", ref=c.reference, fallback=context.fallback_line)
    more = _fallback_block(notice, context, c)
    return [Text(gone + (f"{text}\n{more}" if more else text))]


def _fallback_block(notice: Notice, context: Context, c: ConsultationView) -> str:
    """The 24/7 lines and what is open now, nearest to the scene first ('' without any)."""
    directory = context.directory.current
    if not directory.resources:
        return ""
    near = _point(notice.params.get("near"))
    category = c.category.value if c.category else None
    return resource_cards.fallback_lines(
        notice.language, fallback_resources(directory, category, context.now, near)
    )


@renders(NoticeKind.OFFER_CARD)
def _offer_card(notice: Notice, context: Context) -> list[Step]:
    p = notice.params
    card = render.offer_card(
        notice.language, p["consultation"], p["tier"], p["at_capacity"], p["window_ran_out"],
        p.get("screening"), p.get("area"),
    )  # fmt: skip
    text = subject_cards.with_history(card.text, notice.language, p.get("history"))
    return [Text(text, card.keyboard)]


@renders(NoticeKind.CARD)
def _card(notice: Notice, context: Context) -> list[Step]:
    """An offer card rewritten once it is settled (it loses its buttons), or redrawn while it
    is still open ("open": with what the officer added since, buttons kept)."""
    c: ConsultationView = notice.params["consultation"]
    lang, state = notice.language, notice.params["state"]
    if state == "open":
        tier = int(notice.params.get("tier", 1))
        p = notice.params
        card = render.offer_card(lang, c, tier, screening=p.get("screening"), area=p.get("area"))
        return [Edit(subject_cards.with_history(card.text, lang, p.get("history")), card.keyboard)]
    if state == "mine":
        card = render.offer_mine_card(lang, c)
    elif state == "taken":
        card = render.offer_taken_card(lang, c, render.person_name(c.worker))
    elif state == "declined":
        card = render.offer_declined_card(lang, c)
    else:
        card = render.offer_withdrawn_card(lang, c)
    return [Edit(card.text)]


@renders(NoticeKind.ACCEPTED)
def _accepted(notice: Notice, context: Context) -> list[Step]:
    """The new holder's introduction, with the Call me / I'm calling buttons."""
    c: ConsultationView = notice.params["consultation"]
    lang = notice.language
    text = t(lang, "accept.intro", ref=c.reference, officer=render.person_name(c.officer))
    return [Text(text, call_cards.call_keyboard(lang, c.id))]


@renders(NoticeKind.HANDED_OVER)
def _handed_over(notice: Notice, context: Context) -> list[Step]:
    c: ConsultationView = notice.params["consultation"]
    lang = notice.language
    if notice.params["by_self"]:
        return [Text(render.taken_over_card(lang, c))]
    return [Text(render.handed_over_card(lang, c, notice.params["note"], notice.params["by_name"]))]


@renders(NoticeKind.CLOSE_CHOICE)
def _close_choice(notice: Notice, context: Context) -> list[Step]:
    choice = render.close_choice(notice.language, notice.params["choices"])
    return [Text(choice.text, choice.keyboard)]


@renders(NoticeKind.OUTCOME_PROMPT)
def _outcome_prompt(notice: Notice, context: Context) -> list[Step]:
    prompt = render.outcome_prompt(notice.language, notice.params["consultation"])
    return [Text(prompt.text, prompt.keyboard)]


@renders(NoticeKind.OUTCOME_RECORDED)
def _outcome_recorded(notice: Notice, context: Context) -> list[Step]:
    lang = notice.language
    shown = render.label(lang, "outcome", notice.params["outcome"])
    return [Edit(t(lang, "outcome.recorded", ref=notice.params["reference"], outcome=shown))]


@renders(NoticeKind.PEOPLE_CHOICE)
def _people_choice(notice: Notice, context: Context) -> list[Step]:
    encode = (
        callbacks.transfer_to if notice.params["purpose"] == "transfer" else (callbacks.reassign_to)
    )
    prompt = render.people_choice(
        notice.language,
        "handover.pick",
        notice.params["consultation"],
        notice.params["candidates"],
        encode,
    )
    return [Text(prompt.text, prompt.keyboard)]


@renders(NoticeKind.BRIEFING)
def _briefing(notice: Notice, context: Context) -> list[Step]:
    """The new holder reads the consultation whole: the rest of a request too long for the
    card, then the conversation so far marked as history."""
    c: ConsultationView = notice.params["consultation"]
    lang = notice.language
    steps: list[Step] = []
    rest = render.request_rest(c)
    if rest:
        mark = t(lang, "relay.request_rest", ref=c.reference, name=render.person_name(c.officer))
        steps.append(Text(f"{mark}\n…{rest}"))
    history = notice.params.get("history", [])
    if history:
        steps.append(Text(t(lang, "relay.history_header", ref=c.reference, count=len(history))))
        for item in history:
            steps += marked_copy(
                lang,
                c.reference,
                item["sender_name"],
                item["kind"],
                item["chat_id"],
                item["message_id"],
                item.get("text"),
                "relay.history_mark",
            )
    return steps


@renders(NoticeKind.RELAY)
def _relay(notice: Notice, context: Context) -> list[Step]:
    p = notice.params
    return marked_copy(
        notice.language,
        p["reference"],
        p["sender_name"],
        p["kind"],
        p["chat_id"],
        p["message_id"],
        p.get("text"),
        "relay.mark",
        reply_to=p.get("reply_to"),
    )


def marked_copy(
    lang: str,
    reference: str,
    sender_name: str,
    kind: str,
    chat_id: int,
    message_id: int,
    text: str | None,
    mark_key: str,
    reply_to: int | None = None,
) -> list[Step]:
    """One message marked with the reference and who sent it: text is sent again, media is
    copied (never forwarded, so no account details leak) with the mark as caption when it
    fits, a location or contact after a header it replies to. A reply is copied as a reply
    to the recipient's message it answers (`reply_to`), as the sender saw it."""
    mark = t(lang, mark_key, ref=reference, name=sender_name)
    if kind == "text":
        return [Text(f"{mark}\n{text or ''}", reply_to=reply_to)]
    if kind in CAPTIONED:
        full = f"{mark}\n{text}" if text else mark
        if len(full) <= CAPTION_LIMIT:
            return [Copy(chat_id, message_id, caption=full, reply_to=reply_to)]
        return [Text(mark, reply_to=reply_to), Copy(chat_id, message_id)]
    return [
        Text(t(lang, "relay.shared", mark=mark), reply_to=reply_to),
        Copy(chat_id, message_id, reply_to_previous=True),
    ]


@renders(NoticeKind.TOP_THREE)
def _top_three(notice: Notice, context: Context) -> list[Step]:
    """Three resources open now for the category, nearest first when the officer shared a
    location in this consultation; nothing when the directory has none."""
    c: ConsultationView = notice.params["consultation"]
    directory = context.directory.current
    if c.category is None or not directory.resources:
        return []
    near = _point(notice.params.get("near"))
    hits = top_for_category(directory, c.category.value, context.now, near)
    if not hits:
        return []
    top = resource_cards.top_three(notice.language, c, hits)
    return [Text(top.text, top.keyboard)]


def _point(value: Any) -> tuple[float, float] | None:
    return (float(value[0]), float(value[1])) if value else None


@renders(NoticeKind.PRESENCE_SET)
def _presence_set(notice: Notice, context: Context) -> list[Step]:
    p = notice.params
    zone = ZoneInfo(p["zone"])
    return [Text(render.presence_set(notice.language, Presence(p["presence"]), p["until"], zone))]


@renders(NoticeKind.STILL_ACTIVE)
def _still_active(notice: Notice, context: Context) -> list[Step]:
    choice = render.still_active_choice(notice.language, notice.params["consultations"])
    return [Text(choice.text, choice.keyboard)]


@renders(NoticeKind.WELCOME)
def _welcome(notice: Notice, context: Context) -> list[Step]:
    p = notice.params
    return [Text(render.welcome(notice.language, p["person"], p["already"]))]


@renders(NoticeKind.ROSTER)
def _roster(notice: Notice, context: Context) -> list[Step]:
    """The slots a supervisor just added, listed back, then those asked for again (not
    added) and the existing ones the new slots overlap."""
    p, lang = notice.params, notice.language
    parts = []
    for key, title in (("shifts", "roster.added"), ("already", "roster.already"),
                       ("overlaps", "roster.overlaps")):  # fmt: skip
        shifts = [ShiftView(**s) for s in p.get(key, [])]
        if shifts:
            parts.append(render.roster_text(lang, shifts, title))
    return [Text("\n\n".join(parts))]


@renders(NoticeKind.REFERRAL)
def _referral(notice: Notice, context: Context) -> list[Step]:
    """The card a worker sent, as the directory has it now (open or not at this moment)."""
    p, lang = notice.params, notice.language
    directory = context.directory.current
    position = directory.position(p["resource"])
    resource = directory.resources[position] if position is not None else None
    zone = ZoneInfo(p["zone"])
    shown = resource_cards.received(
        lang, p["consultation"], resource, p["names"][lang], context.now, zone
    )
    return [Text(shown)]


@renders(NoticeKind.REFERRAL_SENT)
def _referral_sent(notice: Notice, context: Context) -> list[Step]:
    p, lang = notice.params, notice.language
    return [Text(resource_cards.sent(lang, p["consultation"], p["names"][lang]))]


# --- follow-ups ------------------------------------------------------------------------------


def _here_or_edit(notice: Notice, text: str, keyboard: InlineKeyboardMarkup | None) -> list[Step]:
    """A new message, or the one the notice names rewritten (a question becomes its answer)."""
    if notice.edit_message_id is not None:
        return [Edit(text, keyboard)]
    return [Text(text, keyboard)]


def _zone(notice: Notice) -> ZoneInfo:
    return ZoneInfo(notice.params["zone"])


@renders(NoticeKind.FOLLOWUP_PLAN)
def _followup_plan(notice: Notice, context: Context) -> list[Step]:
    prompt = followup_cards.plan_prompt(notice.language, notice.params["consultation"])
    return [Text(prompt.text, prompt.keyboard)]


@renders(NoticeKind.FOLLOWUP_SCHEDULED)
def _followup_scheduled(notice: Notice, context: Context) -> list[Step]:
    p = notice.params
    prompt = followup_cards.scheduled_prompt(
        notice.language, p["followup_id"], p["reference"], p["due_at"], _zone(notice)
    )
    return _here_or_edit(notice, prompt.text, prompt.keyboard)


@renders(NoticeKind.FOLLOWUP_LINE)
def _followup_line(notice: Notice, context: Context) -> list[Step]:
    p = notice.params
    text = followup_cards.line(notice.language, p["key"], p.get("values", {}), _zone(notice))
    return _here_or_edit(notice, text, None)


@renders(NoticeKind.FOLLOWUP_ASSIGNEES)
def _followup_assignees(notice: Notice, context: Context) -> list[Step]:
    p = notice.params
    choice = followup_cards.assignees(
        notice.language, p["followup_id"], p["reference"], p["workers"]
    )
    return [Text(choice.text, choice.keyboard)]


@renders(NoticeKind.FOLLOWUP_LIST)
def _followup_list(notice: Notice, context: Context) -> list[Step]:
    p = notice.params
    return [Text(followup_cards.listing(notice.language, p["total"], p["items"], _zone(notice)))]


@renders(NoticeKind.SHIFT_DIGEST)
def _shift_digest(notice: Notice, context: Context) -> list[Step]:
    return [Text(followup_cards.shift_digest(notice.language, notice.params))]


@renders(NoticeKind.DAILY_SUMMARY)
def _daily_summary(notice: Notice, context: Context) -> list[Step]:
    """The day's figures, then the overdue list when there is one."""
    return [Text(text) for text in followup_cards.daily_summary(notice.language, notice.params)]


# --- calls (issue 14) -----------------------------------------------------------------------


@renders(NoticeKind.CALL_REQUEST)
def _call_request(notice: Notice, context: Context) -> list[Step]:
    p = notice.params
    requester: PersonView = p["requester"]
    text, keyboard = call_cards.call_request(
        notice.language, p["consultation"], render.person_name(requester), p["number"]
    )
    return [Text(text, keyboard)]


# --- screening (issue 14) -------------------------------------------------------------------


@renders(NoticeKind.SCREENING_QUESTION)
def _screening_question(notice: Notice, context: Context) -> list[Step]:
    assert notice.consultation_id is not None
    text, keyboard = screening_cards.question(
        notice.language, notice.params, notice.consultation_id
    )
    if notice.edit_message_id is not None:
        return [Edit(text, keyboard)]
    return [Text(text, keyboard)]


@renders(NoticeKind.SCREENING_UPDATE)
def _screening_update(notice: Notice, context: Context) -> list[Step]:
    p = notice.params
    return [Text(screening_cards.holder_update(notice.language, p["reference"], p["answers"]))]


@renders(NoticeKind.SCENE_INVITE)
def _scene_invite(notice: Notice, context: Context) -> list[Step]:
    text, keyboard = location_cards.invite(notice.language, notice.params["reference"])
    return [Text(text, keyboard)]


# --- P-38.001 assessments and timelines (issue 11) -----------------------------------------


@renders(NoticeKind.ASSESSMENT_STEP)
def _assessment_step(notice: Notice, context: Context) -> list[Step]:
    """The assessment's next question, its summary (rewritten at the acknowledgement), or a
    question that no longer counts rewritten without its buttons."""
    p = notice.params
    shown = assessment_cards.step(
        notice.language, p["assessment"], p["state"], _zone(notice), bool(p.get("void"))
    )
    return _here_or_edit(notice, shown.text, shown.keyboard)


@renders(NoticeKind.ARTICLE8_REQUEST)
def _article8_request(notice: Notice, context: Context) -> list[Step]:
    """The officer's request under article 8 (a message of its own), or, once acknowledged,
    the same message rewritten with the time of the acknowledgement."""
    shown = assessment_cards.article8_request(
        notice.language, notice.params["assessment"], _zone(notice)
    )
    return _here_or_edit(notice, shown.text, shown.keyboard)


@renders(NoticeKind.ASSESSMENT_LIST)
def _assessment_list(notice: Notice, context: Context) -> list[Step]:
    p = notice.params
    return [Text(assessment_cards.listing(notice.language, p["reference"], p["assessments"],
                                          _zone(notice)))]  # fmt: skip


@renders(NoticeKind.TIMELINE)
def _timeline(notice: Notice, context: Context) -> list[Step]:
    p = notice.params
    text = assessment_cards.timeline(
        notice.language, p["consultation"], p["entries"], p.get("fallback"), _zone(notice)
    )
    return [Text(text)]


# --- people seen before (issue 11) ----------------------------------------------------------


@renders(NoticeKind.SUBJECT_CARD)
def _subject_card(notice: Notice, context: Context) -> list[Step]:
    """An open offer card rewritten with the history the key just revealed, its buttons
    kept; or the officer's summary without the key question."""
    p, lang = notice.params, notice.language
    if "summary" in p:
        return [Edit(render.request_summary(lang, p["summary"]))]
    card = render.offer_card(
        lang, p["consultation"], p["tier"], screening=p.get("screening"), area=p.get("area")
    )
    return [Edit(subject_cards.with_history(card.text, lang, p["history"]), card.keyboard)]


@renders(NoticeKind.SUBJECT_HISTORY)
def _subject_history(notice: Notice, context: Context) -> list[Step]:
    p, lang = notice.params, notice.language
    head = t(lang, "subject.history_for", ref=p["reference"])
    return [Text(f"{head}\n{subject_cards.history_block(lang, p['history'])}")]


@renders(NoticeKind.CARE_PLAN)
def _care_plan(notice: Notice, context: Context) -> list[Step]:
    p = notice.params
    plan, zone = p["plan"], _case_zone(p)
    shown = subject_cards.care_plan(
        notice.language,
        plan.reference if plan is not None else p["reference"],
        plan,
        zone,
        bool(p.get("editable")),
        p.get("subject_id"),
        None if p.get("subject_id") else p.get("reference"),
    )
    return [Text(shown.text, shown.keyboard)]


def _case_zone(params: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(params.get("zone") or "America/Montreal")


@renders(NoticeKind.CASE)
def _case(notice: Notice, context: Context) -> list[Step]:
    p, lang = notice.params, notice.language
    if p["mode"] == "hand":
        shown = subject_cards.hand_choice(lang, p["reference"], p["subject_id"], p["candidates"])
    else:
        shown = subject_cards.case(lang, p)
    return [Text(shown.text, shown.keyboard)]


@renders(NoticeKind.RECURRING)
def _recurring(notice: Notice, context: Context) -> list[Step]:
    p = notice.params
    text = subject_cards.recurring(
        notice.language, p["entries"], p["count"], p["days"], _case_zone(p)
    )
    return [Text(text)]


# --- reports (issue 12) --------------------------------------------------------------------


@renders(NoticeKind.PERIOD_REPORT)
def _period_report(notice: Notice, context: Context) -> list[Step]:
    """A supervisor's weekly or monthly figures, then their chart."""
    doc, kind, lang = notice.params["report"], notice.params["kind"], notice.language
    return [Text(report_texts.period_report_text(doc, kind, lang)),
            Photo(report_texts.chart_png(doc, lang))]  # fmt: skip

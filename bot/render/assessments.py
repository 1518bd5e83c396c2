"""P-38.001 assessments and timelines as people read them: each step's question and buttons,
the officer's timestamped request under article 8 and its acknowledgement, a consultation's
assessments, and its timeline with the fallback-without-intervener mark. Every sentence says
that the judgment is the intervener's and the transport decision the officer's."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import t
from bot.render import Rendered, label
from flows.views import ConsultationView
from flows.vocabulary import AssessmentState, Danger, Decision

FULL = "%Y-%m-%d %H:%M:%S"
SHORT = "%Y-%m-%d %H:%M"


def _at(value: datetime | None, zone: ZoneInfo, shape: str = FULL) -> str:
    return f"{value.astimezone(zone):{shape}}" if value else "—"


def _danger(lang: str, a: dict[str, Any]) -> str:
    return label(lang, "danger", a.get("danger"))


def step(lang: str, a: dict[str, Any], state: str, zone: ZoneInfo, void: bool = False) -> Rendered:
    """The assessment's next question for its author, or its summary once recorded; void: a
    question pressed once it no longer counted, without its buttons. Each says who judges and
    who decides."""
    if void:
        return Rendered(_with_roles(lang, t(lang, "assessment.question_void", ref=a["reference"])))
    shown = _step(lang, a, state, zone)
    return Rendered(_with_roles(lang, shown.text), shown.keyboard)


def _with_roles(lang: str, text: str) -> str:
    """The text, then the sentence every message of the assessment carries (Relais records
    and transmits; the judgment is the intervener's, the transport decision the officer's)."""
    return text + "\n\n" + t(lang, "assessment.roles")


def _step(lang: str, a: dict[str, Any], state: str, zone: ZoneInfo) -> Rendered:
    ref, aid = a["reference"], a["id"]
    if state == AssessmentState.DANGER:
        rows = [
            [InlineKeyboardButton(label(lang, "danger", d), callback_data=_danger_data(aid, d))]
            for d in Danger
        ]
        return Rendered(t(lang, "assessment.ask_danger", ref=ref), InlineKeyboardMarkup(rows))
    if state == AssessmentState.OBSERVATIONS:
        return Rendered(t(lang, "assessment.ask_observations", ref=ref, danger=_danger(lang, a)))
    if state == AssessmentState.DECISION:
        choices = [d for d in Decision if d != Decision.ARTICLE_8 or a["danger"] != Danger.NONE]
        rows = [
            [
                InlineKeyboardButton(
                    label(lang, "decision", d), callback_data=callbacks.assess_decision(aid, d)
                )
            ]
            for d in choices
        ]
        text = t(lang, "assessment.ask_decision", ref=ref, danger=_danger(lang, a))
        return Rendered(text, InlineKeyboardMarkup(rows))
    text = summary(lang, a, zone)
    if a.get("requested_at") and not a.get("acknowledged_at"):
        text += "\n\n" + t(lang, "assessment.request_sent", at=_at(a["requested_at"], zone))
    return Rendered(text)


def _danger_data(assessment_id: int, value: Danger) -> str:
    return callbacks.assess_danger(assessment_id, value)


def summary(lang: str, a: dict[str, Any], zone: ZoneInfo) -> str:
    """One recorded assessment: who judged what, when, the decision, the request's times."""
    lines = [
        t(
            lang,
            "assessment.summary",
            ref=a["reference"],
            author=a["author"],
            at=_at(a.get("recorded_at"), zone),
            danger=_danger(lang, a),
            decision=label(lang, "decision", a.get("decision")),
            observations=a.get("observations") or "—",
        )
    ]
    if a.get("requested_at"):
        lines.append(t(lang, "assessment.requested_line", at=_at(a["requested_at"], zone)))
        if a.get("acknowledged_at"):
            lines.append(
                t(
                    lang,
                    "assessment.acknowledged_line",
                    at=_at(a["acknowledged_at"], zone),
                    officer=a.get("acknowledged_by") or "—",
                )
            )
        else:
            lines.append(t(lang, "assessment.not_acknowledged_line"))
    return "\n".join(lines)


def article8_request(lang: str, a: dict[str, Any], zone: ZoneInfo) -> Rendered:
    """The officer's message: the request, its time, the intervener's judgment and words, who
    decides what; the acknowledge button until it is pressed, then when it was."""
    text = t(
        lang,
        "assessment.article8_request",
        ref=a["reference"],
        author=a["author"],
        at=_at(a["requested_at"], zone),
        danger=_danger(lang, a),
        observations=a.get("observations") or "—",
    )
    text += "\n\n" + t(lang, "assessment.roles")
    if a.get("acknowledged_at"):
        text += "\n\n" + t(lang, "assessment.acknowledged", at=_at(a["acknowledged_at"], zone))
        return Rendered(text)
    button = InlineKeyboardButton(
        t(lang, "assessment.acknowledge_button"), callback_data=callbacks.article8_ack(a["id"])
    )
    return Rendered(text, InlineKeyboardMarkup([[button]]))


def listing(lang: str, reference: str, items: list[dict[str, Any]], zone: ZoneInfo) -> str:
    """/assessments C-0042: every recorded assessment, oldest first."""
    if not items:
        return t(lang, "assessment.none_recorded", ref=reference)
    blocks = [t(lang, "assessment.list_title", ref=reference, count=len(items))]
    blocks += [summary(lang, a, zone) for a in items]
    blocks.append(t(lang, "assessment.roles"))
    return "\n\n".join(blocks)


def timeline(
    lang: str,
    c: ConsultationView,
    entries: list[dict[str, Any]],
    fallback: dict[str, Any] | None,
    zone: ZoneInfo,
) -> str:
    """/timeline C-0042: one line per event (local time, what, who), the fallback mark."""
    lines = [
        t(
            lang,
            "timeline.title",
            ref=c.reference,
            state=label(lang, "cstate", c.state),
            category=label(lang, "category", c.category),
            urgency=label(lang, "urgency", c.urgency),
        )
    ]
    marked = False
    for e in entries:
        details = "; ".join(
            label(lang, key, str(value)) for key, value in e["details"].items() if key != "tier"
        )
        actor = e["actor"] or t(lang, "timeline.system")
        what = t(lang, "event." + str(e["kind"]))
        line = f"{_at(e['at'], zone)} · {what} · {actor}"
        lines.append(f"{line} · {details}" if details else line)
        if fallback and not marked and e["kind"] == "fallback_given":
            lines.append(fallback_line(lang, fallback, zone))
            marked = True
    return "\n".join(lines)


def fallback_line(lang: str, mark: dict[str, Any], zone: ZoneInfo) -> str:
    """The situation of article 8's second paragraph, explicitly, with its times."""
    waited = int((mark["fallback_at"] - mark["requested_at"]).total_seconds() // 60)
    text = t(
        lang,
        "timeline.fallback_no_intervener",
        requested=_at(mark["requested_at"], zone, SHORT),
        fallback=_at(mark["fallback_at"], zone, SHORT),
        minutes=waited,
    )
    if mark.get("intervener_at"):
        text += " " + t(
            lang, "timeline.intervener_later", at=_at(mark["intervener_at"], zone, SHORT)
        )
    return text

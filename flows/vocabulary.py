"""The stable identifiers of the product's vocabulary, in one module: categories, urgencies,
outcomes, roles, the states things go through (consultations, offers, presence, tiers,
events, follow-ups), the follow-up choices (plan, snooze) and what a typed answer answers.
The ORM stores them; labels live in the translation catalogs; these ids never change."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Role(StrEnum):
    OFFICER = "officer"
    WORKER = "worker"
    SUPERVISOR = "supervisor"


class Category(StrEnum):
    SUICIDE_RISK = "suicide_risk"
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE = "substance"
    HOMELESSNESS = "homelessness"
    DOMESTIC_VIOLENCE = "domestic_violence"
    VICTIM_SUPPORT = "victim_support"
    YOUTH = "youth"
    ELDER = "elder"
    OTHER = "other"


class Urgency(StrEnum):
    IMMEDIATE = "immediate"
    URGENT = "urgent"
    ADVICE = "advice"


class Outcome(StrEnum):
    RESOLVED_ON_SCENE = "resolved_on_scene"
    REFERRED = "referred"
    VOLUNTARY_HOSPITAL = "voluntary_hospital"
    INVOLUNTARY_P38 = "involuntary_p38"
    HANDED_TO_FAMILY = "handed_to_family"
    JUDICIAL = "judicial"
    NO_ACTION = "no_action"
    OTHER = "other"


class ConsultationState(StrEnum):
    DRAFT = "draft"  # the officer is still choosing category and urgency
    WAITING = "waiting"  # sent out, nobody has accepted yet
    ACTIVE = "active"  # a worker accepted; messages are relayed
    CLOSED = "closed"


class OfferState(StrEnum):
    OPEN = "open"
    DECLINED = "declined"
    TAKEN_BY_ME = "taken_by_me"
    TAKEN_BY_OTHER = "taken_by_other"
    WITHDRAWN = "withdrawn"


class Presence(StrEnum):
    """A worker's own word on availability, overriding the roster for the moment."""

    ON = "on"
    OFF = "off"


class Tier(IntEnum):
    """How widely a waiting consultation has been offered (DESIGN.md: escalation)."""

    DRAFT = 0
    AVAILABLE = 1  # workers on shift (or /on) with free capacity
    WIDER = 2  # plus on-call backups and workers at capacity
    SUPERVISORS = 3  # plus supervisors
    FALLBACK = 4  # the officer has the fallback resources; stays queued for anyone


class EventKind(StrEnum):
    CREATED = "created"
    CATEGORY_SET = "category_set"
    SUBMITTED = "submitted"
    NO_WORKER_AVAILABLE = "no_worker_available"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    ACCEPT_REFUSED = "accept_refused"
    MESSAGE_RELAYED = "message_relayed"
    MESSAGE_QUEUED = "message_queued"
    CLOSED = "closed"
    OUTCOME_RECORDED = "outcome_recorded"
    REFERRAL_SENT = "referral_sent"
    NOTE = "note"
    DECLINED = "declined"
    ESCALATED = "escalated"
    FALLBACK_GIVEN = "fallback_given"
    TRANSFER_REQUESTED = "transfer_requested"
    TRANSFERRED = "transferred"
    TAKEN_OVER = "taken_over"
    REASSIGNED = "reassigned"
    REQUEUED = "requeued"  # its worker was revoked: back in the queue, offered again
    FOLLOWUP_SCHEDULED = "followup_scheduled"
    FOLLOWUP_REMINDED = "followup_reminded"
    FOLLOWUP_SNOOZED = "followup_snoozed"
    FOLLOWUP_REASSIGNED = "followup_reassigned"
    FOLLOWUP_DONE = "followup_done"
    FOLLOWUP_OVERDUE = "followup_overdue"
    # --- reports (issue 12) ---
    INCIDENT_NUMBER_SET = "incident_number_set"  # the police incident/file number (data: number)
    SCENE_CLEARED = "scene_cleared"  # the officer is back on duty: officer time ends here


class FollowUpState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"


class Delivery(StrEnum):
    """Where the reminder's delivery stands: claimed ('sending') before the send, recorded
    ('sent') after it, so a crash in between is visible on the next start."""

    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"


class NoticeKind(StrEnum):
    """What a row of the outbox asks the dispatcher to send; bot/render/ knows how each looks."""

    SAY = "say"  # one catalog sentence, with its parameters
    PROMPT = "prompt"  # the officer's next question about a draft (category, then urgency)
    SUBMITTED = "submitted"  # the officer's one line on what happens next, and the summary
    OFFER_CARD = "offer_card"  # a consultation offered to a worker or supervisor
    CARD = "card"  # an existing offer card rewritten (taken, yours, withdrawn, declined)
    ACCEPTED = "accepted"  # the new holder's introduction to the consultation
    BRIEFING = "briefing"  # the rest of a long request and the conversation so far
    RELAY = "relay"  # one message copied to the other side, marked with the reference
    TOP_THREE = "top_three"  # the officer's three resources open now, after the cards
    HANDED_OVER = "handed_over"  # the new holder's card after a transfer, take-over, reassign
    ESCALATED = "escalated"  # the officer's one line at each escalation step
    CLOSE_CHOICE = "close_choice"  # which of several consultations to close
    OUTCOME_PROMPT = "outcome_prompt"  # the holder's outcome buttons after a close
    OUTCOME_RECORDED = "outcome_recorded"  # the outcome question becomes the answer
    PEOPLE_CHOICE = "people_choice"  # to whom to hand a consultation (transfer, reassign)
    PRESENCE_SET = "presence_set"  # /on or /off confirmed, until the next roster change
    STILL_ACTIVE = "still_active"  # after /off with consultations in hand: transfer or close
    WELCOME = "welcome"  # an invite redeemed: welcome by role, or already enrolled
    ROSTER = "roster"  # the shifts a supervisor just added
    REFERRAL = "referral"  # a directory card the holder sent to the officer
    REFERRAL_SENT = "referral_sent"  # the holder's line: which card went to whom
    FOLLOWUP_PLAN = "followup_plan"  # after the outcome: plan a follow-up? (the plan buttons)
    FOLLOWUP_SCHEDULED = "followup_scheduled"  # its due time, and the no-note button
    FOLLOWUP_LINE = "followup_line"  # one follow-up sentence, its times in the service's zone
    FOLLOWUP_ASSIGNEES = "followup_assignees"  # whom to give a follow-up to (buttons)
    FOLLOWUP_LIST = "followup_list"  # /followups: the pending follow-ups
    SHIFT_DIGEST = "shift_digest"  # a worker's handover digest as their shift begins
    DAILY_SUMMARY = "daily_summary"  # the supervisors' summary of the day, with the overdue list
    # --- reports (issue 12) ---
    PERIOD_REPORT = "period_report"  # a supervisor's weekly or monthly figures, with the chart


class Priority(IntEnum):
    """Urgent notices leave first: an officer waiting on a scene before a digest."""

    URGENT = 0
    NORMAL = 5
    LOW = 9


class OutboxState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # Telegram refused it for good (blocked bot, deleted chat)


class Plan(StrEnum):
    """The choices offered at closing (their order is the callback codec's)."""

    NONE = "none"
    HOURS_24 = "24h"
    DAYS_3 = "3d"
    WEEK = "1w"
    CUSTOM = "custom"


class Snooze(StrEnum):
    HOUR = "1h"
    MORNING = "morning"
    CUSTOM = "custom"


class InputKind(StrEnum):
    """What a person's next typed message answers."""

    PLAN_DATE = "plan_date"  # target: consultation id
    NOTE = "note"  # target: follow-up id
    OUTCOME = "outcome"  # target: follow-up id
    SNOOZE_DATE = "snooze_date"  # target: follow-up id


LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


def language_from_code(language_code: str | None) -> str:
    """Telegram's language_code (e.g. 'en-CA') to one of the catalogs' languages."""
    if language_code and language_code.lower().startswith("en"):
        return "en"
    return (
        DEFAULT_LANGUAGE
        if not language_code
        else ("fr" if language_code.lower().startswith("fr") else "en")
    )

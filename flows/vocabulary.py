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
    RELAY_FAILED = "relay_failed"  # its copy could not be delivered (the sender was told)
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
    # --- calls (issue 14) ---
    CALL_REQUESTED = "call_requested"  # "Call me": the requester's number went to the other side
    CALLING = "calling"  # "I'm calling you now" (the answer to a request, or unasked)
    # --- screening (issue 14) ---
    SCREENING_ANSWERED = "screening_answered"  # one yes/no answer, with the question's texts
    SCREENING_SKIPPED = "screening_skipped"
    URGENCY_RAISED = "urgency_raised"  # an answer called for more urgency
    # --- P-38.001 assessments (issue 11) ---
    ASSESSMENT_STARTED = "assessment_started"
    ASSESSMENT_RECORDED = "assessment_recorded"
    ARTICLE8_REQUESTED = "article8_requested"  # the intervener's request, sent to the officer
    ARTICLE8_ACKNOWLEDGED = "article8_acknowledged"  # the officer's one-button receipt
    ASSESSMENT_VIEWED = "assessment_viewed"  # who read an assessment (the audit lists *_viewed)
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
    # --- calls (issue 14) ---
    CALL_REQUEST = "call_request"  # "please call me at …", with the "I'm calling now" button
    # --- screening (issue 14) ---
    SCREENING_QUESTION = "screening_question"  # one yes/no question to the officer, or skip
    SCREENING_UPDATE = "screening_update"  # the holder's line: the answers so far
    SCENE_INVITE = "scene_invite"  # share the scene's location: Telegram's location button
    # --- P-38.001 assessments (issue 11) ---
    ASSESSMENT_STEP = "assessment_step"  # the assessment's next question (danger, words, decision)
    ARTICLE8_REQUEST = "article8_request"  # the officer's timestamped request, with its button
    ASSESSMENT_LIST = "assessment_list"  # a consultation's assessments, for one reader
    TIMELINE = "timeline"  # a consultation's timeline, for one reader
    # --- people seen before (issue 11) ---
    SUBJECT_CARD = "subject_card"  # an open offer card rewritten with the person's history
    SUBJECT_HISTORY = "subject_history"  # the holder's view of the person's earlier consultations
    CARE_PLAN = "care_plan"  # a case's care plan, to its owner or the next handler
    CASE = "case"  # /case: a person's history, owner, care plan, follow-ups, and the buttons
    RECURRING = "recurring"  # /recurring: the people seen often lately
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
    OBSERVATIONS = "observations"  # target: assessment id (P-38.001)
    # --- people seen before (issue 11) ---
    SUBJECT_KEY = "subject_key"  # target: consultation id (the officer may still type the key)
    CARE_PLAN_FIELD = "care_plan_field"  # target: subject id * 10 + the field's index


# --- P-38.001 assessments (issue 11) ---


class Danger(StrEnum):
    """The intervener's judgment of the person's mental state (the order is the buttons')."""

    SELF = "self"  # grave and immediate danger for themselves
    OTHERS = "others"  # for others
    BOTH = "both"  # for themselves and for others
    NONE = "none"  # no grave and immediate danger


class Decision(StrEnum):
    """What the intervener decided (the transport itself is the officer's decision)."""

    ARTICLE_8 = "article_8"  # request to the officer under article 8 of P-38.001
    VOLUNTARY = "voluntary"  # voluntary transport
    NO_TRANSPORT = "no_transport"
    OTHER = "other"


class AssessmentState(StrEnum):
    DANGER = "danger"  # asked: the danger
    OBSERVATIONS = "observations"  # asked: the main observations (typed)
    DECISION = "decision"  # asked: the decision
    RECORDED = "recorded"


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

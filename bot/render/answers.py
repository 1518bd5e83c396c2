"""The short answer to a button press (a toast, or an alert the person must dismiss), chosen
from what the use case said happened: the handlers pass the result on, the wording and the
choice between the catalog's sentences live here."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import t
from bot.render import person_name
from flows.assessments import Status as AssessmentStatus
from flows.consultations import AcceptStatus, DraftStatus
from flows.handover import HandoverResult, HandoverStatus
from flows.people import PersonView
from flows.views import ConsultationView


@dataclass(frozen=True)
class Answer:
    text: str
    alert: bool = False  # kept on screen until dismissed: the press did not do what was meant


def accept(language: str, status: AcceptStatus, c: ConsultationView | None) -> Answer:
    """The Accept button: taken, or why not (someone else was faster, the case is over...)."""
    if status == AcceptStatus.NOT_OFFERED or c is None:
        return Answer(t(language, "callback.invalid"), alert=True)
    if status == AcceptStatus.ACCEPTED:
        return Answer(t(language, "accept.ok", ref=c.reference))
    if status == AcceptStatus.AT_CAPACITY:
        return Answer(t(language, "accept.at_capacity"), alert=True)
    if status == AcceptStatus.ALREADY_YOURS:
        return Answer(t(language, "accept.already_yours", ref=c.reference))
    if status == AcceptStatus.TAKEN:
        return Answer(t(language, "accept.taken", worker=person_name(c.worker)), alert=True)
    return Answer(t(language, "accept.closed"), alert=True)


_HANDOVER_REFUSALS = {
    HandoverStatus.NOT_FOUND: "callback.invalid",  # a button no one was given: forged
    HandoverStatus.NOT_YOURS: "callback.invalid",
    HandoverStatus.NOT_OPEN: "handover.not_open",
    HandoverStatus.TARGET_UNAVAILABLE: "handover.target_unavailable",
    HandoverStatus.CHANGED: "handover.changed",
}


def handover_refusal(language: str, result: HandoverResult, person: PersonView) -> Answer:
    """Why a hand-over button did nothing (a typed command's refusal is said by
    flows/handover.py, naming the reference typed)."""
    c = result.consultation
    if result.status == HandoverStatus.ALREADY_HOLDER and c is not None and c.worker is not None:
        if c.worker.id == person.id:
            return Answer(t(language, "handover.already_yours", ref=c.reference), alert=True)
        worker = person_name(c.worker)
        return Answer(
            t(language, "handover.already_with", ref=c.reference, worker=worker), alert=True
        )
    return Answer(t(language, _HANDOVER_REFUSALS[result.status]), alert=True)


def draft_refusal(language: str, status: DraftStatus) -> Answer:
    """A draft's button pressed once the draft went out (stale), or forged (invalid)."""
    key = "callback.stale" if status == DraftStatus.NO_LONGER_DRAFT else "callback.invalid"
    return Answer(t(language, key), alert=True)


_ASSESSMENT_REFUSALS = {
    AssessmentStatus.NOT_YOURS: "callback.invalid",
    AssessmentStatus.ALREADY: "assessment.already",
    AssessmentStatus.INCONSISTENT: "assessment.inconsistent",
    AssessmentStatus.NOT_HELD: "assessment.not_held",
}


def assessment_refusal(language: str, status: AssessmentStatus) -> Answer | None:
    """An assessment button refused, and why; None when the press did what it should."""
    key = _ASSESSMENT_REFUSALS.get(status)
    return Answer(t(language, key), alert=True) if key is not None else None

"""What follows the officer's urgency tap, in one transaction: the request goes out first
(consultations.submit: cards, timer, the officer's line), then the optional questions at the
scene begin (screening). Nothing the officer may add afterwards delays the request."""

from __future__ import annotations

from flows import consultations, screening
from flows.consultations import DraftStatus, SubmitResult
from flows.routing import RoutingPolicy
from flows.screening import ScreeningPolicy
from flows.unit import Unit
from flows.vocabulary import Urgency


def submit(
    unit: Unit,
    officer_id: int,
    consultation_id: int,
    urgency: Urgency,
    policy: RoutingPolicy,
    questions: ScreeningPolicy,
    prompt_message: int | None = None,
) -> SubmitResult:
    """The request out, then the first screening question (if its category has any)."""
    result = consultations.submit(
        unit, officer_id, consultation_id, urgency, policy, prompt_message
    )
    if result.status == DraftStatus.OK and result.consultation is not None:
        screening.ask_first(unit, result.consultation, questions)
    return result

"""What follows the officer's urgency tap, in one transaction: the request goes out first
(consultations.submit: cards, timer, the officer's line), then the optional questions at the
scene begin (screening) and the officer is invited to share where the scene is, in one tap
(Telegram's location button). Nothing the officer may add afterwards delays the request."""

from __future__ import annotations

from flows import consultations, screening
from flows.consultations import DraftStatus, SubmitResult
from flows.routing import RoutingPolicy
from flows.screening import ScreeningPolicy
from flows.unit import Unit
from flows.views import scene_in
from flows.vocabulary import NoticeKind, Urgency


def submit(
    unit: Unit,
    officer_id: int,
    consultation_id: int,
    urgency: Urgency,
    policy: RoutingPolicy,
    questions: ScreeningPolicy,
    prompt_message: int | None = None,
) -> SubmitResult:
    """The request out, then the first screening question (if its category has any) and,
    unless the officer already shared one, the invitation to share the scene's location."""
    result = consultations.submit(
        unit, officer_id, consultation_id, urgency, policy, prompt_message
    )
    c = result.consultation
    if result.status == DraftStatus.OK and c is not None:
        screening.ask_first(unit, c, questions)
        if scene_in(unit.session, c.id) is None:
            unit.outbox.notify(
                c.officer, NoticeKind.SCENE_INVITE, consultation_id=c.id, reference=c.reference
            )
    return result

"""End to end through the sandbox (issue 12): the officer gives the incident number and
clears the scene from the accept message's buttons, then a supervisor's /stats shows the
last 7 and 30 days in a few lines and sends one chart image; an officer cannot use /stats."""

from __future__ import annotations

import pytest

from flows import events, views
from flows.vocabulary import EventKind, Role

pytestmark = pytest.mark.e2e

OFFICER, ROY, CHIEF = 1001, 2001, 3001


def _button(message: dict, starts: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for b in row:
            if b["text"].startswith(starts):
                return str(b["callback_data"])
    raise AssertionError(f"no button {starts!r} in {message}")


def test_scene_cleared_then_stats_with_a_chart(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(CHIEF, Role.SUPERVISOR, "Chef Lavoie", language_code="en")
    world.go_on(ROY)
    ref = world.open_consultation(
        OFFICER,
        "Homme en crise au parc.",
        category="Santé mentale",
        urgency="Urgente (dans l'heure)",
    )
    world.accept(ROY, ref)
    accepted = world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)
    query = world.user.press(OFFICER, accepted["message_id"], data=_button(accepted, "🧾"))
    world.user.wait_for_callback_answer(query, world.step)
    world.user.wait_for_text(OFFICER, "/incident 2026-12345", world.step)
    world.user.send_text(OFFICER, "/incident 2026-4242")
    world.user.wait_for_text(
        OFFICER, f"{ref} : numéro d'événement 2026-4242 enregistré", world.step
    )
    query = world.user.press(OFFICER, accepted["message_id"], data=_button(accepted, "✅"))
    world.user.wait_for_callback_answer(query, world.step)
    world.user.wait_for_text(OFFICER, f"{ref} : lieux libérés", world.step)
    world.user.wait_for_text(ROY, f"{ref} : l'agent a libéré les lieux", world.step)
    cid = views.parse_reference(ref)
    kinds = [e.kind for e in events.timeline(world.db, cid)]
    assert kinds.count(EventKind.SCENE_CLEARED) == 1 and EventKind.INCIDENT_NUMBER_SET in kinds

    before = world.last_id(CHIEF)
    world.user.send_text(CHIEF, "/stats")
    text = world.user.wait_for(
        CHIEF, lambda m: m["message_id"] > before and "Last 7 days" in m.get("text", ""),
        world.step,
    )  # fmt: skip
    assert "Last 30 days" in text["text"]
    assert "relais report --from" in text["text"]
    assert "<5 consultations" in text["text"]  # one consultation: suppressed
    photo = world.user.wait_for(
        CHIEF, lambda m: m["message_id"] > text["message_id"] and "photo" in m, world.step
    )
    assert photo["photo"]

    before = world.last_id(OFFICER)
    world.user.send_text(OFFICER, "/stats")
    world.user.wait_for(
        OFFICER, lambda m: m["message_id"] > before and "pas disponible pour votre rôle" in
        m.get("text", ""), world.step,
    )  # fmt: skip
    assert not any("7 derniers jours" in t for t in world.texts(OFFICER))

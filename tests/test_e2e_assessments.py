"""End to end through the sandbox, in both languages: the worker holding a consultation records
a P-38.001 assessment with buttons and one typed message, the request under article 8 reaches
the officer as its own timestamped message, the officer acknowledges it with one button, both
are events; the officer then reads the assessment (a recorded reading) and the timeline."""

from __future__ import annotations

import re

import pytest

from flows import events, views
from flows.vocabulary import EventKind, Role
from tests.support.e2e import World

pytestmark = pytest.mark.e2e

OFFICER, WORKER = 1001, 2001
OBSERVATIONS = "Agité, armé d'un tournevis, entend des voix qui lui ordonnent de frapper."

WORDS = {
    "fr": {
        "category": "Santé mentale",
        "urgency": "Immédiate (danger maintenant)",
        "which_category": "Quelle catégorie",
        "which_urgency": "Quelle urgence",
        "sent": "envoyée",
        "ask_danger": "Selon votre jugement",
        "roles": "Le jugement sur l'état mental est celui de l'intervenant·e",
        "others": "Danger grave et immédiat pour autrui",
        "ask_observations": "Écrivez maintenant vos principales observations",
        "ask_decision": "Quelle est votre décision",
        "article_8": "Demande à l'agent·e en vertu de l'article 8",
        "request_sent": "Demande transmise à l'agent·e le",
        "request": "DEMANDE EN VERTU DE L'ARTICLE 8",
        "sent_at": "Transmise le : 20",
        "ack_button": "Confirmer la réception",
        "acknowledged": "✅ Réception confirmée le 20",
        "summary_acked": "Réception confirmée le 20",
        "summary_by": "par Julie Tremblay",
        "not_acked": "Réception pas encore confirmée",
        "told_author": "a confirmé la réception de votre demande",
        "listing": "Évaluations P-38.001 (1)",
        "timeline_event": "Demande de l'article 8 : réception confirmée",
    },
    "en": {
        "category": "Mental health",
        "urgency": "Immediate (danger now)",
        "which_category": "Which category",
        "which_urgency": "How urgent",
        "sent": " sent.",
        "ask_danger": "In your judgment",
        "roles": "The judgment of the mental state is the intervener's",
        "others": "Grave and immediate danger to others",
        "ask_observations": "Now write your main observations",
        "ask_decision": "What is your decision",
        "article_8": "Request to the officer under article 8",
        "request_sent": "Request sent to the officer at",
        "request": "REQUEST UNDER ARTICLE 8",
        "sent_at": "Sent at: 20",
        "ack_button": "Acknowledge receipt",
        "acknowledged": "✅ Acknowledged at 20",
        "summary_acked": "Acknowledged at 20",
        "summary_by": "by Julie Tremblay",
        "not_acked": "Not acknowledged by the officer yet",
        "told_author": "acknowledged your request",
        "listing": "P-38.001 assessments (1)",
        "timeline_event": "Article 8 request acknowledged by the officer",
    },
}


def ask(world: World, lang: str, text: str) -> str:
    """The officer writes and taps a category, then an urgency, in their language."""
    w = WORDS[lang]
    before = world.last_id(OFFICER)
    world.user.send_text(OFFICER, text)
    prompt = world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] > before and w["which_category"] in m.get("text", ""),
        world.step,
        description="the category question",
    )
    world.user.press(OFFICER, prompt["message_id"], text=w["category"])
    world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] == prompt["message_id"] and w["which_urgency"] in m["text"],
        world.step,
        description="the urgency question",
    )
    world.user.press(OFFICER, prompt["message_id"], text=w["urgency"])
    answer = world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] > prompt["message_id"] and w["sent"] in m["text"],
        world.step,
        description="the request sent",
    )
    found = re.search(r"C-\d{4,}", answer["text"])
    assert found is not None, answer["text"]
    return found.group(0)


@pytest.mark.parametrize(("officer_lang", "worker_lang"), [("en", "fr"), ("fr", "en")])
def test_an_article_8_request_is_recorded_sent_to_the_officer_and_acknowledged(
    world, officer_lang, worker_lang
):
    o, w = WORDS[officer_lang], WORDS[worker_lang]
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay", language_code=officer_lang)
    world.enrol(WORKER, Role.WORKER, "Marie Roy", language_code=worker_lang)
    world.go_on(WORKER)
    ref = ask(world, officer_lang, "Homme en crise dans un appartement, menace sa voisine.")
    world.accept(WORKER, ref)
    world.user.wait_for_text(OFFICER, "Marie Roy", world.step)

    world.user.send_text(WORKER, "/assessment")
    question = world.user.wait_for(
        WORKER,
        lambda m: w["ask_danger"] in m.get("text", "") and bool(m.get("reply_markup")),
        world.step,
        description="the danger question",
    )
    assert ref in question["text"] and w["roles"] in question["text"]
    world.user.press(WORKER, question["message_id"], text=w["others"])
    asked = world.user.wait_for(
        WORKER,
        lambda m: m["message_id"] == question["message_id"] and w["ask_observations"] in m["text"],
        world.step,
        description="the observations asked",
    )
    assert w["roles"] in asked["text"]
    world.user.send_text(WORKER, OBSERVATIONS, reply_to=question["message_id"])  # as a reply
    decision = world.user.wait_for(
        WORKER,
        lambda m: w["ask_decision"] in m.get("text", "") and bool(m.get("reply_markup")),
        world.step,
        description="the decision question",
    )
    assert w["roles"] in decision["text"]
    world.user.press(WORKER, decision["message_id"], text=w["article_8"])
    summary = world.user.wait_for(
        WORKER,
        lambda m: m["message_id"] == decision["message_id"] and w["request_sent"] in m["text"],
        world.step,
        description="the request sent, on the worker's side",
    )
    assert w["roles"] in summary["text"] and w["not_acked"] in summary["text"]
    assert not summary.get("reply_markup")

    request = world.user.wait_for(
        OFFICER,
        lambda m: o["request"] in m.get("text", "") and bool(m.get("reply_markup")),
        world.step,
        description="the article 8 request",
    )
    assert ref in request["text"] and o["sent_at"] in request["text"]
    assert o["roles"] in request["text"] and OBSERVATIONS in request["text"]
    relayed = [t for t in world.texts(OFFICER) if OBSERVATIONS in t]
    assert relayed == [request["text"]]  # the typed observations were not relayed as a message
    query = world.user.press(OFFICER, request["message_id"], text=o["ack_button"])
    world.user.wait_for_callback_answer(query, world.step)
    acknowledged = world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] == request["message_id"] and o["acknowledged"] in m["text"],
        world.step,
        description="the request marked acknowledged",
    )
    assert not acknowledged.get("reply_markup")  # one press, and the button is gone
    world.user.wait_for_text(WORKER, w["told_author"], world.step)
    summary = world.user.wait_for(
        WORKER,
        lambda m: m["message_id"] == decision["message_id"] and w["summary_acked"] in m["text"],
        world.step,
        description="the worker's summary showing the acknowledgement",
    )
    assert w["summary_by"] in summary["text"] and w["not_acked"] not in summary["text"]
    assert w["roles"] in summary["text"]

    cid = views.parse_reference(ref)
    timeline = events.timeline(world.db, cid)
    by_kind = {e.kind: e for e in timeline}
    requested = by_kind[EventKind.ARTICLE8_REQUESTED]
    acked = by_kind[EventKind.ARTICLE8_ACKNOWLEDGED]
    assert (requested.actor, acked.actor) == ("Marie Roy", "Julie Tremblay")
    assert requested.at <= acked.at
    assert by_kind[EventKind.ASSESSMENT_RECORDED].data["danger"] == "others"

    world.user.send_text(OFFICER, f"/assessments {ref}")
    listing = world.user.wait_for_text(OFFICER, o["listing"], world.step)
    assert OBSERVATIONS in listing["text"] and o["roles"] in listing["text"]
    viewed = [e for e in events.timeline(world.db, cid) if e.kind == EventKind.ASSESSMENT_VIEWED]
    assert [e.actor for e in viewed] == ["Julie Tremblay"]

    world.user.send_text(WORKER, f"/timeline {ref}")
    shown = world.user.wait_for_text(WORKER, w["timeline_event"], world.step)
    assert OBSERVATIONS not in shown["text"]  # the timeline carries no free text


def test_the_officers_timeline_says_no_intervener_was_available_in_time(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    ref = world.open_consultation(OFFICER, "Femme en détresse, refuse de parler.")
    # The fallback, at once (the scene's location question may come after it).
    world.user.wait_for_text(OFFICER, f"{ref} : aucun·e intervenant·e n'est disponible", world.step)
    world.user.send_text(OFFICER, f"/timeline {ref}")
    shown = world.user.wait_for_text(
        OFFICER, "Aucun·e intervenant·e disponible à temps", world.step
    )
    assert "2e alinéa de l'article 8 de la Loi P-38.001" in shown["text"]
    assert "(0 min plus tard)" in shown["text"]
    world.user.send_text(OFFICER, "/timeline C-9999")
    world.user.wait_for_text(OFFICER, "Vous n'avez pas accès à cette consultation", world.step)


def test_an_older_copy_of_the_decision_question_loses_its_buttons_when_pressed(world):
    """A second /assessment asks the decision again; once the new copy is answered, pressing
    the old one records nothing, says so, and takes its buttons off."""
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(WORKER, Role.WORKER, "Marie Roy")
    world.go_on(WORKER)
    ref = ask(world, "fr", "Homme en crise dans un appartement, menace sa voisine.")
    world.accept(WORKER, ref)
    world.user.send_text(WORKER, "/assessment")
    question = world.user.wait_for_text(WORKER, "Selon votre jugement", world.step)
    world.user.press(WORKER, question["message_id"], text="Aucun danger grave et immédiat")
    world.user.wait_for_text(WORKER, "principales observations", world.step)
    world.user.send_text(WORKER, "Calme, accepte de voir son médecin.")

    def decision_after(after: int) -> dict:
        return world.user.wait_for(
            WORKER,
            lambda m: m["message_id"] > after and "Quelle est votre décision" in m["text"],
            world.step,
            description="the decision question",
        )

    first = decision_after(question["message_id"])
    world.user.send_text(WORKER, "/assessment")  # asked again
    second = decision_after(first["message_id"])
    world.user.press(WORKER, second["message_id"], text="Transport volontaire")
    world.user.wait_for(
        WORKER,
        lambda m: m["message_id"] == second["message_id"] and "Décision : Transport" in m["text"],
        world.step,
        description="the summary",
    )

    query = world.user.press(WORKER, first["message_id"], text="Pas de transport")
    answer = world.user.wait_for_callback_answer(query, world.step)
    assert "déjà faite" in answer.get("text", ""), answer
    void = world.user.wait_for(
        WORKER,
        lambda m: m["message_id"] == first["message_id"] and "ne compte plus" in m["text"],
        world.step,
        description="the older copy rewritten without its buttons",
    )
    assert not void.get("reply_markup") and WORDS["fr"]["roles"] in void["text"]
    recorded = [e for e in events.timeline(world.db, views.parse_reference(ref))
                if e.kind == EventKind.ASSESSMENT_RECORDED]  # fmt: skip
    assert [e.data["decision"] for e in recorded] == ["voluntary"]

"""End to end: an officer reaches an available social worker and back, through the real bot
and the sandbox — offers, the first accept, relaying every kind of message, routing by
reply, closing with an outcome, the fallback line when nobody is there."""

from __future__ import annotations

import pytest

from bot.sender import split_text
from flows import events, views
from flows.vocabulary import ConsultationState, EventKind, Outcome, Role
from tests.support.e2e import card_button

pytestmark = pytest.mark.e2e

OFFICER, OFFICER_2, ROY, WILSON = 1001, 1002, 2001, 2002


def team(world, *, workers_on=(ROY, WILSON)):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(WILSON, Role.WORKER, "Sam Wilson", language_code="en")
    for worker in workers_on:
        world.go_on(worker)


def test_a_whole_consultation_round_trip(world):
    team(world)
    ref = world.open_consultation(
        OFFICER,
        "Homme en crise sur le pont, dit vouloir sauter.",
        category="Risque suicidaire",
        urgency="Immédiate (danger maintenant)",
    )
    sent = world.answer
    assert sent == (
        f"Demande {ref} envoyée. Intervenant·e·s disponibles maintenant : 2. "
        "Je vous préviens dès qu'une personne accepte."
    )
    card_en = world.card(WILSON, ref)
    assert card_en["text"].startswith(
        f"New request {ref}\nCategory: Suicide risk\n"
        "Urgency: Immediate (danger now)\nFrom: Julie Tremblay"
    )
    assert "sur le pont" in card_en["text"]
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)
    world.user.wait_for(
        WILSON,
        lambda m: m["message_id"] == card_en["message_id"] and "Taken by Marie Roy" in m["text"],
        world.step,
    )
    assert not world.user.messages(WILSON)[-1].get("reply_markup")  # no Accept left

    world.user.send_text(ROY, "Gardez une distance. Demandez son prénom.")
    relayed = world.user.wait_for_text(OFFICER, "Demandez son prénom", world.step)
    assert relayed["text"] == f"{ref} · Marie Roy :\nGardez une distance. Demandez son prénom."
    world.user.send_text(OFFICER, "Il s'appelle Marc.")
    world.user.wait_for_text(ROY, f"{ref} · Julie Tremblay :\nIl s'appelle Marc.", world.step)

    world.user.send_photo(OFFICER, caption="la scène")
    photo = world.user.wait_for(ROY, lambda m: "photo" in m, world.step)
    assert photo["caption"] == f"{ref} · Julie Tremblay :\nla scène"
    assert "forward_origin" not in photo  # copied, not forwarded
    world.user.send_voice(OFFICER)
    voice = world.user.wait_for(ROY, lambda m: "voice" in m, world.step)
    assert voice["caption"].startswith(ref)
    world.user.send_location(OFFICER, 45.5227, -73.5396)
    location = world.user.wait_for(ROY, lambda m: "location" in m, world.step)
    assert location["location"]["latitude"] == pytest.approx(45.5227)
    header = [m for m in world.user.messages(ROY) if m["message_id"] == location["message_id"] - 1]
    assert header and header[0]["text"].startswith(f"{ref} · Julie Tremblay")
    world.user.send_document(ROY, file_name="ressources.pdf", caption="à lui remettre")
    document = world.user.wait_for(OFFICER, lambda m: "document" in m, world.step)
    assert document["caption"] == f"{ref} · Marie Roy :\nà lui remettre"

    world.user.send_text(OFFICER, "/close")
    world.user.wait_for_text(OFFICER, f"{ref} fermée. Merci.", world.step)
    world.user.wait_for_text(ROY, f"{ref} a été fermée par Julie Tremblay", world.step)
    prompt = world.user.wait_for_text(ROY, "Quel est le résultat", world.step)
    world.user.press(ROY, prompt["message_id"], text="Orienté vers une ressource")
    world.user.wait_for_text(ROY, "résultat noté : Orienté vers une ressource", world.step)
    world.user.wait_for_text(ROY, "un suivi à prévoir", world.step)  # then the follow-up question

    before = len(world.user.messages(ROY))
    world.user.send_text(OFFICER, "Nouvelle situation au métro")
    world.user.wait_for_text(OFFICER, "Quelle catégorie", world.step)  # a new draft
    world.user.wait_until_idle(world.step, quiet=0.3)
    assert len(world.user.messages(ROY)) == before  # nothing relayed after closing

    cid = views.parse_reference(ref)
    c = views.get_view(world.db, cid)
    assert (c.state, c.outcome, c.worker.display_name) == (
        ConsultationState.CLOSED,
        Outcome.REFERRED,
        "Marie Roy",
    )
    kinds = [e.kind for e in events.timeline(world.db, cid)]
    assert kinds[:6] == [
        EventKind.CREATED,
        EventKind.CATEGORY_SET,
        EventKind.SUBMITTED,
        EventKind.OFFERED,
        EventKind.OFFERED,
        EventKind.ACCEPTED,
    ]
    assert kinds.count(EventKind.MESSAGE_RELAYED) == 6
    assert kinds[-2:] == [EventKind.CLOSED, EventKind.OUTCOME_RECORDED]


def test_with_nobody_available_the_officer_gets_the_fallback_at_once_and_the_queue_holds(world):
    team(world, workers_on=())
    ref = world.open_consultation(OFFICER, "Femme désorientée, sans domicile, -20 °C.")
    assert world.answer.startswith(
        f"{ref} : aucun·e intervenant·e n'est disponible en ce moment. Appelez Info-Social 811"
    )
    world.user.send_text(OFFICER, "Elle a froid, elle refuse le refuge.")
    world.user.wait_for_text(OFFICER, f"{ref} : message gardé", world.step)
    world.go_on(ROY)
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)
    world.user.wait_for_text(ROY, "Elle a froid, elle refuse le refuge.", world.step)


def test_a_late_accept_is_told_who_took_it_and_changes_nothing(world):
    team(world)
    ref = world.open_consultation(OFFICER, "Jeune en fugue")
    wilson_card = world.card(WILSON, ref)
    world.accept(ROY, ref)
    query = world.user.press(WILSON, wilson_card["message_id"], data=card_button(wilson_card))
    answer = world.user.wait_for_callback_answer(query, world.step)
    assert answer["text"] == "Already taken by Marie Roy."
    c = views.get_view(world.db, views.parse_reference(ref))
    assert c.worker.display_name == "Marie Roy"
    assert [e.kind for e in events.timeline(world.db, c.id)].count(EventKind.ACCEPTED) == 1


def test_a_worker_with_two_consultations_routes_by_reply_and_is_told_when_guessing(world):
    team(world, workers_on=(ROY,))
    world.enrol(OFFICER_2, Role.OFFICER, "Luc Côté")
    first = world.open_consultation(OFFICER, "Situation un")
    world.accept(ROY, first)
    second = world.open_consultation(OFFICER_2, "Situation deux")
    world.accept(ROY, second)
    from_first = world.user.send_text(OFFICER, "message du premier")
    relayed = world.user.wait_for_text(ROY, "message du premier", world.step)
    assert from_first["message_id"]
    world.user.send_text(ROY, "réponse au premier", reply_to=relayed["message_id"])
    world.user.wait_for_text(OFFICER, "réponse au premier", world.step)
    reply = world.user.send_text(ROY, "sans réponse ciblée")
    world.user.wait_for_text(OFFICER, "sans réponse ciblée", world.step)  # latest activity: first
    note = world.user.wait_for_new(ROY, reply["message_id"], world.step)
    assert note["text"].startswith(f"↑ Envoyé dans {first} (Julie Tremblay)")
    assert "sans réponse ciblée" not in " ".join(world.texts(OFFICER_2))
    world.user.send_text(ROY, "/close")
    choice = world.user.wait_for_text(ROY, "Quelle consultation fermer", world.step)
    world.user.press(ROY, choice["message_id"], text=second)
    world.user.wait_for_text(OFFICER_2, f"{second} a été fermée par Marie Roy", world.step)
    assert views.get_view(world.db, views.parse_reference(first)).state == ConsultationState.ACTIVE


def test_a_reply_to_a_closed_consultation_never_reaches_the_officer_of_another(world):
    team(world, workers_on=(ROY,))
    world.enrol(OFFICER_2, Role.OFFICER, "Luc Côté")
    first = world.open_consultation(OFFICER, "Situation un")
    world.accept(ROY, first)
    world.user.send_text(OFFICER, "détail du premier")
    line = world.user.wait_for_text(ROY, "détail du premier", world.step)
    world.user.send_text(ROY, "/close")
    outcome = world.user.wait_for_text(ROY, "Quel est le résultat", world.step)
    world.user.press(ROY, outcome["message_id"], text="Réglé sur place")
    world.user.wait_for_text(OFFICER, f"{first} a été fermée par Marie Roy", world.step)
    second = world.open_consultation(OFFICER_2, "Situation deux")
    world.accept(ROY, second)
    world.user.wait_for_text(OFFICER_2, "acceptée par Marie Roy", world.step)

    old_line = line["message_id"]
    reply = world.user.send_text(ROY, "Julie, rappelez-moi pour le suivi", reply_to=old_line)
    told = world.user.wait_for_text(ROY, f"Ce message répond à {first}", world.step)
    assert told["message_id"] > reply["message_id"]
    assert told["text"].startswith(f"Ce message répond à {first}, que vous ne suivez pas")
    world.user.send_text(ROY, "Pour Luc : restez à distance.")  # written without a reply
    world.user.wait_for_text(OFFICER_2, "Pour Luc : restez à distance.", world.step)
    assert "rappelez-moi" not in " ".join(world.texts(OFFICER_2))
    assert "rappelez-moi" not in " ".join(world.texts(OFFICER))


def test_a_reply_is_copied_as_a_reply_to_the_message_it_answers(world):
    team(world, workers_on=(ROY,))
    ref = world.open_consultation(OFFICER, "Situation R")
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, "acceptée par", world.step)
    weapon = world.user.send_text(ROY, "A-t-il une arme ?")
    world.user.send_text(ROY, "Est-il connu des services ?")
    world.user.wait_for_text(OFFICER, "connu des services", world.step)
    copy = next(m for m in world.user.messages(OFFICER) if "une arme" in m.get("text", ""))

    world.user.send_text(OFFICER, "Non", reply_to=copy["message_id"])  # answers the first
    answer = world.user.wait_for_text(ROY, f"{ref} · Julie Tremblay :\nNon", world.step)
    assert answer["reply_to_message"]["message_id"] == weapon["message_id"]

    world.user.send_text(ROY, "Gardez vos distances", reply_to=weapon["message_id"])
    own = world.user.wait_for_text(OFFICER, "Gardez vos distances", world.step)
    assert own["reply_to_message"]["message_id"] == copy["message_id"]  # her copy of it


def test_text_longer_than_telegram_allows_arrives_whole_in_several_messages(world):
    team(world, workers_on=(ROY,))
    ref = world.open_consultation(OFFICER, "Long rapport à suivre")
    world.accept(ROY, ref)
    long_text = ("Observation détaillée de la scène. " * 200)[:4096]
    world.user.wait_for_text(OFFICER, "acceptée par", world.step)
    world.user.send_text(OFFICER, long_text)
    # Telegram trims whitespace around a message: the space at the cut is the only loss.
    expected = [p.strip() for p in split_text(f"{ref} · Julie Tremblay :\n{long_text}")]
    assert len(expected) == 2
    world.user.wait_for(ROY, lambda m: m.get("text") == expected[-1], world.step)
    texts = world.texts(ROY)
    assert texts[-2:] == expected
    assert all(len(t) <= 4096 for t in texts)


def words(start: int, length: int) -> str:
    """Numbered words, so a lost or reordered piece shows."""
    return " ".join(f"m{i:05d}" for i in range(start, start + length // 7 + 1))[:length]


def rest_pieces(ref: str, request: str) -> list[str]:
    """What the holder receives after the card: the words past its preview, split."""
    return [
        p.strip()
        for p in split_text(f"{ref} · Julie Tremblay (suite de la demande) :\n…{request[3000:]}")
    ]


def assert_received_in_order(world, chat_id: int, expected: list[str]) -> None:
    world.user.wait_for(chat_id, lambda m: m.get("text") == expected[-1], world.step)
    texts = world.texts(chat_id)
    start = texts.index(expected[0])
    assert texts[start : start + len(expected)] == expected
    assert all(len(t) <= 4096 for t in texts)


def test_a_first_message_too_long_for_the_card_reaches_the_worker_whole(world):
    team(world, workers_on=(ROY,))
    request = words(0, 10_000)  # the sandbox, unlike Telegram's apps, takes it in one piece
    ref = world.open_consultation(OFFICER, request)
    card = world.card(ROY, ref)
    assert request[:3000] + "…" in card["text"]
    world.accept(ROY, ref)
    assert_received_in_order(world, ROY, rest_pieces(ref, request))
    cid = views.parse_reference(ref)
    assert views.get_view(world.db, cid).request_text == request  # stored whole


def test_a_request_grown_past_its_bound_while_drafting_loses_nothing(world):
    team(world, workers_on=(ROY,))
    parts = [words(i * 1000, 4000) for i in range(4)]  # four messages of 4,000 characters
    world.user.send_text(OFFICER, parts[0])
    prompt = world.user.wait_for_text(OFFICER, "Quelle catégorie", world.step)
    for n, part in enumerate(parts[1:], start=1):
        world.user.send_text(OFFICER, part)
        world.user.wait_for(
            OFFICER,
            lambda m, n=n: sum("Ajouté à votre demande" in t for t in world.texts(OFFICER)) == n,
            world.step,
        )
    world.user.press(OFFICER, prompt["message_id"], text="Santé mentale")
    world.user.wait_for_text(OFFICER, "Quelle urgence", world.step)
    world.user.press(OFFICER, prompt["message_id"], text="Conseil")
    ref = world.user.wait_for_text(OFFICER, "envoyée", world.step)["text"].split()[1]
    world.accept(ROY, ref)
    request = "\n".join(parts[:3])  # 12,002 characters; a fourth would pass 16,000
    assert views.get_view(world.db, views.parse_reference(ref)).request_text == request
    queued = [p.strip() for p in split_text(f"{ref} · Julie Tremblay :\n{parts[3]}")]
    assert_received_in_order(world, ROY, rest_pieces(ref, request) + queued)


def test_messages_added_to_a_draft_do_not_ask_the_category_again(world):
    officer = 7_000_001
    world.enrol(officer, Role.OFFICER, "Julie Tremblay")
    world.user.send_text(officer, "Homme en crise")
    prompt = world.user.wait_for_text(officer, "Quelle catégorie", world.step)
    world.user.share_contact(officer, "+15145550101", first_name="Soeur", own=False)
    world.user.send_video_note(officer)
    world.user.send_text(officer, "Il est armé")
    world.user.wait_for(
        officer,
        lambda m: sum("Ajouté à votre demande" in t for t in world.texts(officer)) == 3,
        world.step,
        description="three messages added to the request",
    )
    world.user.wait_until_idle(world.step, quiet=0.5)
    assert sum("Quelle catégorie" in t for t in world.texts(officer)) == 1  # still on screen
    world.user.press(officer, prompt["message_id"], text="Santé mentale")
    world.user.wait_for_text(officer, "Quelle urgence", world.step)


def test_unsupported_media_and_edits_get_a_clear_answer(world):
    team(world, workers_on=(ROY,))
    ref = world.open_consultation(OFFICER, "Test")
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, "acceptée par", world.step)
    dice = world.user.send_message(OFFICER, {"dice": {"emoji": "🎲", "value": 3}})
    answer = world.user.wait_for_new(OFFICER, dice["message_id"], world.step)
    assert answer["text"].startswith("Ce type de message ne peut pas être transmis")
    poll = world.user.send_poll(OFFICER, "On y va ?", ["oui", "non"])
    answer = world.user.wait_for_new(OFFICER, poll["message_id"], world.step)
    assert answer["text"].startswith("Ce type de message ne peut pas être transmis")
    assert "On y va" not in "\n".join(world.texts(ROY))  # a poll is not relayed


def test_flood_control_from_telegram_delays_a_relay_but_never_drops_it(world):
    team(world, workers_on=(ROY,))
    ref = world.open_consultation(OFFICER, "Test")
    world.accept(ROY, ref)
    world.user.inject_flood(method="sendMessage", chat_id=ROY, retry_after=1, count=2)
    world.user.send_text(OFFICER, "message sous limitation")
    world.user.wait_for_text(ROY, "message sous limitation", world.step)

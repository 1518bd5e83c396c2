"""End to end: a follow-up planned at closing with the buttons, a reminder that comes due
while the bot is dead (SIGKILL) and is delivered once, late, after the restart, and the
Done button with its outcome line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows import events, followups, people, views
from flows.store import utc_now
from flows.vocabulary import Delivery, EventKind, FollowUpState, Role
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

OFFICER, ROY = 1001, 2001


def _closed_and_asked(world) -> tuple[str, dict]:
    """A consultation accepted by Roy, closed by the officer, outcome picked: the follow-up
    question is on Roy's screen."""
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Homme en crise, demande de l'aide en désintox")
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, "acceptée par Marie Roy", world.step)
    world.user.send_text(OFFICER, "/close")
    prompt = world.user.wait_for_text(ROY, "Quel est le résultat", world.step)
    world.user.press(ROY, prompt["message_id"], text="Orienté vers une ressource")
    question = world.user.wait_for_text(ROY, "un suivi à prévoir", world.step)
    return ref, question


def _reminders(world, ref: str) -> int:
    return sum(1 for text in world.texts(ROY) if text.startswith(f"⏰ Suivi {ref}"))


def test_a_reminder_due_while_the_bot_is_dead_is_delivered_once_and_marked_late(world):
    ref, question = _closed_and_asked(world)
    world.user.press(ROY, question["message_id"], text="Autre date…")
    world.user.wait_for_text(ROY, "écrivez la date et l'heure", world.step)
    world.user.send_text(ROY, "quand tu veux")
    world.user.wait_for_text(ROY, "Je n'ai pas compris cette date", world.step)
    world.user.send_text(ROY, "dans 6 secondes")
    world.user.wait_for_text(ROY, "suivi prévu le", world.step)
    world.user.send_text(ROY, "s'est-il présenté à l'admission ?")
    world.user.wait_for_text(ROY, "Note enregistrée", world.step)
    cid = views.parse_reference(ref)
    [f] = [f for f in followups.pending_for(world.db, _roy(world)) if f.consultation.id == cid]
    assert f.note == "s'est-il présenté à l'admission ?"

    world.bot.kill()  # before it is due
    assert utc_now() < f.due_at
    wait_until(lambda: utc_now() > f.due_at + timedelta(seconds=1), 30, "the due time passes")
    world.bot.extra_env["RELAIS_FOLLOWUP_LATE_SECONDS"] = "1"
    world.restart()

    reminder = world.user.wait_for_text(ROY, f"⏰ Suivi {ref}", world.step)
    assert "s'est-il présenté à l'admission ?" in reminder["text"]
    assert "En retard" in reminder["text"]
    world.user.wait_until_idle(world.step, quiet=1.0)
    assert _reminders(world, ref) == 1
    stored = followups.get(world.db, f.id)
    assert stored is not None and stored.delivery == Delivery.SENT and stored.late

    world.user.press(ROY, reminder["message_id"], text="Fait")
    world.user.wait_for_text(ROY, "qu'a donné le suivi", world.step)
    world.user.send_text(ROY, "Il a commencé la cure lundi")
    world.user.wait_for_text(ROY, "suivi fait. Noté : Il a commencé la cure lundi", world.step)
    done = followups.get(world.db, f.id)
    assert done is not None and done.state == FollowUpState.DONE
    kinds = [e.kind for e in events.timeline(world.db, cid)]
    assert kinds[-3:] == [
        EventKind.FOLLOWUP_SCHEDULED,
        EventKind.FOLLOWUP_REMINDED,
        EventKind.FOLLOWUP_DONE,
    ]
    assert _reminders(world, ref) == 1


def test_closing_with_the_follow_up_buttons_and_listing_them(world):
    ref, question = _closed_and_asked(world)
    world.user.press(ROY, question["message_id"], text="Dans 24 h")
    scheduled = world.user.wait_for_text(ROY, "suivi prévu le", world.step)
    world.user.press(ROY, scheduled["message_id"], text="Sans note")
    world.user.wait_for_text(ROY, "sans note", world.step)
    again = world.user.press(ROY, question["message_id"], data=question_data(question, 1))
    world.user.wait_for_callback_answer(again, world.step)
    world.user.send_text(ROY, "/followups")
    listing = world.user.wait_for_text(ROY, "Suivis en attente (1)", world.step)
    assert ref in listing["text"]
    forged = world.user.press(ROY, question["message_id"], data="v:999999")
    answer = world.user.wait_for_callback_answer(forged, world.step)
    assert answer.get("show_alert")
    cid = views.parse_reference(ref)
    kinds = [e.kind for e in events.timeline(world.db, cid)]
    assert kinds.count(EventKind.FOLLOWUP_SCHEDULED) == 1  # pressing again planned nothing


def question_data(question: dict, index: int) -> str:
    """The callback data of the index-th plan button (0 none, 1 in 24 h, ...)."""
    rows = question["reply_markup"]["inline_keyboard"] if question.get("reply_markup") else []
    buttons = [b for row in rows for b in row]
    return str(buttons[index]["callback_data"]) if buttons else "f:1:1"


def _roy(world):
    person = people.find_by_telegram_id(world.db, ROY)
    assert person is not None
    return person


PAUL = 2002


def test_a_reminder_for_a_worker_gone_off_goes_to_the_one_on_shift_who_snoozes_and_takes_it(
    world,
):
    ref, question = _closed_and_asked(world)
    world.enrol(PAUL, Role.WORKER, "Paul Gagnon")
    world.go_on(PAUL)
    world.user.press(ROY, question["message_id"], text="Autre date…")
    world.user.wait_for_text(ROY, "écrivez la date et l'heure", world.step)
    world.user.send_text(ROY, "dans 6 secondes")
    scheduled = world.user.wait_for_text(ROY, "suivi prévu le", world.step)
    world.user.press(ROY, scheduled["message_id"], text="Sans note")
    world.user.wait_for_text(ROY, "sans note", world.step)
    world.user.send_text(ROY, "/off")
    world.user.wait_for_text(ROY, "plus disponible", world.step)

    reminder = world.user.wait_for_text(PAUL, f"⏰ Suivi {ref}", world.step)
    assert "celui de Marie Roy" in reminder["text"]
    buttons = {
        b["text"]: b["callback_data"]
        for row in reminder["reply_markup"]["inline_keyboard"]
        for b in row
    }
    world.user.press(PAUL, reminder["message_id"], text="Dans 1 h")
    world.user.wait_for_text(PAUL, f"{ref} : rappel reporté au", world.step)
    cid = views.parse_reference(ref)
    [f] = [f for f in followups.pending_for(world.db, _roy(world)) if f.consultation.id == cid]
    assert f.due_at > utc_now() + timedelta(minutes=59) and f.snoozed == 1

    world.user.press(PAUL, reminder["message_id"], data=buttons["Confier à…"])
    pick = world.user.wait_for_text(PAUL, "confier le suivi à qui", world.step)
    world.user.press(PAUL, pick["message_id"], text="Paul Gagnon")  # he takes it himself
    world.user.wait_for_text(PAUL, f"{ref} : suivi confié à Paul Gagnon", world.step)
    paul = people.find_by_telegram_id(world.db, PAUL)
    assert paul is not None
    assert [x.consultation.id for x in followups.pending_for(world.db, paul)] == [cid]
    assert followups.pending_for(world.db, _roy(world)) == []
    kinds = [e.kind for e in events.timeline(world.db, cid)]
    assert kinds[-2:] == [EventKind.FOLLOWUP_SNOOZED, EventKind.FOLLOWUP_REASSIGNED]
    assert kinds.count(EventKind.FOLLOWUP_REMINDED) == 1


def test_a_crash_between_sending_and_recording_gives_one_flagged_repeat_and_no_more(world):
    """The reminder reaches the worker but the bot dies before Telegram's answer arrives:
    the row is left 'sending'. Next start: sent once more, saying it may be a repeat. A
    further restart sends nothing."""
    ref, question = _closed_and_asked(world)
    world.user.press(ROY, question["message_id"], text="Autre date…")
    world.user.wait_for_text(ROY, "écrivez la date et l'heure", world.step)
    world.user.send_text(ROY, "dans 4 secondes")
    scheduled = world.user.wait_for_text(ROY, "suivi prévu le", world.step)
    world.user.press(ROY, scheduled["message_id"], text="Sans note")
    world.user.wait_for_text(ROY, "sans note", world.step)
    cid = views.parse_reference(ref)
    [f] = [f for f in followups.pending_for(world.db, _roy(world)) if f.consultation.id == cid]
    world.user.inject_delay(method="sendMessage", chat_id=ROY, seconds=20)

    world.user.wait_for_text(ROY, f"⏰ Suivi {ref}", world.step)  # delivered, not answered
    wait_until(
        lambda: followups.get(world.db, f.id).delivery == Delivery.SENDING,
        world.step,
        "the claim recorded before the send",
    )
    world.bot.kill()
    world.restart()
    repeat = world.user.wait_for_text(ROY, "Renvoyé après un redémarrage", world.step)
    assert repeat["text"].startswith(f"⏰ Suivi {ref}")
    wait_until(
        lambda: followups.get(world.db, f.id).delivery == Delivery.SENT,
        world.step,
        "the repeat recorded",
    )
    world.bot.kill()
    world.restart()
    world.user.send_text(ROY, "/followups")
    world.user.wait_for_text(ROY, "Suivis en attente (1)", world.step)  # up and running
    world.user.wait_until_idle(world.step, quiet=1.0)
    assert _reminders(world, ref) == 2  # the original and one flagged repeat, never a third
    stored = followups.get(world.db, f.id)
    assert stored is not None and stored.unconfirmed


def test_a_date_typed_while_the_bot_was_down_counts_from_when_it_was_typed(world):
    _, question = _closed_and_asked(world)
    world.user.press(ROY, question["message_id"], text="Autre date…")
    world.user.wait_for_text(ROY, "écrivez la date et l'heure", world.step)
    world.bot.kill()
    sent = world.user.send_text(ROY, "dans 2 heures")
    world.restart()  # read seconds after it was typed
    world.user.wait_for_text(ROY, "suivi prévu le", world.step)
    [f] = followups.pending_for(world.db, people.find_by_telegram_id(world.db, ROY))
    assert f.due_at == datetime.fromtimestamp(sent["date"], UTC) + timedelta(hours=2)

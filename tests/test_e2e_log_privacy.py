"""No personal data in the application's logs: a whole consultation, end to end through the
sandbox at RELAIS_LOG_LEVEL=DEBUG, with a distinctive name, health detail and phone number in
every place a person can type them (the request, relayed lines, a transfer note, a P-38.001
assessment's observations, the article 8 request and its acknowledgement, the readings, the
outcome and a follow-up's note), then a restart and the purge; everything the bot process
wrote (its log file holds its stdout and stderr) is scanned for each of them."""

from __future__ import annotations

import pytest

from flows import inbox
from flows.vocabulary import Role
from tests.support.e2e import TOKEN, World, running_world
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

OFFICER, ROY, WILSON = 1001, 2001, 2002
PERSON = "Anatole Brisebois-Kwan"  # the person in crisis (sample, invented)
HEALTH = "clozapine 450 mg"
PHONE = "514-555-0147"
OFFICER_NAME = "Zébulon Quintavalle"
WORKER_NAME = "Philomène Ouellette-ざ"
SECRETS = [
    "Anatole", "Brisebois", PERSON, "clozapine", "450 mg", PHONE, "5145550147",
    "Zébulon", "Quintavalle", "Philomène", "Ouellette", TOKEN.split(":")[1],
]  # fmt: skip
DETAIL = f"{PERSON}, sous {HEALTH}, sa mère au {PHONE}"


def everything_written(world: World) -> str:
    return world.bot.log_path.read_text(errors="replace")


def assert_clean(world: World) -> None:
    written = everything_written(world)
    leaked = [secret for secret in SECRETS if secret in written]
    assert leaked == [], [line for line in written.splitlines() if any(s in line for s in leaked)]


def test_a_whole_consultation_leaves_no_name_health_detail_or_phone_number_in_the_logs(
    db, tmp_path
):
    env = {"RELAIS_LOG_LEVEL": "DEBUG"}
    with running_world(db, tmp_path, env=env) as world:
        world.enrol(OFFICER, Role.OFFICER, OFFICER_NAME)
        world.enrol(ROY, Role.WORKER, WORKER_NAME)
        world.enrol(WILSON, Role.WORKER, "Sam Wilson", language_code="en")
        world.go_on(ROY)
        world.go_on(WILSON)
        ref = world.open_consultation(OFFICER, f"Crise: {DETAIL}")
        world.accept(ROY, ref)
        world.user.wait_for_text(OFFICER, "acceptée par", world.step)
        world.user.send_text(OFFICER, f"Il répète: {DETAIL}")
        world.user.wait_for_text(ROY, "Il répète", world.step)
        world.user.send_text(ROY, f"Rappelez le {PHONE} pour {PERSON}")
        world.user.wait_for_text(OFFICER, "Rappelez le", world.step)

        world.user.send_text(ROY, "/assessment")
        danger = world.user.wait_for_text(ROY, "Selon votre jugement", world.step)
        world.user.press(ROY, danger["message_id"], text="Danger grave et immédiat pour autrui")
        world.user.wait_for_text(ROY, "principales observations", world.step)
        world.user.send_text(ROY, f"Observations: {DETAIL}")
        decision = world.user.wait_for_text(ROY, "Quelle est votre décision", world.step)
        world.user.press(
            ROY, decision["message_id"], text="Demande à l'agent·e en vertu de l'article 8"
        )
        request = world.user.wait_for_text(OFFICER, "ARTICLE 8", world.step)
        world.user.press(OFFICER, request["message_id"], text="Confirmer la réception")
        world.user.wait_for_text(ROY, "a confirmé la réception", world.step)
        world.user.send_text(OFFICER, f"/assessments {ref}")
        world.user.wait_for_text(OFFICER, "Évaluations P-38.001", world.step)
        world.user.send_text(ROY, f"/timeline {ref}")
        world.user.wait_for_text(ROY, f"{ref} · en cours", world.step)

        world.user.send_text(ROY, f"/transfer {ref} {DETAIL}")
        pick = world.user.wait_for(
            ROY,
            lambda m: bool(m.get("reply_markup")) and "Sam Wilson" in str(m["reply_markup"]),
            world.step,
            description="the transfer choice",
        )
        world.user.press(ROY, pick["message_id"], text="Sam Wilson")
        world.user.wait_for_text(WILSON, DETAIL, world.step)  # the note reaches the colleague
        world.user.send_text(WILSON, "/close")
        outcome = world.user.wait_for_text(WILSON, "What was the outcome", world.step)
        world.user.press(WILSON, outcome["message_id"], text="Voluntary transport to hospital")
        plan = world.user.wait_for_text(WILSON, "plan a follow-up", world.step)
        world.user.press(WILSON, plan["message_id"], text="In 24 h")
        world.user.wait_for_text(WILSON, "Type a short note", world.step)
        world.user.send_text(WILSON, f"Call {PERSON}'s mother at {PHONE} about {HEALTH}")
        world.user.wait_for_text(WILSON, "Note saved", world.step)
        wait_until(lambda: not inbox.unhandled(world.db), world.step, "every update handled")
        assert " DEBUG " in everything_written(world)  # DEBUG really was on
        assert_clean(world)

        world.bot.stop()  # a restart replays, resends and purges: its lines are scanned too
        world.restart()
        world.user.send_text(OFFICER, f"Nouvelle demande: {DETAIL}")
        world.user.wait_for_text(OFFICER, "Quelle catégorie", world.step)
        wait_until(lambda: "polling (" in everything_written(world).split("stopping")[-1],
                   world.step, "the restarted bot polling")  # fmt: skip
        assert_clean(world)

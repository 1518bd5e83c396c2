"""End to end, through the real bot and the sandbox: delivery under Telegram's limits and
through the faults Telegram shows (429 with retry_after, 5xx, connection resets, answers
slower than the client's timeout, a getUpdates that answers a batch again, a user who
blocks the bot), and a start-up that meets them on its first calls. Every numbered line is
counted: each arrives, none twice (except after a time-out, where Telegram may have
delivered what the bot could not know was delivered: at most one duplicate)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.store import Database
from flows.vocabulary import Role
from sandbox import SandboxServer
from tests.support.e2e import PRODUCT_PACING, TOKEN, World, card_button, running_world
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

OFFICER, ROY, WILSON, CHIEF = 1001, 2001, 2002, 3001
FAILED = "n'a pas pu être transmis"


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """The bot with the shipped pacing per chat: these tests are about Telegram's limits."""
    with running_world(db, tmp_path, PRODUCT_PACING) as running:
        yield running


def team(world: World, *, chief: bool = False) -> None:
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    if chief:
        world.enrol(CHIEF, Role.SUPERVISOR, "Chef Lavoie")


def numbered(world: World, chat_id: int, tag: str) -> Counter[int]:
    """How many times each numbered line `tag-N` reached this chat."""
    found: Counter[int] = Counter()
    for text in world.texts(chat_id):
        for number in re.findall(rf"\b{tag}-(\d+)\b", text):
            found[int(number)] += 1
    return found


def all_arrived(world: World, chat_id: int, tag: str, count: int, timeout: float) -> Counter[int]:
    wait_until(
        lambda: set(numbered(world, chat_id, tag)) >= set(range(1, count + 1)),
        timeout,
        f"{count} lines {tag} in chat {chat_id}",
    )
    return numbered(world, chat_id, tag)


def accepted(world: World) -> str:
    ref = world.open_consultation(OFFICER, "Homme agité devant le dépanneur.")
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)
    return ref


def exchange(world: World, lines: int) -> None:
    """Officer and worker each send numbered lines, interleaved."""
    for i in range(1, lines + 1):
        world.user.send_text(OFFICER, f"agent-{i}")
        world.user.send_text(ROY, f"roy-{i}")


def test_queued_and_live_messages_share_a_chat_under_telegrams_limits_without_a_429(world):
    team(world)
    world.user.set_limits(True)
    before = world.user.fault_counts()["429"]
    ref = world.open_consultation(OFFICER, "Homme agité devant le dépanneur.")
    for i in range(1, 9):  # queued for whoever accepts: they arrive with the accept
        world.user.send_text(OFFICER, f"file-{i}")
    wait_until(
        lambda: sum("message gardé" in t for t in world.texts(OFFICER)) >= 8,
        world.step,
        "the eight lines kept for whoever accepts",
    )
    world.accept(ROY, ref)
    for i in range(1, 9):  # live lines, competing with the queued ones for Roy's chat
        world.user.send_text(OFFICER, f"direct-{i}")
    queued = all_arrived(world, ROY, "file", 8, 60)
    live = all_arrived(world, ROY, "direct", 8, 60)
    assert max(queued.values()) == 1 and max(live.values()) == 1
    assert not any(FAILED in t for t in world.texts(OFFICER))
    assert world.user.fault_counts()["429"] == before  # the limiter kept under the limits


def test_an_immediate_requests_card_passes_older_advice_cards_in_a_workers_chat(world):
    officers = [OFFICER + 100 + i for i in range(1, 9)]  # one open request per officer
    for i, officer in enumerate([OFFICER, *officers]):
        world.enrol(officer, Role.OFFICER, f"Agent Numéro{i}")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    advice = [
        world.open_consultation(officer, f"Conseil demandé, dossier {i}.", urgency="Conseil")
        for i, officer in enumerate(officers, 1)
    ]  # nobody available: they wait, and going on offers them all at once (a burst)
    prompt = urgency_question(world, OFFICER, "Homme armé, menace de sauter.")
    world.go_on(ROY)  # eight advice cards for Roy, whose chat takes 1 message a second
    world.user.press(OFFICER, prompt, text="Immédiate (danger maintenant)")
    immediate = re.search(r"C-\d{4,}", sent_answer(world, OFFICER, prompt)).group(0)  # type: ignore[union-attr]
    for ref in [*advice, immediate]:
        world.card(ROY, ref)
    cards = [
        next(i for i, text in enumerate(world.texts(ROY)) if f"{ref}\n" in text)
        for ref in [*advice, immediate]
    ]
    assert cards[:-1] == sorted(cards[:-1])  # the advice cards, in the order decided
    assert sum(at > cards[-1] for at in cards[:-1]) >= 4, cards  # it did not wait for all


def urgency_question(world: World, officer_id: int, text: str) -> int:
    """The officer writes and taps a category; the prompt's id, now asking the urgency."""
    before = world.last_id(officer_id)
    world.user.send_text(officer_id, text)
    prompt = world.user.wait_for(
        officer_id,
        lambda m: m["message_id"] > before and "Quelle catégorie" in m.get("text", ""),
        world.step,
        description="the category question",
    )
    world.user.press(officer_id, prompt["message_id"], text="Santé mentale")
    world.user.wait_for(
        officer_id,
        lambda m: m["message_id"] == prompt["message_id"] and "Quelle urgence" in m["text"],
        world.step,
        description="the urgency question",
    )
    return int(prompt["message_id"])


def sent_answer(world: World, officer_id: int, prompt: int) -> str:
    answer = world.user.wait_for(
        officer_id,
        lambda m: m["message_id"] > prompt and "envoyée" in m.get("text", ""),
        world.step,
        description="the request sent",
    )
    return str(answer["text"])


def test_shares_of_429_and_bad_gateway_and_resets_lose_nothing_and_duplicate_nothing(world):
    team(world)
    accepted(world)
    world.user.inject_flood(chat_id=ROY, retry_after=1, count=1)  # one 429 for certain
    world.user.inject_share(0.25, error_code=429, retry_after=1)
    world.user.inject_share(0.15, error_code=502)
    world.user.inject_share(0.1, error_code=500)
    world.user.inject_reset(count=1_000_000, share=0.1)
    exchange(world, 12)
    to_roy = all_arrived(world, ROY, "agent", 12, 90)
    to_officer = all_arrived(world, OFFICER, "roy", 12, 90)
    injected = world.user.fault_counts()["injected"]
    world.user.clear_faults()
    assert sum(injected.values()) >= 5, injected  # the faults did happen
    assert max(to_roy.values()) == 1 and max(to_officer.values()) == 1
    assert not any(FAILED in t for t in world.texts(OFFICER) + world.texts(ROY))
    log = world.bot.log_path.read_text()
    assert "flood control on" in log  # a warning, waited out
    assert "Rate limit hit" not in log  # not the library's ERROR and traceback as well


def test_an_answer_slower_than_the_timeout_is_sent_again_at_most_once(world):
    team(world)
    accepted(world)
    world.user.inject_delay(method="sendMessage", chat_id=ROY, seconds=7, count=1)
    world.user.send_text(OFFICER, "lent-1")
    world.user.send_text(OFFICER, "lent-2")
    counts = all_arrived(world, ROY, "lent", 2, 60)
    assert counts[1] in (1, 2)  # delivered, but the bot was not told: sent once more
    assert counts[2] == 1


def test_a_batch_getupdates_answers_again_is_not_handled_twice(world):
    team(world)
    accepted(world)
    world.user.inject_repeat(count=3)
    for i in range(1, 7):
        world.user.send_text(OFFICER, f"encore-{i}")
    counts = all_arrived(world, ROY, "encore", 6, 60)
    assert max(counts.values()) == 1


def test_a_worker_who_blocked_the_bot_is_skipped_and_supervisors_are_told_once(world):
    team(world, chief=True)
    world.user.block(ROY)
    world.user.wait_for_text(CHIEF, "Marie Roy a bloqué le bot", world.step)
    ref = world.open_consultation(OFFICER, "Femme en détresse au parc.")
    world.card(CHIEF, ref)  # nobody else: offered to the supervisors at once
    assert not any(ref in t for t in world.texts(ROY))

    world.user.send_text(OFFICER, "/close")
    world.user.wait_for_text(OFFICER, f"{ref} fermée", world.step)
    world.user.unblock(ROY)
    world.user.wait_for_text(CHIEF, "Marie Roy a débloqué le bot", world.step)
    again = world.open_consultation(OFFICER, "Homme confus près du métro.")
    world.card(ROY, again)
    said = [t for t in world.texts(CHIEF) if "a bloqué le bot" in t]
    assert len(said) == 1


def test_a_worker_who_unblocks_the_bot_is_offered_at_once_what_still_waits(world):
    team(world, chief=True)
    ref = world.open_consultation(OFFICER, "Femme en détresse au parc.")
    world.card(ROY, ref)
    world.user.block(ROY)  # her offer is declined for her: on to the supervisors
    world.user.wait_for_text(CHIEF, "Marie Roy a bloqué le bot", world.step)
    world.card(CHIEF, ref)
    before = world.last_id(ROY)
    world.user.unblock(ROY)
    card = world.user.wait_for(
        ROY,
        lambda m: m["message_id"] > before and f"{ref}\n" in m["text"] and m.get("reply_markup"),
        world.step,
        description="a new offer card at the unblock",
    )
    query = world.user.press(ROY, card["message_id"], data=card_button(card))
    world.user.wait_for_callback_answer(query, world.step)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)


def test_a_holder_who_blocks_the_bot_has_the_case_offered_again_at_once(world):
    team(world, chief=True)
    ref = world.open_consultation(OFFICER, "Homme sur le pont, très agité.")
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)
    world.user.block(ROY)
    told = world.user.wait_for_text(CHIEF, "Marie Roy a bloqué le bot alors", world.step)
    assert ref in told["text"]
    world.card(CHIEF, ref)  # nobody else available: the supervisors, at once
    line = world.user.wait_for_text(OFFICER, "n'est plus disponible", world.step)
    assert line["text"].startswith(f"{ref} : la personne qui suivait votre demande")
    assert "superviseur" in line["text"]
    world.user.send_text(OFFICER, "Il sort un couteau.")  # kept for whoever takes it
    world.accept(CHIEF, ref)
    world.user.wait_for_text(CHIEF, "Il sort un couteau.", world.step)


def test_an_officer_who_blocks_the_bot_mid_consultation(world):
    team(world, chief=True)
    ref = world.open_consultation(OFFICER, "Homme sur le pont, très agité.")
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)
    world.user.block(OFFICER)
    told = world.user.wait_for_text(CHIEF, "Julie Tremblay a bloqué le bot", world.step)
    assert ref in told["text"] and "demande" not in told["text"]  # never offered any
    blocked = f"{ref} : Julie Tremblay a bloqué le bot"
    world.user.wait_for_text(ROY, blocked, world.step)  # the holder, at once
    world.user.send_text(ROY, "Je suis en route.")
    wait_until(lambda: sum(blocked in t for t in world.texts(ROY)) == 2, world.step, "told")
    assert not any(FAILED in t for t in world.texts(ROY))  # no "try again, call 811"
    world.user.unblock(OFFICER)
    back = world.user.wait_for_text(CHIEF, "Julie Tremblay a débloqué le bot", world.step)
    assert ref in back["text"]
    world.user.wait_for_text(ROY, f"{ref} : Julie Tremblay a débloqué le bot", world.step)


def test_an_offer_refused_with_403_counts_as_declined_and_the_request_moves_on(world):
    team(world, chief=True)
    world.user.inject_error(
        method="sendMessage",
        chat_id=ROY,
        error_code=403,
        description="Forbidden: bot was blocked by the user",
        count=1,
    )
    ref = world.open_consultation(OFFICER, "Adolescent en fugue, refuse de parler.")
    world.card(CHIEF, ref)  # at once, not at the end of the 3-minute window
    world.user.wait_for_text(CHIEF, "Marie Roy a bloqué le bot", world.step)


@pytest.fixture
def late_world(db: Database, tmp_path: Path) -> Iterator[tuple[SandboxServer, World]]:
    """A sandbox whose faults are set before the bot starts."""
    with SandboxServer(token=TOKEN) as sandbox:
        world = World(sandbox, db, tmp_path, PRODUCT_PACING)
        try:
            yield sandbox, world
        except BaseException:
            print("---- bot log ----\n" + world.bot.log_tail(80))
            raise
        finally:
            world.close()


def test_start_up_waits_out_a_429_and_network_errors_on_its_first_calls(late_world):
    _sandbox, world = late_world
    world.user.inject_flood(method="getMe", retry_after=1, count=2)
    world.user.inject_error(method="getMe", error_code=502, count=1)
    world.user.inject_reset(method="deleteWebhook", count=1)
    world.bot.start()
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    log = world.bot.log_path.read_text()
    assert log.count("start-up: the Bot API answered") >= 3
    assert world.bot.running


def test_the_bot_polls_on_through_getupdates_failures(world):
    team(world)
    world.user.inject_error(method="getUpdates", error_code=502, count=2)
    world.user.inject_reset(method="getUpdates", count=1)
    world.user.send_text(ROY, "/status")
    world.user.wait_for(ROY, lambda m: "disponible" in m.get("text", ""), 60)

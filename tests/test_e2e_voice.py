"""End to end: what an officer says rather than types. A long voice note and a round video
note reach the worker marked with the reference and the sender (a video note has no
caption, so a header goes first and the copy replies to it); the worker's answer by voice,
as a reply to the officer's note, is routed back like a text."""

from __future__ import annotations

import pytest

from flows import events, views
from flows.vocabulary import EventKind, Role

pytestmark = pytest.mark.e2e

OFFICER, ROY = 1001, 2001


def test_voice_and_video_notes_both_ways_are_marked_and_routed(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Homme en crise, il refuse de parler")
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)

    world.user.send_voice(OFFICER, duration=240)  # four minutes: a long voice note
    voice = world.user.wait_for(ROY, lambda m: "voice" in m, world.step)
    assert voice["voice"]["duration"] == 240
    assert voice["caption"] == f"{ref} · Julie Tremblay :"
    assert "forward_origin" not in voice  # copied, never forwarded

    world.user.send_video_note(OFFICER, duration=45)
    note = world.user.wait_for(ROY, lambda m: "video_note" in m, world.step)
    assert note["video_note"]["duration"] == 45
    header = next(m for m in world.user.messages(ROY) if m["message_id"] == note["message_id"] - 1)
    assert header["text"].startswith(f"{ref} · Julie Tremblay")
    assert note.get("reply_to_message", {}).get("message_id") == header["message_id"]

    world.user.send_voice(ROY, duration=20, reply_to=voice["message_id"])  # reply by voice
    answer = world.user.wait_for(OFFICER, lambda m: "voice" in m, world.step)
    assert answer["voice"]["duration"] == 20
    assert answer["caption"] == f"{ref} · Marie Roy :"

    world.user.send_video_note(ROY, duration=15)  # not a reply: routed to the one case held
    back = world.user.wait_for(OFFICER, lambda m: "video_note" in m, world.step)
    assert back["video_note"]["duration"] == 15

    c = views.get_view(world.db, views.parse_reference(ref))
    relayed = [
        e.data["kind"]
        for e in events.timeline(world.db, c.id)
        if e.kind == EventKind.MESSAGE_RELAYED
    ]
    assert relayed == ["voice", "video_note", "voice", "video_note"]

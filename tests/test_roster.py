"""A supervisor's /shifts add and /shifts remove as use cases: the roster changed and the
answer recorded together; a mistake changes nothing and says what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.i18n import t
from bot.render.notices import Context, Text, steps_of
from flows import availability, outbox, roster
from flows.directory import DirectoryHolder
from flows.vocabulary import Role
from tests.support.people import enrol
from tests.support.units import act, last_notice_id, notices


def test_added_shifts_are_stored_and_listed_back_to_the_supervisor(db, clock):
    chief = enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie", language_code="en")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    added = act(
        db, clock, availability.add_shifts, chief.id, roy.id, "mon-tue", "22:00-06:00", "garde"
    )
    assert [(s.day, s.starts, s.ends, s.on_call) for s in added] == [
        ("mon", "22:00", "06:00", True),
        ("tue", "22:00", "06:00", True),
    ]
    assert roster.list_shifts(db) == added
    [(chat, kind, params)] = notices(db)
    assert (chat, kind) == (chief.chat_id, "roster")
    assert [s["id"] for s in params["shifts"]] == [s.id for s in added]
    [notice] = outbox.unsent(db)
    [step] = steps_of(notice, Context(DirectoryHolder(Path("")), clock(), "811"))
    assert isinstance(step, Text)
    lines = step.text.splitlines()
    assert lines[0] == t("en", "roster.added")
    assert lines[1].startswith(f"#{added[0].id} ") and "Marie Roy" in lines[1]


def test_a_wrong_day_adds_nothing_and_says_what_to_fix(db, clock):
    chief = enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    assert act(db, clock, availability.add_shifts, chief.id, roy.id, "someday", "08:00-16:00") == []
    assert roster.list_shifts(db) == []
    [(_, kind, params)] = notices(db)
    assert kind == "say" and params["key"] == "roster.invalid"
    assert "someday" in params["values"]["problem"]


def test_a_word_other_than_oncall_after_the_hours_is_refused(db, clock):
    chief = enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    act(db, clock, availability.add_shifts, chief.id, roy.id, "mon", "08:00-16:00", "maybe")
    assert roster.list_shifts(db) == []
    assert notices(db)[0][2] == {"key": "roster.invalid", "values": {"problem": "maybe"}}


def test_shifts_are_for_workers_only(db, clock):
    chief = enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie")
    act(db, clock, availability.add_shifts, chief.id, chief.id, "mon", "08:00-16:00")
    assert roster.list_shifts(db) == []
    assert notices(db)[0][2]["key"] == "roster.invalid"


def test_removing_a_shift_says_whether_there_was_one(db, clock):
    chief = enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    [shift] = roster.add_shifts(db, roy.id, "mon", "08:00-16:00", False, clock)
    after = last_notice_id(db)
    assert act(db, clock, availability.remove_shift, chief.id, shift.id)
    assert not act(db, clock, availability.remove_shift, chief.id, shift.id)
    assert roster.list_shifts(db) == []
    assert [(p["key"], p["values"]) for _, _, p in notices(db, after)] == [
        ("roster.removed", {"id": shift.id}),
        ("roster.no_such_shift", {"id": shift.id}),
    ]


def test_a_shift_asked_for_again_is_not_added_twice_and_an_overlap_is_named(db, clock):
    chief = enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie", language_code="en")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    [first] = act(db, clock, availability.add_shifts, chief.id, roy.id, "mon", "08:00-16:00")
    before = last_notice_id(db)

    assert act(db, clock, availability.add_shifts, chief.id, roy.id, "mon", "08:00-16:00") == []
    [later] = act(db, clock, availability.add_shifts, chief.id, roy.id, "mon", "10:00-12:00")

    assert [s.id for s in roster.list_shifts(db)] == [first.id, later.id]
    texts = [
        step.text
        for n in outbox.unsent(db)
        if n.id > before
        for step in steps_of(n, Context(DirectoryHolder(Path("")), clock(), "811"))
        if isinstance(step, Text)
    ]
    assert texts[0].startswith(t("en", "roster.already")) and f"#{first.id} " in texts[0]
    added, overlapped = texts[1].split("\n\n")
    assert added.startswith(t("en", "roster.added")) and f"#{later.id} " in added
    assert overlapped.startswith(t("en", "roster.overlaps")) and f"#{first.id} " in overlapped


def test_the_roster_listing_says_whose_shifts_belong_to_someone_revoked(db, clock):
    from flows import enrolment

    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    gone = enrol(db, clock, Role.WORKER, "Rene Parti")
    roster.add_checked(db, roy.id, "mon", "08:00-16:00", False, clock)
    roster.add_checked(db, gone.id, "tue", "08:00-16:00", False, clock)
    enrolment.revoke(db, gone.id, clock)
    assert [(s.person_name, s.revoked) for s in roster.list_shifts(db)] == [
        ("Marie Roy", False), ("Rene Parti", True),
    ]  # fmt: skip


@pytest.mark.parametrize(("lang", "mark"), [("fr", "accès révoqué"), ("en", "revoked")])
def test_the_chat_roster_marks_the_shifts_of_someone_revoked(db, clock, lang, mark):
    from bot.render import roster_text
    from flows import enrolment

    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    gone = enrol(db, clock, Role.WORKER, "Rene Parti")
    roster.add_checked(db, roy.id, "mon", "08:00-16:00", False, clock)
    roster.add_checked(db, gone.id, "tue", "08:00-16:00", False, clock)
    enrolment.revoke(db, gone.id, clock)
    lines = roster_text(lang, roster.list_shifts(db)).splitlines()
    [roys] = [line for line in lines if "Marie Roy" in line]
    [gones] = [line for line in lines if "Rene Parti" in line]
    assert mark not in roys and gones.endswith(mark)
    assert lines[-1].startswith("1 ") and "/shifts remove" in lines[-1]

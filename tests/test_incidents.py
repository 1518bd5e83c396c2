"""The officer's police-side facts (issue 12): the incident number (set, corrected, refused
when malformed) and scene cleared (recorded once, the holder told), each an event; the
accept and close messages carry their buttons."""

from __future__ import annotations

from flows import consultations as cs
from flows import incidents
from flows.incidents import IncidentStatus, SceneStatus
from flows.store import Database
from flows.vocabulary import EventKind, Role
from tests.support.clock import FakeClock
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, recorded
from tests.test_use_cases import accepted, kinds, said


def _pair(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    return officer, worker


def test_the_accept_message_carries_the_incident_and_scene_buttons(any_db: Database, clock):
    officer, worker = _pair(any_db, clock)
    before = last_notice_id(any_db)
    cid = accepted(any_db, clock, officer, worker)
    accept_lines = ("consult.accepted", "consult.accepted_key")  # the key still asked or not
    told = [n for n in recorded(any_db, before) if n.params.get("key") in accept_lines]
    assert [n.params["buttons"] for n in told] == [["scene", cid]]


def test_an_incident_number_is_recorded_then_corrected(any_db: Database, clock: FakeClock):
    officer, worker = _pair(any_db, clock)
    cid = accepted(any_db, clock, officer, worker)
    first = act(any_db, clock, incidents.set_incident, officer.id, None, "2026-12345")
    assert (first.status, first.number) == (IncidentStatus.SET, "2026-12345")
    before = last_notice_id(any_db)
    again = act(any_db, clock, incidents.set_incident, officer.id, cid, "2026-12346")
    assert again.status == IncidentStatus.CHANGED
    [told] = recorded(any_db, before)
    assert said(told)[1:] == (
        "incident.changed",
        {"ref": f"C-{cid:04d}", "number": "2026-12346", "before": "2026-12345"},
    )
    assert kinds(any_db, cid).count(EventKind.INCIDENT_NUMBER_SET) == 2
    same = act(any_db, clock, incidents.set_incident, officer.id, cid, "2026-12346")
    assert same.status == IncidentStatus.UNCHANGED
    assert kinds(any_db, cid).count(EventKind.INCIDENT_NUMBER_SET) == 2


def test_a_malformed_incident_number_is_refused_and_records_nothing(db: Database, clock):
    officer, worker = _pair(db, clock)
    cid = accepted(db, clock, officer, worker)
    before = last_notice_id(db)
    for bad in ("", "hello world!", "x" * 41, "-12"):
        result = act(db, clock, incidents.set_incident, officer.id, None, bad)
        assert result.status == IncidentStatus.INVALID
    assert {said(n)[1] for n in recorded(db, before)} == {"incident.invalid"}
    assert EventKind.INCIDENT_NUMBER_SET not in kinds(db, cid)


def test_an_incident_number_for_someone_elses_consultation_is_refused(db: Database, clock):
    officer, worker = _pair(db, clock)
    other = enrol(db, clock, Role.OFFICER, "Agent Côté")
    cid = accepted(db, clock, officer, worker)
    result = act(db, clock, incidents.set_incident, other.id, cid, "2026-1")
    assert result.status == IncidentStatus.NOT_YOURS
    nothing = act(db, clock, incidents.set_incident, other.id, None, "2026-1")
    assert nothing.status == IncidentStatus.NOTHING


def test_the_command_arguments_name_a_consultation_only_with_its_c(db: Database):
    assert incidents.parse_incident_args(["C-0042", "2026-12345"]) == (42, "2026-12345")
    assert incidents.parse_incident_args(["2026-12345"]) == (None, "2026-12345")
    assert incidents.parse_incident_args(["2026", "12345"]) == (None, "2026 12345")
    assert incidents.parse_incident_args([]) == (None, "")


def test_scene_cleared_is_recorded_once_and_the_holder_is_told(any_db: Database, clock):
    officer, worker = _pair(any_db, clock)
    cid = accepted(any_db, clock, officer, worker)
    clock.advance(minutes=20)
    before = last_notice_id(any_db)
    assert act(any_db, clock, incidents.clear_scene, officer.id, cid) == SceneStatus.CLEARED
    told = recorded(any_db, before)
    assert [(n.chat_id, n.params["key"]) for n in told] == [
        (officer.chat_id, "scene.cleared"),
        (worker.chat_id, "scene.cleared_holder"),
    ]
    assert act(any_db, clock, incidents.clear_scene, officer.id, cid) == SceneStatus.ALREADY
    assert kinds(any_db, cid).count(EventKind.SCENE_CLEARED) == 1


def test_close_offers_scene_cleared_only_when_not_yet_cleared(db: Database, clock: FakeClock):
    officer, worker = _pair(db, clock)
    first = accepted(db, clock, officer, worker)
    before = last_notice_id(db)
    act(db, clock, cs.close, officer, first, POLICY)
    [done] = [n for n in recorded(db, before) if n.params.get("key") == "close.done_officer"]
    assert done.params["buttons"] == ["scene_cleared", first]
    second = accepted(db, clock, officer, worker)
    act(db, clock, incidents.clear_scene, officer.id, second)
    before = last_notice_id(db)
    act(db, clock, cs.close, worker, second, POLICY)
    [told] = [n for n in recorded(db, before) if n.params.get("key") == "close.closed_by_worker"]
    assert "buttons" not in told.params


def test_the_incident_button_explains_the_command(db: Database, clock: FakeClock):
    officer, worker = _pair(db, clock)
    cid = accepted(db, clock, officer, worker)
    before = last_notice_id(db)
    assert act(db, clock, incidents.explain_incident, officer.id, cid) is True
    [how] = recorded(db, before)
    assert said(how)[1] == "incident.how"
    assert act(db, clock, incidents.explain_incident, worker.id, cid) is False

"""Who may read a consultation, its timeline and its assessments, enforced in flows/: every
forbidden read through the use cases is refused (and records nothing), every allowed one
works: officers their own, workers what they hold, held or were offered, supervisors all."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from flows import access, assessments, enrolment, handover, relaying, timelines
from flows import consultations as cs
from flows import events as event_log
from flows.access import Refused
from flows.vocabulary import Category, EventKind, NoticeKind, Role, Urgency
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, recorded

ZONE = ZoneInfo("America/Montreal")
READS = {
    "consultation": access.consultation,
    "timeline": timelines.read,
    "assessments": assessments.read,
}


@pytest.fixture
def service(any_db, clock):
    """Two officers, three workers (one never offered anything), a supervisor; one case of
    officer A accepted by Roy with Wilson also offered, so far."""
    db = any_db
    people = {
        "officer_a": enrol(db, clock, Role.OFFICER, "Julie Tremblay"),
        "officer_b": enrol(db, clock, Role.OFFICER, "Paul Gagnon"),
        "roy": enrol(db, clock, Role.WORKER, "Marie Roy", available=True),
        "wilson": enrol(db, clock, Role.WORKER, "Sam Wilson", available=True),
        "supervisor": enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie"),
    }
    a = people["officer_a"]
    c = act(db, clock, relaying.open_draft, a.id, "Femme désorientée sur le quai")
    act(db, clock, cs.set_category, a.id, c.id, Category.ELDER)
    act(db, clock, cs.submit, a.id, c.id, Urgency.URGENT, POLICY)
    act(db, clock, cs.accept, people["roy"].id, c.id, POLICY)
    people["latecomer"] = enrol(db, clock, Role.WORKER, "Léa Côté", available=True)  # after
    return db, clock, people, c.id


def test_each_forbidden_read_is_refused_and_records_nothing(service):
    db, clock, people, cid = service
    before = len(event_log.timeline(db, cid))
    for what, read in READS.items():
        for reader in ("officer_b", "latecomer"):  # another officer's; never offered it
            with pytest.raises(Refused):
                act(db, clock, read, people[reader].id, cid)
                pytest.fail(f"{reader} read the {what}")
        with pytest.raises(Refused):  # an unknown consultation: the same refusal
            act(db, clock, read, people["supervisor"].id, 9999)
    assert len(event_log.timeline(db, cid)) == before  # no reading recorded


def test_the_officer_the_holder_an_offered_worker_and_supervisors_may_read(service):
    db, clock, people, cid = service
    for read in READS.values():
        for reader in ("officer_a", "roy", "wilson", "supervisor"):
            act(db, clock, read, people[reader].id, cid)  # no Refused


def test_a_revoked_worker_reads_nothing_even_what_they_held(service):
    db, clock, people, cid = service
    act(db, clock, cs.close, people["officer_a"], cid, POLICY)
    enrolment.revoke(db, people["roy"].id, clock)
    for read in READS.values():
        with pytest.raises(Refused):
            act(db, clock, read, people["roy"].id, cid)


def test_the_previous_holder_may_still_read_after_a_transfer(service):
    db, clock, people, cid = service
    roy, latecomer = people["roy"], people["latecomer"]
    with pytest.raises(Refused):
        act(db, clock, timelines.read, latecomer.id, cid)
    done = act(db, clock, handover.transfer, roy.id, cid, latecomer.id, POLICY)
    assert done.status == handover.HandoverStatus.DONE
    act(db, clock, timelines.read, latecomer.id, cid)  # the new holder
    act(db, clock, timelines.read, roy.id, cid)  # the previous one
    act(db, clock, assessments.read, roy.id, cid)


def test_the_bot_reads_refuse_with_one_sentence(service):
    db, clock, people, cid = service
    for show in (
        lambda who: act(db, clock, timelines.show, who.id, cid, ZONE),
        lambda who: act(db, clock, assessments.show, who.id, cid, ZONE),
    ):
        before = last_notice_id(db)
        show(people["officer_b"])
        sent = recorded(db, before)
        assert [(n.chat_id, n.kind, n.params["key"]) for n in sent] == [
            (people["officer_b"].chat_id, NoticeKind.SAY, "access.refused")
        ]
    before = last_notice_id(db)
    act(db, clock, timelines.show, people["officer_a"].id, cid, ZONE)
    assert [n.kind for n in recorded(db, before)] == [NoticeKind.TIMELINE]


def test_starting_an_assessment_needs_the_consultation_in_hand(service):
    db, clock, people, cid = service
    for intruder in ("wilson", "supervisor", "officer_a"):
        result = act(db, clock, assessments.start, people[intruder].id, cid, ZONE)
        assert result.status == assessments.Status.NOT_YOURS
    assert EventKind.ASSESSMENT_STARTED not in [e.kind for e in event_log.timeline(db, cid)]


def test_a_supervisor_who_took_it_over_may_assess(service):
    db, clock, people, cid = service
    taken = act(db, clock, handover.take_over, people["supervisor"].id, cid)
    assert taken.status == handover.HandoverStatus.DONE
    result = act(db, clock, assessments.start, people["supervisor"].id, cid, ZONE)
    assert result.status == assessments.Status.ASKED

"""Retention with an injected clock, on SQLite and PostgreSQL: free text older than the period
is purged (message text and places in events, requests, transfer notes, follow-up notes and
outcome lines, assessment observations), transport copies much sooner (inbox payloads, sent
notices); the events and the figures stay; younger text is untouched; the dry run changes
nothing; `relais purge --dry-run` and `relais purge` print what would go / went."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from sqlalchemy import func, select, update

from flows import assessments, followups, handover, inbox, messages, relaying, retention
from flows import consultations as cs
from flows import events as event_log
from flows.followups import FollowUpPolicy
from flows.inbox import Received
from flows.models import Assessment, Consultation, Event, FollowUp, InboxUpdate, OutboxNotice
from flows.relaying import Incoming
from flows.retention import RetentionPolicy
from flows.store import Database
from flows.vocabulary import (
    Category,
    Danger,
    Decision,
    EventKind,
    OutboxState,
    Outcome,
    Plan,
    Role,
    Urgency,
)
from tests.support.people import POLICY, enrol
from tests.support.units import act

ZONE = ZoneInfo("America/Montreal")
FOLLOWUPS = FollowUpPolicy(zone=ZONE)
POLICY_2Y = RetentionPolicy()  # the defaults: two years, transport copies 30 days
SECRET = "Zéphyrin a avalé 40 comprimés"  # the free text that must go
PLACE = (45.50893, -73.56127)


def typed(db, clock, person, words, message_id, point=None):
    kind = "location" if point else "text"
    incoming = Incoming(person.telegram_user_id, message_id, kind, words, point=point)
    return act(db, clock, messages.receive, person.telegram_user_id, incoming, FOLLOWUPS)


def a_documented_case(db, clock, tag: str, ids: int) -> int:
    """A whole consultation with free text everywhere it can be: request, relayed lines,
    a place, a transfer note, an assessment's observations, a follow-up's note and outcome."""
    officer = enrol(db, clock, Role.OFFICER, f"Agent {tag}")
    roy = enrol(db, clock, Role.WORKER, f"Roy {tag}", available=True)
    wilson = enrol(db, clock, Role.WORKER, f"Wilson {tag}", available=True)
    c = act(db, clock, relaying.open_draft, officer.id, f"{SECRET} ({tag})")
    act(db, clock, cs.set_category, officer.id, c.id, Category.SUBSTANCE)
    act(db, clock, cs.submit, officer.id, c.id, Urgency.IMMEDIATE, POLICY)
    act(db, clock, cs.accept, roy.id, c.id, POLICY)
    typed(db, clock, officer, f"{SECRET}, il respire mal", ids + 1)
    typed(db, clock, officer, None, ids + 2, point=PLACE)
    typed(db, clock, roy, "Appelez le 911, position latérale", ids + 3)
    act(db, clock, handover.ask_transfer, roy.id, c.id, f"note: {SECRET}", POLICY)
    act(db, clock, handover.transfer, roy.id, c.id, wilson.id, POLICY)
    aid = act(db, clock, assessments.start, wilson.id, c.id, ZONE).assessment.id
    act(db, clock, assessments.set_danger, wilson.id, aid, Danger.SELF, ZONE)
    typed(db, clock, wilson, f"Observations: {SECRET}", ids + 4)
    act(db, clock, assessments.decide, wilson.id, aid, Decision.VOLUNTARY, ZONE)
    act(db, clock, cs.close, officer, c.id, POLICY)
    act(db, clock, cs.record_outcome, wilson.id, c.id, Outcome.VOLUNTARY_HOSPITAL)
    plan = act(db, clock, followups.plan, wilson.id, c.id, Plan.HOURS_24, ZONE)
    typed(db, clock, wilson, f"appeler sa sœur: {SECRET}", ids + 5)
    act(db, clock, followups.start_done, wilson.id, plan.followup.id)
    typed(db, clock, wilson, f"fait: {SECRET}", ids + 6)
    inbox.store_new(db, [Received(ids + 7, f'{{"message": "{SECRET}"}}')], clock)
    inbox.mark_handled(db, ids + 7, clock)
    with db.unit_of_work() as session:  # the dispatcher sent them all
        session.execute(update(OutboxNotice).values(state=OutboxState.SENT, sent_at=clock()))
    return c.id


def free_text_left(db: Database, cid: int) -> list[str]:
    """Every place the secret could still be, for this consultation (and the transport)."""
    with db.unit_of_work() as session:
        found = [
            str(e.data) for e in session.scalars(select(Event).where(Event.consultation_id == cid))
        ]
        c = session.get_one(Consultation, cid)
        found.append(c.request_text)
        found += [
            f"{f.note} {f.outcome_line}"
            for f in session.scalars(select(FollowUp).where(FollowUp.consultation_id == cid))
        ]
        found += [
            a.observations
            for a in session.scalars(select(Assessment).where(Assessment.consultation_id == cid))
        ]
    return [text for text in found if SECRET in text or str(PLACE[0]) in text]  # fmt: skip


def transport_left(db: Database) -> tuple[int, int]:
    with db.unit_of_work() as session:
        payloads = session.scalar(
            select(func.count())
            .select_from(InboxUpdate)
            .where(InboxUpdate.payload.contains(SECRET))
        )
        notices = session.scalar(select(func.count()).select_from(OutboxNotice))
        return int(payloads or 0), int(notices or 0)  # fmt: skip


def test_old_free_text_goes_and_the_events_and_figures_stay(any_db, clock):
    db = any_db
    old = a_documented_case(db, clock, "ancien", 100)
    kinds_before = [e.kind for e in event_log.timeline(db, old)]
    assert len(free_text_left(db, old)) >= 8
    clock.advance(days=729)
    young = a_documented_case(db, clock, "récent", 200)
    clock.advance(days=2)  # old is now 731 days old, young 2 days

    counted = retention.purge(db, clock, POLICY_2Y, dry_run=True)
    by_key = {p.key: p.rows for p in counted}
    assert by_key["events"] >= 5 and by_key["requests"] == 1 and by_key["followups"] == 1
    assert by_key["observations"] == 1 and by_key["payloads"] == 1
    assert by_key["notices"] > 0  # the old case's sent notices
    assert len(free_text_left(db, old)) >= 8  # the dry run changed nothing

    done = retention.purge(db, clock, POLICY_2Y)
    assert [(p.key, p.rows) for p in done] == [(p.key, p.rows) for p in counted]
    assert free_text_left(db, old) == []
    assert len(free_text_left(db, young)) >= 8  # two days old: kept
    assert [e.kind for e in event_log.timeline(db, old)] == kinds_before  # every event stays
    relayed = [e for e in event_log.timeline(db, old) if e.kind == EventKind.MESSAGE_RELAYED]
    assert all(
        e.data[retention.PURGED_MARK] == clock.now.date().isoformat() and "kind" in e.data
        for e in relayed
    )
    with db.unit_of_work() as session:  # the figures reports need
        c = session.get_one(Consultation, old)
        assert (c.category, c.urgency, c.outcome, c.state) == (
            Category.SUBSTANCE, Urgency.IMMEDIATE, Outcome.VOLUNTARY_HOSPITAL, c.state,
        )  # fmt: skip
        assert c.submitted_at and c.accepted_at and c.closed_at
        a = session.scalar(select(Assessment).where(Assessment.consultation_id == old))
        assert (a.danger, a.decision, a.recorded_at is not None) == (
            Danger.SELF, Decision.VOLUNTARY, True,
        )  # fmt: skip
    assert transport_left(db)[0] == 1  # the young case's: 2 days old, under 30
    assert all(p.rows == 0 for p in retention.purge(db, clock, POLICY_2Y))  # nothing twice


def test_transport_copies_go_after_their_much_shorter_period(db, clock):
    cid = a_documented_case(db, clock, "court", 300)
    assert transport_left(db)[0] == 1 and transport_left(db)[1] > 0
    clock.advance(days=29)
    assert {p.key: p.rows for p in retention.purge(db, clock, POLICY_2Y)}["payloads"] == 0
    clock.advance(days=2)
    retention.purge(db, clock, POLICY_2Y)
    assert transport_left(db) == (0, 0)
    assert len(free_text_left(db, cid)) >= 8  # the documentation itself stays two years


def test_the_period_is_the_configured_one(db, clock):
    cid = a_documented_case(db, clock, "config", 400)
    clock.advance(days=11)
    retention.purge(db, clock, RetentionPolicy(free_text=timedelta(days=10)))
    assert free_text_left(db, cid) == []


def test_a_purger_added_to_the_list_joins_the_purge(db, clock, monkeypatch):
    seen = []
    extra = retention.Purger(
        "extra", "another feature's text", lambda p: p.free_text,
        lambda session, cutoff: [7] if not seen else [],
        lambda session, ids, now: seen.append(ids),
    )  # fmt: skip
    monkeypatch.setattr(retention, "PURGERS", [*retention.PURGERS, extra])
    assert retention.purge(db, clock, POLICY_2Y, dry_run=True)[-1].rows == 1 and not seen
    assert retention.purge(db, clock, POLICY_2Y)[-1].rows == 1 and seen == [[7]]


def test_relais_purge_dry_run_then_purge(tmp_path: Path, monkeypatch, clock):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = Database(url)
    db.upgrade()
    clock.now = clock.now - timedelta(days=800)  # a case two years and more ago
    a_documented_case(db, clock, "cli", 500)
    runner = CliRunner()
    env = {"DATABASE_URL": url}
    dry = runner.invoke(main, ["purge", "--dry-run"], env=env, catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert "would purge      1  consultation requests" in dry.output
    assert "Nothing was changed (dry run)" in dry.output
    done = runner.invoke(main, ["purge"], env=env, catch_exceptions=False)
    assert "purged      1  consultation requests" in done.output
    again = runner.invoke(main, ["purge", "--dry-run"], env=env, catch_exceptions=False)
    assert "would purge      0  consultation requests" in again.output


def test_replaced_care_plan_versions_go_the_plan_in_force_stays(any_db, clock):
    """A care plan's history is free text like any other; the version in force is what the
    next handler must read, so it stays whatever its age."""
    from flows.models import CarePlan, Subject

    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy")
    with any_db.unit_of_work() as session:
        subject = Subject(key_hash="ab" * 32, created_at=clock())
        session.add(subject)
        session.flush()
        for version, words in ((1, "first plan"), (2, "second plan")):
            session.add(
                CarePlan(
                    subject_id=subject.id, version=version, what_works=words, risks="risks",
                    author_id=worker.id, created_at=clock(),
                )
            )  # fmt: skip
    clock.advance(days=731)
    purged = {p.key: p.rows for p in retention.purge(any_db, clock, POLICY_2Y)}
    assert purged["care_plans"] == 1
    with any_db.unit_of_work() as session:
        plans = session.execute(
            select(CarePlan.version, CarePlan.what_works, CarePlan.risks).order_by(CarePlan.version)
        ).all()
    assert [tuple(p) for p in plans] == [(1, "", ""), (2, "second plan", "risks")]

"""The rights of the person a consultation was about, through the command line and the
domain, on SQLite and PostgreSQL: the audit of every view (by person, by user, with the
views other features record as *_VIEWED events), the export of everything held, erasure
(the link and the free text go, anonymous events stay); and `relais run` refusing to start
toward Telegram without the subject-key secret."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.settings import load_settings
from flows import assessments, cases, messages, relaying, subject_records
from flows import consultations as cs
from flows import followups as fu
from flows.models import (
    Assessment,
    CarePlan,
    Consultation,
    Event,
    FollowUp,
    InboxUpdate,
    Person,
    Subject,
    SubjectEvent,
    SubjectLink,
)
from flows.store import Database
from flows.subject_keys import hash_of
from flows.subjects import Seen
from flows.vocabulary import Category, Danger, Decision, EventKind, Outcome, Plan, Role, Urgency
from tests.support.followups import FU_POLICY, MTL
from tests.support.messages import text
from tests.support.people import POLICY, enrol
from tests.support.units import act
from tests.test_subjects import about, handled, subject_id_of, team, write

KEY = "JT 1987"
SECRET = "cli-test-secret-0123456789"


def known_person(db, clock):
    """Two consultations about JT 1987 (one with a follow-up note), owned, with a plan."""
    officer, roy, gagnon = team(db, clock)
    first = handled(db, clock, officer, roy)
    planned = act(db, clock, fu.plan, roy.id, first, Plan.HOURS_24, MTL)
    act(db, clock, cases.aim_followup, roy.id, planned.followup.id, "family")
    act(db, clock, messages.receive, roy.telegram_user_id,
        text(roy, 50, "Appeler la mère, 514-555-0199"), FU_POLICY, POLICY)  # fmt: skip
    sid = subject_id_of(db, first)
    act(db, clock, cases.take_case, roy.id, sid)
    write(db, clock, roy, sid, 2, "Parle de se faire du mal quand il boit")
    clock.advance(days=3)
    second = about(db, clock, officer).consultation.id
    act(db, clock, cases.show_case, gagnon.id, sid, POLICY)
    return sid, [first, second], roy, gagnon


def test_the_audit_of_a_person_lists_every_view_with_who_and_when(any_db, clock):
    sid, (first, second), _, _ = known_person(any_db, clock)
    lines = subject_records.audit_of_subject(any_db, hash_of(KEY, POLICY.subjects.secret))
    assert lines is not None
    views = [(line.kind, line.actor, line.consultation) for line in lines
             if line.kind.endswith("_viewed")]  # fmt: skip
    assert (Seen.HISTORY_VIEWED, "Marie Roy", f"C-{second:04d}") in views
    assert (Seen.HISTORY_VIEWED, "Luc Gagnon", f"C-{first:04d}") in views
    assert (Seen.HISTORY_VIEWED, "Luc Gagnon", f"C-{second:04d}") not in views  # owner first
    assert (Seen.CASE_VIEWED, "Luc Gagnon", None) in views
    assert (Seen.CARE_PLAN_VIEWED, "Marie Roy", None) in views
    assert all(line.subject == f"P-{sid:04d}" for line in lines)
    assert [line.at for line in lines] == sorted(line.at for line in lines)
    assert subject_records.audit_of_subject(any_db, hash_of("ZZ 1999", b"x" * 20)) is None


def test_the_audit_shows_a_consultation_moved_off_the_person(any_db, clock):
    """/key C-0003 JT 1987, then /key C-0003 2024-012345: JT 1987's audit must not leave
    C-0003 looking like theirs; the other person's audit shows the correction, and nothing
    in JT 1987's says whom the consultation went to."""
    officer, roy, _ = team(any_db, clock)
    cid = about(any_db, clock, officer).consultation.id
    act(any_db, clock, cs.accept, roy.id, cid, POLICY)
    clock.advance(minutes=5)
    corrected = act(any_db, clock, cases.give_key, roy.id, "2024-012345", POLICY)
    assert corrected.status == cases.KeyStatus.CORRECTED
    ref = f"C-{cid:04d}"
    lines = subject_records.audit_of_subject(any_db, hash_of(KEY, POLICY.subjects.secret))
    assert lines is not None
    changes = [(line.kind, line.actor, line.consultation) for line in lines
               if line.kind.startswith("key_")]  # fmt: skip
    assert changes == [
        (Seen.KEY_LINKED, "Agent Julie Tremblay", ref),
        (Seen.KEY_UNLINKED, "Marie Roy", ref),
    ]
    assert lines[-1].details == {}
    other = subject_records.audit_of_subject(any_db, hash_of("2024-012345", POLICY.subjects.secret))
    assert [(line.kind, line.consultation) for line in other or []
            if line.kind.startswith("key_")] == [(Seen.KEY_CORRECTED, ref)]  # fmt: skip


def test_the_audit_of_a_user_lists_what_they_viewed(any_db, clock):
    known_person(any_db, clock)
    lines = subject_records.audit_of_user(any_db, "luc gagnon")
    assert lines is not None
    assert {line.kind for line in lines} == {Seen.HISTORY_VIEWED, Seen.CASE_VIEWED}
    assert subject_records.audit_of_user(any_db, "Nobody Here") is None


def test_the_audit_includes_views_other_features_record_as_events(any_db, clock, monkeypatch):
    """Another feature's view (e.g. an assessment viewed) is an event whose kind ends in
    _VIEWED in the consultations' log: the audit lists it with the person's."""
    _, (first, _), roy, _ = known_person(any_db, clock)
    monkeypatch.setattr(subject_records, "VIEWED_EVENT_KINDS", (EventKind.NOTE,))
    with any_db.unit_of_work() as session:
        session.add(Event(consultation_id=first, kind=EventKind.NOTE, actor_id=roy.id,
                          at=clock.now, data={}))  # fmt: skip
    lines = subject_records.audit_of_subject(any_db, hash_of(KEY, POLICY.subjects.secret))
    assert (EventKind.NOTE.value, "Marie Roy", f"C-{first:04d}") in [
        (line.kind, line.actor, line.consultation) for line in lines or []
    ]
    assert any(line.kind == EventKind.NOTE.value for line in
               subject_records.audit_of_user(any_db, "Marie Roy") or [])  # fmt: skip


def test_the_export_holds_everything_about_the_person(any_db, clock):
    sid, (first, second), _, _ = known_person(any_db, clock)
    data = subject_records.export_subject(any_db, hash_of(KEY, POLICY.subjects.secret), clock.now)
    assert data is not None
    dumped = json.dumps(data, ensure_ascii=False)
    assert data["subject"]["reference"] == f"P-{sid:04d}"
    assert data["subject"]["case_owner"] == "Marie Roy"
    assert [c["reference"] for c in data["consultations"]] == [f"C-{second:04d}", f"C-{first:04d}"]
    assert "Homme agité sur son balcon" in dumped
    assert "Parle de se faire du mal quand il boit" in dumped
    assert "Appeler la mère, 514-555-0199" in dumped
    assert data["follow_ups"][0]["aimed_at"] == "family"
    assert any(a["kind"] == Seen.CASE_VIEWED for a in data["audit"])
    assert "JT" not in dumped.replace("JT 1987", "")  # the key itself is not held
    with any_db.unit_of_work() as session:
        kinds = session.scalars(select(SubjectEvent.kind).where(SubjectEvent.subject_id == sid))
        assert Seen.EXPORTED in list(kinds)


def test_erasure_removes_the_link_and_the_free_text_and_keeps_anonymous_events(any_db, clock):
    sid, ids, _, _ = known_person(any_db, clock)
    with any_db.unit_of_work() as session:
        events_before = len(session.scalars(select(Event)).all())
    erased = subject_records.erase_subject(any_db, hash_of(KEY, POLICY.subjects.secret), clock.now)
    assert erased is not None and erased.consultations == 2 and erased.care_plan_versions == 1
    with any_db.unit_of_work() as session:
        assert session.get(Subject, sid) is None
        assert session.scalars(select(SubjectLink)).all() == []
        assert session.scalars(select(CarePlan)).all() == []
        rows = session.scalars(select(Consultation).where(Consultation.id.in_(ids))).all()
        assert [c.request_text for c in rows] == ["", ""]
        assert rows[0].outcome is not None and rows[0].category is not None  # figures stay
        assert all(f.note == "" for f in session.scalars(select(FollowUp)))
        events = session.scalars(select(Event)).all()
        assert len(events) == events_before
        assert all("text" not in e.data for e in events if e.consultation_id in ids)
        left = session.scalars(select(SubjectEvent)).all()
        assert left and all(e.subject_id is None for e in left)
        assert left[-1].kind == Seen.ERASED
    for table in ("consultations", "events", "follow_ups", "outbox", "subject_events"):
        with any_db.engine.connect() as conn:
            dump = str(conn.exec_driver_sql(f"SELECT * FROM {table}").fetchall())
        for words in ("balcon", "se faire du mal", "514-555-0199"):
            assert words not in dump, (table, words)
    assert (
        subject_records.erase_subject(any_db, hash_of(KEY, POLICY.subjects.secret), clock.now)
        is None
    )


OBSERVED = "Veut sauter du pont Jacques-Cartier"
DONE_LINE = "Hébergé chez sa soeur Line"
HELD = "Sa soeur Line dit qu'il a des armes"


def assessed_person(db, clock):
    """JT 1987's consultation with a recorded P-38.001 assessment (read once), closed, its
    follow-up done with an outcome line; then a note asked for a second follow-up while
    Roy holds another person's consultation, so Roy's next line is held for a choice."""
    officer, roy, _ = team(db, clock)
    cid = about(db, clock, officer).consultation.id
    act(db, clock, cs.accept, roy.id, cid, POLICY)
    aid = act(db, clock, assessments.start, roy.id, cid, MTL).assessment.id
    act(db, clock, assessments.set_danger, roy.id, aid, Danger.SELF, MTL)
    act(db, clock, messages.receive, roy.telegram_user_id, text(roy, 60, OBSERVED),
        FU_POLICY, POLICY)  # fmt: skip
    act(db, clock, assessments.decide, roy.id, aid, Decision.ARTICLE_8, MTL)
    act(db, clock, assessments.show, roy.id, cid, MTL)
    act(db, clock, cs.close, roy, cid, POLICY)
    act(db, clock, cs.record_outcome, roy.id, cid, Outcome.REFERRED)
    first = act(db, clock, fu.plan, roy.id, cid, Plan.HOURS_24, MTL).followup
    act(db, clock, fu.skip_note, roy.id, first.id, MTL)
    act(db, clock, fu.start_done, roy.id, first.id)
    act(db, clock, messages.receive, roy.telegram_user_id, text(roy, 61, DONE_LINE),
        FU_POLICY, POLICY)  # fmt: skip
    act(db, clock, fu.plan, roy.id, cid, Plan.HOURS_24, MTL)
    other = about(db, clock, officer, key="AB 1970").consultation.id
    act(db, clock, cs.accept, roy.id, other, POLICY)
    act(db, clock, messages.receive, roy.telegram_user_id, text(roy, 62, HELD),
        FU_POLICY, POLICY)  # fmt: skip
    return cid, aid


def test_erasure_removes_the_assessments_observations_and_every_copy_of_them(any_db, clock):
    """The observations live in the assessments table and in the notices that showed them
    (the steps to the intervener, not linked to the consultation, the article 8 request, a
    reading); an outcome line is in its event; a held line in the pending question."""
    _, aid = assessed_person(any_db, clock)
    with any_db.engine.connect() as conn:
        before = str(conn.exec_driver_sql("SELECT * FROM outbox").fetchall())
        held = str(conn.exec_driver_sql("SELECT * FROM pending_inputs").fetchall())
    assert OBSERVED in before and HELD in held  # the set-up holds them
    subject_records.erase_subject(any_db, hash_of(KEY, POLICY.subjects.secret), clock.now)
    with any_db.unit_of_work() as session:
        a = session.get_one(Assessment, aid)
        assert a.observations == ""
        assert (a.danger, a.decision) == (Danger.SELF, Decision.ARTICLE_8)  # for the figures
        assert a.requested_at is not None
    tables = ("assessments", "outbox", "events", "follow_ups", "pending_inputs")
    for table in tables:
        with any_db.engine.connect() as conn:
            dump = str(conn.exec_driver_sql(f"SELECT * FROM {table}").fetchall())
        for words in (OBSERVED, DONE_LINE, HELD):
            assert words not in dump, (table, words)


def test_erasure_clears_the_raw_updates_kept_from_the_people_who_took_part(any_db, clock):
    """The inbox keeps each update's raw payload (the words typed) for the transport period:
    those from the consultations' officer and intervener since the first one go (handled or
    set aside; one still to be replayed stays), a stranger's stay."""
    assessed_person(any_db, clock)
    with any_db.unit_of_work() as session:
        roy = session.scalars(select(Person).where(Person.display_name == "Marie Roy")).one()
        words = {"text": OBSERVED}
        rows = [
            (1, roy.telegram_user_id, clock.now, None),
            (2, roy.telegram_user_id, None, clock.now),
            (3, roy.telegram_user_id, None, None),  # not handled yet: still to be replayed
            (4, 999_999, clock.now, None),
        ]
        for update_id, sender, handled_at, set_aside_at in rows:
            payload = {"update_id": update_id, "message": {"from": {"id": sender}, **words}}
            session.add(InboxUpdate(update_id=update_id, payload=json.dumps(payload),
                                    received_at=clock.now, handled_at=handled_at,
                                    set_aside_at=set_aside_at))  # fmt: skip
    subject_records.erase_subject(any_db, hash_of(KEY, POLICY.subjects.secret), clock.now)
    with any_db.unit_of_work() as session:
        left = dict(session.execute(select(InboxUpdate.update_id, InboxUpdate.payload)).all())
    assert (left[1], left[2]) == ("", "")
    assert OBSERVED in left[3] and OBSERVED in left[4]


def test_the_export_holds_each_assessment_with_its_observations(any_db, clock):
    cid, aid = assessed_person(any_db, clock)
    with any_db.unit_of_work() as session:
        a = session.get_one(Assessment, aid)
        requested = a.requested_at
    data = subject_records.export_subject(any_db, hash_of(KEY, POLICY.subjects.secret), clock.now)
    assert data is not None
    [held] = [c for c in data["consultations"] if c["reference"] == f"C-{cid:04d}"]
    assert held["assessments"] == [
        {
            "state": "recorded",
            "danger": "self",
            "decision": "article_8",
            "observations": OBSERVED,
            "by": "Marie Roy",
            "started_at": held["assessments"][0]["started_at"],
            "recorded_at": held["assessments"][0]["recorded_at"],
            "article8_requested_at": requested.isoformat(),
            "article8_acknowledged_at": None,
            "article8_acknowledged_by": None,
        }
    ]
    assert held["assessments"][0]["recorded_at"] is not None


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def relais(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "RELAIS_SUBJECT_KEY_SECRET", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"DATABASE_URL": url, "RELAIS_SUBJECT_KEY_SECRET": SECRET}
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, secret: bool = True):
        given = env if secret else {"DATABASE_URL": url}
        return runner.invoke(main, list(args), env=given, input=input, catch_exceptions=False)

    return invoke, url


def seeded(url, clock):
    """A person known under the CLI's secret (the bot and the CLI share the settings)."""
    db = Database(url)
    db.upgrade()
    policy = replace(POLICY, subjects=replace(POLICY.subjects, secret=SECRET.encode()))
    officer = enrol(db, clock, Role.OFFICER, "Agent Julie Tremblay")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    c = act(db, clock, relaying.open_draft, officer.id, "Homme agité sur son balcon")
    act(db, clock, cs.set_category, officer.id, c.id, Category.MENTAL_HEALTH)
    act(db, clock, cases.give_key, officer.id, "tj 1987", policy)
    act(db, clock, cs.submit, officer.id, c.id, Urgency.URGENT, policy)
    return db, roy


def test_relais_audit_export_and_erase_from_the_command_line(relais, clock, tmp_path):
    invoke, url = relais
    db, _ = seeded(url, clock)
    audit = invoke("audit", "--subject", "J.T. 1987")
    assert audit.exit_code == 0, audit.output
    assert "history_viewed" in audit.output and "Marie Roy" in audit.output
    assert "1987" not in audit.output.replace("P-", "")  # the key is never printed back
    by_user = invoke("audit", "--user", "Marie Roy")
    assert by_user.exit_code == 0 and "history_viewed" in by_user.output
    assert invoke("audit", "--user", "Nobody").exit_code == 1
    assert invoke("audit").exit_code == 2

    exported = invoke("subject", "export", "JT 1987", "--output", "out.json")
    assert exported.exit_code == 0, exported.output
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["consultations"][0]["request_text"] == "Homme agité sur son balcon"
    assert (tmp_path / "out.json").stat().st_mode & 0o077 == 0  # readable by its owner only

    refused = invoke("subject", "erase", "JT 1987", input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert invoke("subject", "export", "JT 1987", "-o", "again.json").exit_code == 0
    erased = invoke("subject", "erase", "JT 1987", input="y\n")
    assert erased.exit_code == 0, erased.output
    assert "1 consultations unlinked" in erased.output
    assert invoke("subject", "export", "JT 1987").exit_code == 1
    assert invoke("subject", "export", "bonjour").exit_code == 2
    db.dispose()


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "C-0001 is no longer about this person (key corrected)"),
        ("fr", "C-0001 n'est plus liée à cette personne (clé corrigée)"),
    ],
)
def test_the_audit_listing_says_a_consultation_left_the_person(relais, clock, language, sentence):
    _, url = relais
    db, _ = seeded(url, clock)
    policy = replace(POLICY, subjects=replace(POLICY.subjects, secret=SECRET.encode()))
    with db.unit_of_work() as session:
        officer = session.scalars(select(Person).where(Person.role == Role.OFFICER)).one()
    act(db, clock, cases.give_key, officer.id, "2024-012345", policy, 1)
    db.dispose()
    env = {"RELAIS_CLI_LANGUAGE": language}
    listed = CliRunner().invoke(
        main, ["audit", "--subject", "JT 1987"],
        env={"DATABASE_URL": url, "RELAIS_SUBJECT_KEY_SECRET": SECRET, **env},
        catch_exceptions=False,
    )  # fmt: skip
    assert listed.exit_code == 0, listed.output
    [moved] = [row for row in listed.output.splitlines() if Seen.KEY_UNLINKED in row]
    assert moved.endswith(f"P-0001 C-0001  {sentence}")


def test_the_command_line_needs_the_secret_to_find_a_person(relais, clock):
    invoke, url = relais
    db, _ = seeded(url, clock)
    db.dispose()
    result = invoke("audit", "--subject", "JT 1987", secret=False)
    assert result.exit_code == 2
    assert "RELAIS_SUBJECT_KEY_SECRET is not set" in result.output


def test_relais_run_refuses_to_start_toward_telegram_without_the_secret(relais):
    invoke, _ = relais
    result = invoke("run", "--token", "123456:ABCDEFGHIJKLMNOP", secret=False)
    assert result.exit_code == 2
    assert "RELAIS_SUBJECT_KEY_SECRET is not set" in result.output
    short = CliRunner().invoke(
        main, ["run", "--token", "123456:ABCDEFGHIJKLMNOP"],
        env={"RELAIS_SUBJECT_KEY_SECRET": "short"},
    )  # fmt: skip
    assert short.exit_code == 2 and "at least 16 characters" in short.output
    assert "short" not in short.output.replace("at least", "")  # a secret is never echoed


def test_the_sandbox_and_the_demo_run_without_a_secret(monkeypatch):
    monkeypatch.delenv("RELAIS_SUBJECT_KEY_SECRET", raising=False)
    sandboxed = load_settings(telegram_api_base_url="http://127.0.0.1:8081/bot")
    sandboxed.require_subject_secret()  # no error
    with pytest.raises(Exception, match="RELAIS_SUBJECT_KEY_SECRET"):
        load_settings().require_subject_secret()


def test_erasure_clears_a_line_held_by_a_holder_of_the_persons_consultation(any_db, clock):
    """Roy holds JT 1987's consultation while the bot asks for a note about another person's
    follow-up: the line Roy types is held for a choice, and is likely about the case in hand
    (JT 1987), not the question's. Erasing JT 1987 clears it too."""
    officer, roy, _ = team(any_db, clock)
    other = handled(any_db, clock, officer, roy, key="AB 1970")
    act(any_db, clock, fu.plan, roy.id, other, Plan.HOURS_24, MTL)  # the note is asked
    cid = about(any_db, clock, officer).consultation.id  # JT 1987
    act(any_db, clock, cs.accept, roy.id, cid, POLICY)
    act(any_db, clock, messages.receive, roy.telegram_user_id, text(roy, 63, HELD),
        FU_POLICY, POLICY)  # fmt: skip
    with any_db.engine.connect() as conn:
        assert HELD in str(conn.exec_driver_sql("SELECT * FROM pending_inputs").fetchall())
    subject_records.erase_subject(any_db, hash_of(KEY, POLICY.subjects.secret), clock.now)
    with any_db.engine.connect() as conn:
        assert HELD not in str(conn.exec_driver_sql("SELECT * FROM pending_inputs").fetchall())

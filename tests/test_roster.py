"""A supervisor's /shifts add and /shifts remove as use cases: the roster changed and the
answer recorded together; a mistake changes nothing and says what to fix."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import t
from bot.render.notices import Context, Text, steps_of
from flows import availability, outbox, roster
from flows.directory import DirectoryHolder
from flows.models import Shift
from flows.roster import RosterError
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
    assert kind == "say" and params == {
        "key": "roster.invalid.bad_day",
        "values": {"text": "someday"},
    }  # a code and what was typed, said in the reader's language by the edge


def test_a_word_other_than_oncall_after_the_hours_is_refused(db, clock):
    chief = enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    act(db, clock, availability.add_shifts, chief.id, roy.id, "mon", "08:00-16:00", "maybe")
    assert roster.list_shifts(db) == []
    assert notices(db)[0][2] == {"key": "roster.invalid.bad_on_call", "values": {"word": "maybe"}}


def test_shifts_are_for_workers_only(db, clock):
    chief = enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie")
    act(db, clock, availability.add_shifts, chief.id, chief.id, "mon", "08:00-16:00")
    assert roster.list_shifts(db) == []
    assert notices(db)[0][2]["key"] == "roster.invalid.not_worker"


def said(db, clock, after: int) -> list[str]:
    """The texts of the notices recorded after the row id `after`, as the dispatcher sends."""
    context = Context(DirectoryHolder(Path("")), clock(), "811")
    return [
        step.text
        for n in outbox.unsent(db)
        if n.id > after
        for step in steps_of(n, context)
        if isinstance(step, Text)
    ]


REFUSALS = [  # (days, span, on-call word, in French, in English: as it was)
    (
        "funday", "08:00-16:00", None,
        "« funday » n'est pas un jour (lun…dim, mon…sun)",
        "'funday' is not a day (mon…sun, lun…dim)",
    ),
    (
        "lun", "25:00-06:00", None,
        "« 25:00-06:00 » n'est pas une plage d'heures comme 08:00-16:00",
        "'25:00-06:00' is not a span of hours such as 08:00-16:00",
    ),
    (
        "lun", "08:00-08:00", None,
        "un quart ne peut pas commencer et finir à la même heure",
        "a shift cannot start and end at the same time",
    ),
    (
        "lun", "08:00-16:00", "astreinte",
        "le dernier mot, s'il y en a un, doit être garde (un quart de garde), pas « astreinte »",
        "the last word, if any, must be oncall or garde (an on-call shift), not 'astreinte'",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("days", "span", "word", "fr", "en"), REFUSALS, ids=["day", "span", "same", "on_call"]
)
def test_a_refusal_is_said_in_the_supervisors_language(db, clock, days, span, word, fr, en):
    """Before: the chat's French sentence held the roster's English refusal ("Horaire non
    modifié : '25:00-06:00' is not a span of hours…"), and a bad on-call word was only
    echoed ("Horaire non modifié : astreinte.")."""
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    for lang, problem, usage in (
        ("fr", f"Horaire non modifié : {fr}.", "/shifts pour l'usage."),
        ("en", f"Roster not changed: {en}.", "/shifts for usage."),
    ):
        chief = enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie", language_code=lang)
        before = last_notice_id(db)
        act(db, clock, availability.add_shifts, chief.id, roy.id, days, span, word)
        assert said(db, clock, before) == [f"{problem} {usage}"]
    assert roster.list_shifts(db) == []


@pytest.mark.parametrize(
    ("lang", "nobody", "not_worker"),
    [
        (
            "fr",
            "Horaire non modifié : aucune personne inscrite avec l'id 99. /shifts pour l'usage.",
            "Horaire non modifié : Chef Bouchard n'est pas intervenant·e social·e. "
            "/shifts pour l'usage.",
        ),
        (
            "en",
            "Roster not changed: no enrolled person with id 99. /shifts for usage.",
            "Roster not changed: Chef Bouchard is not a social worker. /shifts for usage.",
        ),
    ],
    ids=["fr", "en"],
)
def test_a_wrong_person_is_said_in_the_supervisors_language(db, clock, lang, nobody, not_worker):
    chief = enrol(db, clock, Role.SUPERVISOR, "Chef Bouchard", language_code=lang)
    before = last_notice_id(db)
    act(db, clock, availability.add_shifts, chief.id, 99, "lun", "08:00-16:00")
    act(db, clock, availability.add_shifts, chief.id, chief.id, "lun", "08:00-16:00")
    assert said(db, clock, before) == [nobody, not_worker]


def test_every_roster_problem_has_its_sentences_in_both_languages():
    for lang in ("fr", "en"):
        for code in roster.PROBLEMS:
            assert t(lang, f"roster.invalid.{code}", text="x", word="x", id=1, name="x")
            if code not in roster.CHAT_ONLY_PROBLEMS:
                assert t(lang, f"cli.shifts.invalid.{code}", text="x", id=1, name="x")


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


# --- 24:00: midnight at the end of a shift's day, an end only ------------------------------

ZONE = ZoneInfo("America/Montreal")


def slot(day: str, span: str, on_call: bool = False) -> Shift:
    """One weekly slot as `shifts add` would store it (not in a database)."""
    [weekday], (starts, ends) = roster.parse_days(day), roster.parse_span(span)
    return Shift(id=1, person_id=1, weekday=weekday, starts=starts, ends=ends, on_call=on_call)


def local(*when: int, fold: int = 0) -> datetime:
    return datetime(*when, tzinfo=ZONE, fold=fold)


def test_a_span_may_end_at_24_00_and_is_kept_as_typed_but_never_start_there():
    """Before: '16:00-24:00' was 'not a span of hours', though 24:00 is how a roster says
    the end of the evening (the directory's opening hours accept it too)."""
    assert roster.parse_span("16:00-24:00") == ("16:00", "24:00")
    assert roster.parse_span("16h-24h") == ("16:00", "24:00")
    assert roster.parse_span("00:00-24:00") == ("00:00", "24:00")  # the whole day
    with pytest.raises(RosterError) as starting:
        roster.parse_span("24:00-08:00")
    assert (starting.value.code, starting.value.params) == ("day_end_start", {"text": "24:00"})
    for wrong in ("16:00-24:30", "16:00-25:00", "24:00-24:00"):
        with pytest.raises(RosterError):
            roster.parse_span(wrong)


def test_a_shift_ending_at_24_00_covers_23_59_and_not_the_next_midnight():
    evening = slot("mon", "16:00-24:00")
    assert not roster.covers(evening, local(2026, 11, 23, 15, 59), ZONE)
    assert roster.covers(evening, local(2026, 11, 23, 16, 0), ZONE)
    assert roster.covers(evening, local(2026, 11, 23, 23, 59), ZONE)
    assert not roster.covers(evening, local(2026, 11, 24, 0, 0), ZONE)  # Tuesday
    assert not roster.covers(evening, local(2026, 11, 24, 0, 30), ZONE)
    change = roster.next_transition([evening], datetime(2026, 11, 23, 22, 0, tzinfo=UTC), ZONE)
    assert change == local(2026, 11, 24, 0, 0)  # an /off at 17:00 lasts until midnight


def test_a_whole_day_ending_at_24_00_counts_the_daylight_saving_hour():
    """Sunday 1 November 2026 in Montreal has 25 hours (01:00-02:00 twice): 00:00-24:00
    covers both 01:30s and ends at Monday 00:00 EST (05:00 UTC)."""
    sunday = slot("sun", "00:00-24:00")
    assert roster.covers(sunday, local(2026, 11, 1, 1, 30), ZONE)
    assert roster.covers(sunday, local(2026, 11, 1, 1, 30, fold=1), ZONE)
    assert roster.covers(sunday, datetime(2026, 11, 2, 4, 59, tzinfo=UTC).astimezone(ZONE), ZONE)
    assert not roster.covers(sunday, datetime(2026, 11, 2, 5, 0, tzinfo=UTC).astimezone(ZONE), ZONE)
    saturday = slot("sat", "16:00-24:00")  # ends before the change: Sunday 00:00 EDT
    change = roster.next_transition([saturday], datetime(2026, 10, 31, 21, 0, tzinfo=UTC), ZONE)
    assert change == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    spring = slot("sat", "16:00-24:00")  # the night before 8 March 2026: Sunday 00:00 EST
    change = roster.next_transition([spring], datetime(2026, 3, 7, 22, 0, tzinfo=UTC), ZONE)
    assert change == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)


def test_24_00_is_the_same_moment_as_an_end_at_00_00_for_repeats_and_overlaps():
    evening = slot("mon", "16:00-24:00")
    assert roster.overlap(evening, slot("mon", "23:00-01:00"))
    assert not roster.overlap(evening, slot("tue", "00:00-08:00"))  # one ends, one starts
    assert not roster.overlap(slot("sun", "16:00-24:00"), slot("mon", "00:00-08:00"))
    assert roster.overlap(slot("sun", "00:00-24:00"), slot("sun", "12:00-13:00"))


def test_a_shift_added_to_24_00_is_listed_back_as_24_00(db, clock):
    chief = enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie", language_code="en")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    [added] = act(db, clock, availability.add_shifts, chief.id, roy.id, "mon", "16:00-24:00")
    assert (added.starts, added.ends) == ("16:00", "24:00")
    again = act(db, clock, availability.add_shifts, chief.id, roy.id, "mon", "16:00-00:00")
    assert again == []  # the same slot, written the other way
    assert [(s.starts, s.ends) for s in roster.list_shifts(db)] == [("16:00", "24:00")]
    before = last_notice_id(db)
    act(db, clock, availability.add_shifts, chief.id, roy.id, "mon", "24:00-08:00")
    assert said(db, clock, before) == [
        "Roster not changed: '24:00' ends a day, a shift cannot start then: start at 00:00."
        " /shifts for usage."
    ]


# --- `relais shifts add`: the same refusals, in the CLI's language -------------------------


@pytest.fixture
def cli_worker(relais, monkeypatch):
    """The `relais` command (English unless a test sets RELAIS_CLI_LANGUAGE) and the id of a
    worker, Marie Roy, and of a supervisor, Chef Bouchard, enrolled in its database."""
    from bot.i18n import DEFAULT_CLI_LANGUAGE, set_cli_language
    from flows.store import Database
    from tests.support.clock import FakeClock

    db = Database(f"sqlite:///{Path.cwd() / 'cli.db'}")
    clock = FakeClock()
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    chief = enrol(db, clock, Role.SUPERVISOR, "Chef Bouchard")
    yield relais, roy.id, chief.id
    set_cli_language(DEFAULT_CLI_LANGUAGE)  # the language is the process's


CLI_REFUSALS = [  # (person: worker or chief or an id, days, hours, French, English: as it was)
    (
        "worker", "funday", "08:00-16:00",
        "« funday » n'est pas un jour (lun…dim, mon…sun).",
        "'funday' is not a day (mon…sun, lun…dim).",
    ),
    (
        "worker", "lun", "25:00-06:00",
        "« 25:00-06:00 » n'est pas une plage d'heures comme 08:00-16:00.",
        "'25:00-06:00' is not a span of hours such as 08:00-16:00.",
    ),
    (
        "worker", "lun", "08:00-08:00",
        "un quart ne peut pas commencer et finir à la même heure.",
        "a shift cannot start and end at the same time.",
    ),
    (
        "99", "lun", "08:00-16:00",
        "aucune personne inscrite avec l'id 99.",
        "no enrolled person with id 99.",
    ),
    (
        "chief", "lun", "08:00-16:00",
        "Chef Bouchard n'est pas intervenant·e social·e.",
        "Chef Bouchard is not a social worker.",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "days", "hours", "fr", "en"),
    CLI_REFUSALS,
    ids=["day", "span", "same", "nobody", "not_worker"],
)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_shifts_add_refuses_in_the_cli_language(
    cli_worker, monkeypatch, lang, who, days, hours, fr, en
):
    """Before: `relais shifts add` said the roster's English sentence whatever
    RELAIS_CLI_LANGUAGE asked for."""
    relais, worker, chief = cli_worker
    person = {"worker": worker, "chief": chief}.get(who, who)
    if lang == "fr":
        monkeypatch.setenv("RELAIS_CLI_LANGUAGE", "fr")
    refused = relais("shifts", "add", str(person), days, hours)
    assert refused.exit_code == 1
    assert refused.output == f"relais: {fr if lang == 'fr' else en}\n"


def test_shifts_add_to_24_00_from_the_command_line(cli_worker):
    relais, worker, _chief = cli_worker
    added = relais("shifts", "add", str(worker), "mon", "16:00-24:00")
    assert added.exit_code == 0, added.output
    assert "Added shift" in added.output and "mon 16:00-24:00" in added.output
    assert "mon  16:00-24:00" in relais("shifts", "list").output
    refused = relais("shifts", "add", str(worker), "mon", "24:00-08:00")
    assert refused.exit_code == 1
    assert refused.output == (
        "relais: '24:00' ends a day, a shift cannot start then: start at 00:00.\n"
    )

"""Follow-ups in the domain, with an injected clock: planning at closing, typed dates in both
languages, delivery claimed and recorded once, the reminder's buttons, reassignment when the
worker is off, the overdue list, the handover digest and daylight-saving boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows import consultations as cs
from flows import (
    conversation,
    dates,
    digests,
    enrolment,
    events,
    handover,
    people,
    relaying,
    roster,
)
from flows import followups as fu
from flows import reminders as rem
from flows.dates import WhenError
from flows.followups import (
    ActStatus,
    AnswerStatus,
    PlanStatus,
)
from flows.reminders import Delivered
from flows.vocabulary import (
    Category,
    Delivery,
    EventKind,
    FollowUpState,
    InputKind,
    Plan,
    Presence,
    Role,
    Snooze,
    Urgency,
)
from tests.support.clock import FakeClock
from tests.support.followups import FU_POLICY, MTL, closed_case, local
from tests.support.people import POLICY, enrol
from tests.support.units import act


def kinds(db, cid):
    return [e.kind for e in events.timeline(db, cid)]


# --- typed dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("demain 9h", "fr", local(2026, 11, 24, 9, 0)),
        ("demain à 9h30", "fr", local(2026, 11, 24, 9, 30)),
        ("vendredi 14h", "fr", local(2026, 11, 27, 14, 0)),
        ("3 décembre 10h", "fr", local(2026, 12, 3, 10, 0)),
        ("03/12/2026 10:00", "fr", local(2026, 12, 3, 10, 0)),
        ("tomorrow 9:00", "en", local(2026, 11, 24, 9, 0)),
        ("friday 14:00", "en", local(2026, 11, 27, 14, 0)),
        ("2026-12-03 10:00", "en", local(2026, 12, 3, 10, 0)),
        ("2026-12-03", "en", local(2026, 12, 3, 9, 0)),  # a day alone: the morning hour
        ("dec 3 10am", "en", local(2026, 12, 3, 10, 0)),
        ("demain", "fr", local(2026, 11, 24, 9, 0)),
        ("dans 2 jours", "fr", local(2026, 11, 25, 9, 0)),
    ],
)
def test_dates_typed_in_french_or_english_are_read_in_the_service_zone(text, lang, expected):
    now = local(2026, 11, 23, 12, 0)  # a Monday
    assert dates.parse_when(text, now, MTL, lang) == expected


def test_a_duration_is_counted_exactly_from_now():
    now = local(2026, 11, 23, 12, 0)
    assert dates.parse_when("dans 3 heures", now, MTL, "fr") == now + timedelta(hours=3)
    assert dates.parse_when("in 10 seconds", now, MTL, "en") == now + timedelta(seconds=10)


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        # durations with minutes: dateparser alone read '3h30' as the clock time 03:30
        ("dans 3h30", "fr", local(2026, 6, 10, 19, 42)),
        ("in 2h30", "en", local(2026, 6, 10, 18, 42)),
        ("dans 2h15", "fr", local(2026, 6, 10, 18, 27)),
        ("dans 1 h 30", "fr", local(2026, 6, 10, 17, 42)),
        ("dans une heure et demie", "fr", local(2026, 6, 10, 17, 42)),
        ("in an hour and a half", "en", local(2026, 6, 10, 17, 42)),
        ("in 3 hours 15 minutes", "en", local(2026, 6, 10, 19, 27)),
        # 'heures' as a clock time: dateparser alone read '9 heures' as nine hours from now
        ("demain 9 heures", "fr", local(2026, 6, 11, 9, 0)),
        ("demain à 9 heures", "fr", local(2026, 6, 11, 9, 0)),
        ("jeudi 10 heures", "fr", local(2026, 6, 11, 10, 0)),
        # an hour after a day: dateparser alone kept the day and gave the morning hour
        ("tomorrow at 10", "en", local(2026, 6, 11, 10, 0)),
        ("demain à 10", "fr", local(2026, 6, 11, 10, 0)),
        ("3rd of december at 10", "en", local(2026, 12, 3, 10, 0)),
        ("à 10h", "fr", local(2026, 6, 11, 10, 0)),  # already past today: tomorrow
        # words dateparser does not know
        ("demain matin", "fr", local(2026, 6, 11, 9, 0)),
        ("tomorrow morning", "en", local(2026, 6, 11, 9, 0)),
        ("ce soir 20h", "fr", local(2026, 6, 10, 20, 0)),
        ("lundi prochain", "fr", local(2026, 6, 15, 9, 0)),
        ("lundi prochain 14h", "fr", local(2026, 6, 15, 14, 0)),
        # counted days, weeks, months: that day, at the morning hour (a day without a time)
        ("dans une semaine", "fr", local(2026, 6, 17, 9, 0)),
        ("in 1 month", "en", local(2026, 7, 10, 9, 0)),
    ],
)
def test_what_dateparser_alone_misread_is_read_as_meant(text, lang, expected):
    now = local(2026, 6, 10, 16, 12)  # a Wednesday afternoon
    assert dates.parse_when(text, now, MTL, lang) == expected


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("demain matin 8h", "fr", local(2026, 3, 7, 8, 0)),  # the hour given wins over 'matin'
        ("tomorrow morning at 8", "en", local(2026, 3, 7, 8, 0)),
        ("this morning", "en", local(2026, 3, 6, 9, 0)),
        ("ce matin", "fr", local(2026, 3, 6, 9, 0)),
        ("dans 2 jours à 14h", "fr", local(2026, 3, 8, 14, 0)),
        ("dans 2 semaines à 10h", "fr", local(2026, 3, 20, 10, 0)),
        ("in 2 days at 2pm", "en", local(2026, 3, 8, 14, 0)),
        ("in 2 days at 14:30", "en", local(2026, 3, 8, 14, 30)),
        ("mercredi à 15h", "fr", local(2026, 3, 11, 15, 0)),
        ("demain à 3h", "fr", local(2026, 3, 7, 3, 0)),  # '3h' is written on 24 hours
        ("le 5 à 10h", "fr", local(2026, 4, 5, 10, 0)),  # the 5th is past: next month's
        ("le 5", "fr", local(2026, 4, 5, 9, 0)),
        ("the 5th", "en", local(2026, 4, 5, 9, 0)),
        ("le 6 à 10h", "fr", local(2026, 3, 6, 10, 0)),  # today, still to come
    ],
)
def test_an_hour_given_with_a_part_of_the_day_or_a_count_of_days_is_kept(text, lang, expected):
    now = local(2026, 3, 6, 7, 20)  # a Friday morning
    assert dates.parse_when(text, now, MTL, lang) == expected


def test_a_day_of_the_month_past_is_the_next_month_that_has_it():
    assert dates.parse_when("le 30", local(2026, 1, 31, 12, 0), MTL, "fr") == local(
        2026, 3, 30, 9, 0
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("tomorrow at 3", "followup.when_ambiguous_hour"),  # 03:00 would go to the night shift
        ("mercredi a 3", "followup.when_ambiguous_hour"),
        ("in 3 days at 3", "followup.when_ambiguous_hour"),
        ("tonight", "followup.when_evening"),  # was today at the morning hour
        ("ce soir", "followup.when_evening"),
        ("dans 3 heures à 10h", "followup.when_invalid"),
    ],
)
def test_an_hour_that_could_be_night_or_afternoon_is_asked_not_guessed(text, key):
    with pytest.raises(WhenError) as refused:
        dates.parse_when(text, local(2026, 3, 6, 7, 20), MTL, "en")
    assert refused.value.key == key


@pytest.mark.parametrize("now", [local(2026, 10, 31, 15, 23), local(2026, 3, 7, 15, 23)])
def test_a_week_typed_across_a_clock_change_lands_on_that_day_at_the_morning_hour(now):
    for text, lang in (("dans une semaine", "fr"), ("in 1 week", "en")):
        due = dates.parse_when(text, now, MTL, lang).astimezone(MTL)
        assert (due.date() - now.astimezone(MTL).date(), due.hour, due.minute) == (
            timedelta(days=7), 9, 0,
        )  # fmt: skip
    assert dates.parse_when("dans 48h", now, MTL, "fr") == now + timedelta(hours=48)  # real


@pytest.mark.parametrize("text", ["dans 10", "in 3", "dans 3 heures et"])
def test_a_number_after_in_without_a_unit_is_not_guessed(text):
    with pytest.raises(WhenError) as refused:
        dates.parse_when(text, local(2026, 6, 10, 16, 12), MTL, "fr")
    assert refused.value.key == "followup.when_invalid"


def test_a_date_is_read_from_when_it_was_typed_not_when_the_bot_read_it(db, clock):
    c, worker, _ = closed_case(db, clock)
    clock.now = local(2026, 11, 23, 23, 59)
    act(db, clock, fu.plan, worker.id, c.id, Plan.CUSTOM, MTL)
    typed = clock.now
    clock.now = local(2026, 11, 24, 0, 2)  # the bot was restarting: read three minutes later
    ok = act(db, clock, fu.answer, worker, "demain 9h", FU_POLICY, typed)
    assert ok.status == AnswerStatus.SCHEDULED and ok.followup is not None
    assert ok.followup.due_at == local(2026, 11, 24, 9, 0)  # not the 25th


def test_the_morning_snooze_pressed_in_the_night_is_this_morning():
    assert fu.snooze_due(Snooze.MORNING, local(2026, 6, 11, 0, 30), FU_POLICY) == local(
        2026, 6, 11, 9, 0
    )
    assert fu.snooze_due(Snooze.MORNING, local(2026, 6, 11, 6, 0), FU_POLICY) == local(
        2026, 6, 12, 9, 0
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("quand tu veux", "followup.when_invalid"),
        ("whenever", "followup.when_invalid"),
        ("hier 9h", "followup.when_past"),
        ("yesterday", "followup.when_past"),
        ("2029-01-01 10:00", "followup.when_too_far"),
        ("   ", "followup.when_invalid"),
    ],
)
def test_dates_that_cannot_be_used_are_refused_with_a_reason(text, key):
    with pytest.raises(WhenError) as refused:
        dates.parse_when(text, local(2026, 11, 23, 12, 0), MTL, "fr")
    assert refused.value.key == key


def test_tomorrow_nine_is_nine_local_after_the_autumn_change():
    now = local(2026, 10, 31, 15, 0)  # EDT, the day before clocks go back
    due = dates.parse_when("demain 9h", now, MTL, "fr")
    assert due == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)  # 09:00 EST (UTC-5)
    assert due.astimezone(MTL).hour == 9


def test_tomorrow_nine_is_nine_local_after_the_spring_change():
    now = local(2027, 3, 13, 15, 0)  # EST, the day before clocks go forward
    due = dates.parse_when("tomorrow 9:00", now, MTL, "en")
    assert due == datetime(2027, 3, 14, 13, 0, tzinfo=UTC)  # 09:00 EDT (UTC-4)


def test_a_duration_across_the_change_is_real_hours():
    now = datetime(2026, 11, 1, 4, 30, tzinfo=UTC)  # 00:30 EDT, the night clocks go back
    assert dates.parse_when("in 3 hours", now, MTL, "en") == now + timedelta(hours=3)


def test_a_week_and_the_morning_snooze_keep_the_local_wall_clock_across_the_change():
    now = local(2026, 10, 28, 10, 0)
    week = fu.plan_due(Plan.WEEK, now, MTL)
    assert week is not None and week.astimezone(MTL).hour == 10
    assert week - now == timedelta(days=7, hours=1)
    morning = fu.snooze_due(Snooze.MORNING, local(2027, 3, 13, 22, 0), FU_POLICY)
    assert morning == datetime(2027, 3, 14, 13, 0, tzinfo=UTC)


# --- planning at closing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "delta"),
    [
        (Plan.HOURS_24, timedelta(hours=24)),
        (Plan.DAYS_3, timedelta(days=3)),
        (Plan.WEEK, timedelta(days=7)),
    ],
)
def test_each_fixed_choice_at_closing_schedules_a_follow_up_and_asks_the_note(
    db, clock, choice, delta
):
    c, worker, _ = closed_case(db, clock)
    result = act(db, clock, fu.plan, worker.id, c.id, choice, MTL)
    assert result.status == PlanStatus.SCHEDULED and result.followup is not None
    assert result.followup.due_at == clock() + delta  # no DST change in these weeks
    assert conversation.awaiting(db, worker.id, clock) == InputKind.NOTE
    saved = act(db, clock, fu.answer, worker, "  a-t-il vu   l'équipe de désintox ?", FU_POLICY)
    assert saved.status == AnswerStatus.NOTE_SAVED
    assert saved.followup is not None and saved.followup.note == "a-t-il vu l'équipe de désintox ?"
    assert kinds(db, c.id)[-1] == EventKind.FOLLOWUP_SCHEDULED


def test_no_follow_up_at_closing_schedules_nothing(db, clock):
    c, worker, _ = closed_case(db, clock)
    assert act(db, clock, fu.plan, worker.id, c.id, Plan.NONE, MTL).status == PlanStatus.NONE
    assert fu.pending_for(db, worker) == []
    assert act(db, clock, fu.answer, worker, "bonjour", FU_POLICY).status == AnswerStatus.NOTHING


def test_a_custom_date_is_asked_then_typed_with_errors_answered(db, clock):
    c, worker, _ = closed_case(db, clock)
    assert act(db, clock, fu.plan, worker.id, c.id, Plan.CUSTOM, MTL).status == PlanStatus.ASK_DATE
    wrong = act(db, clock, fu.answer, worker, "quand tu veux", FU_POLICY)
    assert (wrong.status, wrong.error_key) == (AnswerStatus.INVALID_DATE, "followup.when_invalid")
    past = act(db, clock, fu.answer, worker, "hier", FU_POLICY)
    assert past.error_key == "followup.when_past"
    ok = act(db, clock, fu.answer, worker, "demain 9h", FU_POLICY)
    assert ok.status == AnswerStatus.SCHEDULED and ok.followup is not None
    assert ok.followup.due_at.astimezone(MTL).hour == 9
    assert conversation.awaiting(db, worker.id, clock) == InputKind.NOTE
    assert act(db, clock, fu.skip_note, worker.id, ok.followup.id, MTL) is not None
    assert conversation.awaiting(db, worker.id, clock) is None


def test_planning_twice_or_someone_elses_consultation_is_refused(db, clock):
    c, worker, officer = closed_case(db, clock)
    assert (
        act(db, clock, fu.plan, worker.id, c.id, Plan.HOURS_24, MTL).status == PlanStatus.SCHEDULED
    )
    assert act(db, clock, fu.plan, worker.id, c.id, Plan.WEEK, MTL).status == PlanStatus.ALREADY
    other = enrol(db, clock, Role.WORKER, "Paul Gagnon")
    assert act(db, clock, fu.plan, other.id, c.id, Plan.WEEK, MTL).status == PlanStatus.NOT_YOURS
    d, _, _ = closed_case(db, clock, worker=worker, officer=officer)
    assert act(db, clock, fu.plan, worker.id, d.id, Plan.CUSTOM, MTL).status == PlanStatus.ASK_DATE
    assert (
        act(db, clock, fu.plan, worker.id, d.id, Plan.HOURS_24, MTL).status == PlanStatus.SCHEDULED
    )
    # the fixed choice won: what is typed next is its note, not a second date
    assert (
        act(db, clock, fu.answer, worker, "demain 9h", FU_POLICY).status == AnswerStatus.NOTE_SAVED
    )
    assert act(db, clock, fu.plan, officer.id, c.id, Plan.WEEK, MTL).status == PlanStatus.NOT_YOURS


# --- delivery ------------------------------------------------------------------------------


def _scheduled(db, clock, choice=Plan.HOURS_24, **kw):
    c, worker, officer = closed_case(db, clock, **kw)
    f = act(db, clock, fu.plan, worker.id, c.id, choice, MTL).followup
    assert f is not None
    return f, worker, officer


def _deliver(db, clock, reminders, late_after=timedelta(seconds=60)):
    now = clock()
    done = [
        Delivered(r.followup.id, r.followup.consultation.id, [p.id for p in r.recipients], now,
                  r.followup.due_at)
        for r in reminders
    ]  # fmt: skip
    return rem.record_delivered(db, done, late_after)


def test_a_due_reminder_is_claimed_once_and_recorded(any_db):
    clock = FakeClock()
    f, worker, _ = _scheduled(any_db, clock)
    assert rem.claim_due(any_db, clock, POLICY) == []  # not yet due
    clock.advance(hours=24)
    [reminder] = rem.claim_due(any_db, clock, POLICY)
    assert [p.id for p in reminder.recipients] == [worker.id] and reminder.whose is None
    assert rem.claim_due(any_db, clock, POLICY) == []  # claimed: no second pass takes it
    assert _deliver(any_db, clock, [reminder]) == 0
    stored = fu.get(any_db, f.id)
    assert stored is not None and stored.delivery == Delivery.SENT and not stored.late
    assert kinds(any_db, f.consultation.id)[-1] == EventKind.FOLLOWUP_REMINDED
    assert rem.pending_due_times(any_db) == []


def test_a_reminder_delivered_after_the_tolerance_is_marked_late(db, clock):
    f, _, _ = _scheduled(db, clock)
    clock.advance(hours=26)
    reminders = rem.claim_due(db, clock, POLICY)
    assert _deliver(db, clock, reminders) == 1
    stored = fu.get(db, f.id)
    assert stored is not None and stored.late


def test_a_send_left_unconfirmed_by_a_crash_is_sent_once_more_and_never_a_third_time(any_db):
    clock = FakeClock()
    f, _, _ = _scheduled(any_db, clock)
    clock.advance(hours=25)
    assert len(rem.claim_due(any_db, clock, POLICY)) == 1  # claimed, then the process dies
    assert rem.recover_unconfirmed(any_db, clock) == (1, 0)
    [again] = rem.claim_due(any_db, clock, POLICY)
    assert again.repeat  # the text says it may be a repeat
    assert rem.recover_unconfirmed(any_db, clock) == (0, 1)  # died again: taken as delivered
    assert rem.claim_due(any_db, clock, POLICY) == []
    stored = fu.get(any_db, f.id)
    assert stored is not None and stored.delivery == Delivery.SENT


def test_a_reminder_nobody_received_goes_back_to_be_tried_again(db, clock):
    f, _, _ = _scheduled(db, clock)
    clock.advance(hours=25)
    [r] = rem.claim_due(db, clock, POLICY)
    rem.record_delivered(db, [Delivered(f.id, f.consultation.id, [], clock(), r.followup.due_at)],
                        timedelta(seconds=60))  # fmt: skip
    assert rem.claim_due(db, clock, POLICY) == []  # not hammered in the same pass
    clock.advance(seconds=61)
    assert len(rem.claim_due(db, clock, POLICY)) == 1


def test_when_the_worker_is_off_the_reminder_goes_to_those_on_shift_saying_whose(db, clock):
    _f, worker, _ = _scheduled(db, clock)
    colleague = enrol(db, clock, Role.WORKER, "Paul Gagnon", available=True)
    people.set_presence(db, worker.id, Presence.OFF, clock, POLICY)
    clock.advance(hours=24)
    [r] = rem.claim_due(db, clock, POLICY)
    assert [p.id for p in r.recipients] == [colleague.id]
    assert r.whose is not None and r.whose.id == worker.id


def test_when_the_worker_is_revoked_and_nobody_is_on_shift_supervisors_get_it(db, clock):
    _f, worker, _ = _scheduled(db, clock)
    sup = enrol(db, clock, Role.SUPERVISOR, "Anne Lavoie")
    enrolment.revoke(db, worker.id, clock)
    clock.advance(hours=24)
    [r] = rem.claim_due(db, clock, POLICY)
    assert [p.id for p in r.recipients] == [sup.id] and r.whose is not None


def test_a_supervisor_who_held_the_consultation_gets_their_own_reminder(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Julie Tremblay")
    enrol(db, clock, Role.WORKER, "Paul Gagnon", available=True)
    sup = enrol(db, clock, Role.SUPERVISOR, "Anne Lavoie")
    c = act(db, clock, relaying.open_draft, officer.id, "Homme en crise")
    act(db, clock, cs.submit, officer.id, c.id, Urgency.URGENT, POLICY)
    act(db, clock, handover.take_over, sup.id, c.id)
    act(db, clock, cs.close, sup, c.id, POLICY)
    act(db, clock, fu.plan, sup.id, c.id, Plan.HOURS_24, MTL)
    clock.advance(hours=24)
    [r] = rem.claim_due(db, clock, POLICY)
    assert [p.id for p in r.recipients] == [sup.id] and r.whose is None


# --- the reminder's buttons ----------------------------------------------------------------


def test_done_asks_one_line_of_outcome_then_records_it(db, clock):
    f, worker, _ = _scheduled(db, clock)
    clock.advance(hours=24)
    assert act(db, clock, fu.start_done, worker.id, f.id).status == ActStatus.ASK_OUTCOME
    assert act(db, clock, fu.answer, worker, "  ", FU_POLICY).status == AnswerStatus.EMPTY
    done = act(db, clock, fu.answer, worker, "Il a commencé la cure", FU_POLICY)
    assert done.status == AnswerStatus.DONE and done.followup is not None
    assert (done.followup.state, done.followup.outcome_line) == (
        FollowUpState.DONE,
        "Il a commencé la cure",
    )
    timeline = events.timeline(db, f.consultation.id)
    assert timeline[-1].kind == EventKind.FOLLOWUP_DONE
    assert timeline[-1].data["outcome"] == "Il a commencé la cure"
    assert act(db, clock, fu.start_done, worker.id, f.id).status == ActStatus.NOT_PENDING


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (Snooze.HOUR, lambda now: now + timedelta(hours=1)),
        (Snooze.MORNING, lambda now: local(2026, 11, 24, 9, 0)),
    ],
)
def test_snooze_moves_the_reminder_and_it_is_delivered_again(db, clock, choice, expected):
    f, worker, _ = _scheduled(db, clock)
    clock.advance(hours=24)
    _deliver(db, clock, rem.claim_due(db, clock, POLICY))
    moved = act(db, clock, fu.snooze, worker.id, f.id, choice, FU_POLICY)
    assert moved.status == ActStatus.SNOOZED and moved.followup is not None
    assert moved.followup.due_at == expected(clock())
    assert moved.followup.delivery == Delivery.SCHEDULED and moved.followup.snoozed == 1
    clock.now = moved.followup.due_at
    assert len(rem.claim_due(db, clock, POLICY)) == 1
    assert EventKind.FOLLOWUP_SNOOZED in kinds(db, f.consultation.id)


def test_a_snooze_pressed_before_its_batch_is_recorded_still_rings_again(any_db):
    """A reminder's batch is recorded once every send of it went out: a recipient may press
    Snooze (or hand it over) seconds before that. The record must not undo the press (the
    reminder would never ring again); the send is in the timeline all the same, before the
    press."""
    clock = FakeClock()
    f, worker, _ = _scheduled(any_db, clock)
    clock.advance(hours=24)
    claimed = rem.claim_due(any_db, clock, POLICY)
    sent_at = clock()
    clock.advance(seconds=2)
    moved = act(any_db, clock, fu.snooze, worker.id, f.id, Snooze.HOUR, FU_POLICY)
    assert moved.followup is not None
    clock.advance(seconds=3)  # the rest of the batch went out: now recorded
    done = [Delivered(f.id, f.consultation.id, [worker.id], sent_at, claimed[0].followup.due_at)]
    rem.record_delivered(any_db, done, timedelta(seconds=60))
    stored = fu.get(any_db, f.id)
    assert stored is not None and stored.delivery == Delivery.SCHEDULED
    assert stored.due_at == moved.followup.due_at and stored.snoozed == 1
    assert kinds(any_db, f.consultation.id)[-2:] == [
        EventKind.FOLLOWUP_REMINDED,
        EventKind.FOLLOWUP_SNOOZED,
    ]
    clock.now = stored.due_at
    assert len(rem.claim_due(any_db, clock, POLICY)) == 1  # it rings again


def test_a_custom_snooze_waits_for_a_typed_date(db, clock):
    f, worker, _ = _scheduled(db, clock)
    asked = act(db, clock, fu.snooze, worker.id, f.id, Snooze.CUSTOM, FU_POLICY)
    assert asked.status == ActStatus.ASK_DATE
    moved = act(db, clock, fu.answer, worker, "2026-12-03 10:00", FU_POLICY)
    assert moved.status == AnswerStatus.SNOOZED and moved.followup is not None
    assert moved.followup.due_at == local(2026, 12, 3, 10, 0)


def test_reassign_to_a_colleague_or_the_pool(db, clock):
    f, worker, _ = _scheduled(db, clock)
    colleague = enrol(db, clock, Role.WORKER, "Paul Gagnon", available=True)
    _, candidates = act(db, clock, fu.reassign_candidates, worker.id, f.id, POLICY)
    assert [p.id for p in candidates] == [colleague.id]
    given = act(db, clock, fu.reassign, worker.id, f.id, colleague.id, MTL)
    assert given.status == ActStatus.REASSIGNED and given.followup is not None
    assert given.followup.assignee is not None and given.followup.assignee.id == colleague.id
    assert [x.id for x in fu.pending_for(db, colleague)] == [f.id]
    assert fu.pending_for(db, worker) == []
    pooled = act(db, clock, fu.reassign, colleague.id, f.id, None, MTL)
    assert pooled.followup is not None and pooled.followup.assignee is None
    assert [x.id for x in fu.pending_for(db, worker)] == [f.id]  # the pool is everyone's
    assert kinds(db, f.consultation.id).count(EventKind.FOLLOWUP_REASSIGNED) == 2
    sup = enrol(db, clock, Role.SUPERVISOR, "Anne Lavoie")
    off = act(
        db, clock, fu.reassign, sup.id, f.id, sup.id, MTL
    )  # supervisors are not a worker target
    assert off.status == ActStatus.TARGET_UNAVAILABLE


def test_a_reminder_reassigned_after_it_fired_is_delivered_to_the_new_holder(db, clock):
    f, worker, _ = _scheduled(db, clock)
    colleague = enrol(db, clock, Role.WORKER, "Paul Gagnon", available=True)
    clock.advance(hours=24)
    _deliver(db, clock, rem.claim_due(db, clock, POLICY))
    act(db, clock, fu.reassign, worker.id, f.id, colleague.id, MTL)
    [r] = rem.claim_due(db, clock, POLICY)
    assert [p.id for p in r.recipients] == [colleague.id]


# --- overdue, digest, lists ----------------------------------------------------------------


def test_overdue_follow_ups_go_to_supervisors_once_a_day_as_one_list(db, clock):
    clock.now = local(2026, 11, 23, 7, 0)
    f, _, _ = _scheduled(db, clock)  # due tomorrow 07:00
    second, _, _ = _scheduled(db, clock, choice=Plan.DAYS_3)
    sup = enrol(db, clock, Role.SUPERVISOR, "Anne Lavoie")
    clock.now = local(2026, 11, 25, 7, 30)  # 24 h 30 after due: overdue, before 08:00
    assert digests.due_supervisor_summary(db, clock, FU_POLICY) is None
    clock.now = local(2026, 11, 25, 8, 0)
    summary = digests.due_supervisor_summary(db, clock, FU_POLICY)
    assert summary is not None and [s.id for s in summary.supervisors] == [sup.id]
    assert [x.id for x in summary.overdue] == [f.id]
    assert second.id not in [x.id for x in summary.overdue]
    assert digests.due_supervisor_summary(db, clock, FU_POLICY) is None  # once a day
    clock.now = local(2026, 11, 26, 8, 5)
    again = digests.due_supervisor_summary(db, clock, FU_POLICY)
    assert again is not None and [x.id for x in again.overdue] == [f.id]
    assert kinds(db, f.consultation.id).count(EventKind.FOLLOWUP_OVERDUE) == 1
    assert [x.id for x in fu.overdue(db, clock, FU_POLICY)] == [f.id]


def test_the_handover_digest_lists_open_cases_due_today_and_overdue_once_per_shift(db, clock):
    clock.now = local(2026, 11, 20, 10, 0)
    old, worker, officer = _scheduled(db, clock)  # due 2026-11-21 10:00: overdue by the 23rd
    clock.now = local(2026, 11, 22, 14, 0)
    today, _, _ = _scheduled(db, clock, worker=worker, officer=officer)  # due 23rd 14:00
    c = act(db, clock, relaying.open_draft, officer.id, "Encore ouvert")
    act(db, clock, cs.set_category, officer.id, c.id, Category.YOUTH)
    act(db, clock, cs.submit, officer.id, c.id, Urgency.ADVICE, POLICY)
    act(db, clock, cs.accept, worker.id, c.id, POLICY)
    roster.add_shifts(db, worker.id, "mon", "08:00-16:00", False, clock)
    clock.now = local(2026, 11, 23, 7, 59)  # Monday, before the shift
    assert digests.due_shift_digests(db, clock, FU_POLICY) == []
    clock.now = local(2026, 11, 23, 8, 0)
    [digest] = digests.due_shift_digests(db, clock, FU_POLICY)
    assert digest.person.id == worker.id
    assert [x.id for x in digest.open_consultations] == [c.id]
    assert [x.id for x in digest.due_today] == [today.id]
    assert [x.id for x in digest.overdue] == [old.id]
    clock.now = local(2026, 11, 23, 9, 0)
    assert digests.due_shift_digests(db, clock, FU_POLICY) == []  # once per shift
    assert digests.next_shift_start(db, clock, MTL) == local(2026, 11, 30, 8, 0)


def test_supervisors_see_everyones_follow_ups_workers_their_own(db, clock):
    f, worker, officer = _scheduled(db, clock)
    other = enrol(db, clock, Role.WORKER, "Paul Gagnon", available=True)
    g, _, _ = _scheduled(db, clock, worker=other, officer=officer)
    sup = enrol(db, clock, Role.SUPERVISOR, "Anne Lavoie")
    assert [x.id for x in fu.pending_for(db, worker)] == [f.id]
    assert [x.id for x in fu.pending_for(db, sup)] == [f.id, g.id]

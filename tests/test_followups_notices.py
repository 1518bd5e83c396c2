"""What the follow-up use cases tell people: each action records its notices in its own
transaction (who gets which kind, with which key and values), and each notice renders in
both languages, as a new message or as the pressed message rewritten. The digests are
recorded with their claim, once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.render import followups as view
from bot.render import notices as rendering
from bot.render.notices import Context, Edit, Text
from flows import digests, events, roster
from flows import followups as fu
from flows.directory import DirectoryHolder
from flows.followups import AnswerStatus
from flows.outbox import Notice, unsent
from flows.store import utc_now
from flows.vocabulary import EventKind, NoticeKind, Plan, Role, Snooze
from tests.support.followups import FU_POLICY, MTL, closed_case, local
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id

PROMPT = 77  # the message whose button was pressed


def told(db, after: int) -> list[Notice]:
    """The notices recorded after the row id `after`, in order."""
    return [n for n in unsent(db) if n.id > after]


def one(db, after: int) -> Notice:
    [notice] = told(db, after)
    return notice


def line_of(notice: Notice) -> tuple[str, str, dict]:
    """(kind, catalog key, values) of a one-sentence notice."""
    values = notice.params.get("values", {})
    return str(notice.kind), notice.params["key"], values


def rendered(notice: Notice, lang: str = "fr") -> list:
    again = Notice(**{**notice.__dict__, "language": lang})
    context = Context(DirectoryHolder(Path("")), utc_now(), "")
    return rendering.steps_of(again, context)


def _planned(db, clock, **kw):
    c, worker, officer = closed_case(db, clock, **kw)
    f = act(db, clock, fu.plan, worker.id, c.id, Plan.HOURS_24, MTL).followup
    assert f is not None
    act(db, clock, fu.skip_note, worker.id, f.id, MTL)
    return f, worker, officer


# --- planning at closing -------------------------------------------------------------------


def test_after_the_outcome_the_holder_is_asked_to_plan_a_follow_up(db, clock):
    c, worker, _ = closed_case(db, clock)
    mark = last_notice_id(db)
    act(db, clock, fu.ask_plan, worker.id, c.id)
    notice = one(db, mark)
    assert (notice.chat_id, notice.kind) == (worker.chat_id, NoticeKind.FOLLOWUP_PLAN)
    assert notice.params["consultation"].id == c.id and notice.consultation_id is None
    [step] = rendered(notice)
    assert isinstance(step, Text) and step.keyboard is not None
    assert len([b for row in step.keyboard.inline_keyboard for b in row]) == 5


def test_a_fixed_plan_rewrites_the_question_with_its_due_time_and_the_no_note_button(db, clock):
    c, worker, _ = closed_case(db, clock)
    mark = last_notice_id(db)
    result = act(db, clock, fu.plan, worker.id, c.id, Plan.HOURS_24, MTL, PROMPT)
    assert result.followup is not None
    notice = one(db, mark)
    assert (notice.chat_id, notice.kind, notice.edit_message_id) == (
        worker.chat_id,
        NoticeKind.FOLLOWUP_SCHEDULED,
        PROMPT,
    )
    assert notice.params["followup_id"] == result.followup.id
    assert notice.params["reference"] == c.reference
    assert notice.params["due_at"] == clock() + timedelta(hours=24)
    [step] = rendered(notice, "en")
    assert isinstance(step, Edit) and step.keyboard is not None
    due = (clock() + timedelta(hours=24)).astimezone(MTL).strftime("%Y-%m-%d %H:%M")
    assert due in step.text and c.reference in step.text


@pytest.mark.parametrize(
    ("choice", "key"),
    [(Plan.NONE, "followup.none"), (Plan.CUSTOM, "followup.ask_date")],
)
def test_no_plan_or_a_custom_date_rewrites_the_question_with_one_line(db, clock, choice, key):
    c, worker, _ = closed_case(db, clock)
    mark = last_notice_id(db)
    act(db, clock, fu.plan, worker.id, c.id, choice, MTL, PROMPT)
    notice = one(db, mark)
    assert line_of(notice) == (NoticeKind.FOLLOWUP_LINE, key, {"ref": c.reference})
    assert notice.edit_message_id == PROMPT
    [step] = rendered(notice)
    assert isinstance(step, Edit) and step.keyboard is None and c.reference in step.text


def test_planning_again_says_when_it_is_already_planned_and_a_stranger_is_told_nothing(db, clock):
    f, worker, _ = _planned(db, clock)
    c = f.consultation
    mark = last_notice_id(db)
    act(db, clock, fu.plan, worker.id, c.id, Plan.WEEK, MTL, PROMPT)
    notice = one(db, mark)
    assert line_of(notice) == (
        NoticeKind.FOLLOWUP_LINE,
        "followup.already",
        {"ref": c.reference, "due": f.due_at},
    )
    other = enrol(db, clock, Role.WORKER, "Paul Gagnon")
    mark = last_notice_id(db)
    act(db, clock, fu.plan, other.id, c.id, Plan.WEEK, MTL, PROMPT)
    assert told(db, mark) == []  # the edge answers the press with a toast


def test_no_note_rewrites_the_question_with_the_due_time(db, clock):
    c, worker, _ = closed_case(db, clock)
    f = act(db, clock, fu.plan, worker.id, c.id, Plan.DAYS_3, MTL).followup
    assert f is not None
    mark = last_notice_id(db)
    act(db, clock, fu.skip_note, worker.id, f.id, MTL, PROMPT)
    notice = one(db, mark)
    assert line_of(notice) == (NoticeKind.FOLLOWUP_LINE, "followup.no_note_ok", {"due": f.due_at})
    assert notice.edit_message_id == PROMPT


# --- typed answers -------------------------------------------------------------------------


def test_typed_answers_are_each_answered_with_their_own_line(db, clock):
    c, worker, _ = closed_case(db, clock)
    act(db, clock, fu.plan, worker.id, c.id, Plan.CUSTOM, MTL, PROMPT)

    mark = last_notice_id(db)
    act(db, clock, fu.answer, worker, "quand tu veux", FU_POLICY)
    assert line_of(one(db, mark)) == (NoticeKind.SAY, "followup.when_invalid", {})

    mark = last_notice_id(db)
    act(db, clock, fu.answer, worker, "   ", FU_POLICY)
    assert line_of(one(db, mark)) == (NoticeKind.SAY, "followup.empty_answer", {})

    mark = last_notice_id(db)
    scheduled = act(db, clock, fu.answer, worker, "2026-12-03 10:00", FU_POLICY)
    assert scheduled.followup is not None
    notice = one(db, mark)
    assert (notice.chat_id, notice.kind, notice.edit_message_id) == (
        worker.chat_id,
        NoticeKind.FOLLOWUP_SCHEDULED,
        None,
    )
    assert notice.params["due_at"] == local(2026, 12, 3, 10, 0)
    [step] = rendered(notice)
    assert isinstance(step, Text) and "2026-12-03 10:00" in step.text and step.keyboard

    mark = last_notice_id(db)
    act(db, clock, fu.answer, worker, "a-t-il appelé ?", FU_POLICY)
    notice = one(db, mark)
    assert line_of(notice) == (
        NoticeKind.FOLLOWUP_LINE,
        "followup.note_saved",
        {"due": local(2026, 12, 3, 10, 0)},
    )
    [step] = rendered(notice, "en")
    assert isinstance(step, Text) and "2026-12-03 10:00" in step.text

    mark = last_notice_id(db)
    act(db, clock, fu.answer, worker, "bonjour", FU_POLICY)
    assert told(db, mark) == []  # nothing asked any more: the message is relayed as usual


# --- the reminder's buttons ----------------------------------------------------------------


def test_done_asks_the_outcome_line_then_says_what_was_recorded(db, clock):
    f, worker, _ = _planned(db, clock)
    ref = f.consultation.reference
    mark = last_notice_id(db)
    act(db, clock, fu.start_done, worker.id, f.id)
    notice = one(db, mark)
    assert notice.chat_id == worker.chat_id
    assert line_of(notice) == (NoticeKind.SAY, "followup.ask_outcome", {"ref": ref})
    mark = last_notice_id(db)
    act(db, clock, fu.answer, worker, "Il a commencé la cure", FU_POLICY)
    assert line_of(one(db, mark)) == (
        NoticeKind.SAY,
        "followup.done",
        {"ref": ref, "line": "Il a commencé la cure"},
    )
    mark = last_notice_id(db)
    act(db, clock, fu.start_done, worker.id, f.id)  # done already: a toast, nothing recorded
    assert told(db, mark) == []


def test_snooze_rewrites_the_reminder_with_its_new_time_or_asks_for_one(db, clock):
    f, worker, officer = _planned(db, clock)
    ref = f.consultation.reference
    mark = last_notice_id(db)
    moved = act(db, clock, fu.snooze, worker.id, f.id, Snooze.HOUR, FU_POLICY, PROMPT)
    notice = one(db, mark)
    assert line_of(notice) == (
        NoticeKind.FOLLOWUP_LINE,
        "followup.snoozed",
        {"ref": ref, "due": clock() + timedelta(hours=1)},
    )
    assert (notice.chat_id, notice.edit_message_id) == (worker.chat_id, PROMPT)
    assert moved.followup is not None and moved.followup.due_at == clock() + timedelta(hours=1)
    [step] = rendered(notice)
    assert isinstance(step, Edit) and step.keyboard is None

    mark = last_notice_id(db)
    act(db, clock, fu.snooze, worker.id, f.id, Snooze.CUSTOM, FU_POLICY, PROMPT)
    notice = one(db, mark)
    assert line_of(notice) == (NoticeKind.SAY, "followup.ask_snooze_date", {"ref": ref})
    assert notice.edit_message_id is None  # a new message: the reminder keeps its buttons

    mark = last_notice_id(db)
    act(db, clock, fu.snooze, officer.id, f.id, Snooze.HOUR, FU_POLICY, PROMPT)
    assert told(db, mark) == []  # an officer cannot snooze: refused with a toast


def test_reassign_offers_the_colleagues_then_tells_the_presser_and_the_new_assignee(db, clock):
    f, worker, _ = _planned(db, clock)
    colleague = enrol(db, clock, Role.WORKER, "Paul Gagnon", available=True)
    ref = f.consultation.reference
    mark = last_notice_id(db)
    act(db, clock, fu.reassign_candidates, worker.id, f.id, POLICY)
    choice = one(db, mark)
    assert (choice.chat_id, choice.kind) == (worker.chat_id, NoticeKind.FOLLOWUP_ASSIGNEES)
    assert (choice.params["followup_id"], choice.params["reference"]) == (f.id, ref)
    assert [w.id for w in choice.params["workers"]] == [colleague.id]
    [step] = rendered(choice, "en")
    assert isinstance(step, Text) and step.keyboard is not None
    assert len(step.keyboard.inline_keyboard) == 2  # the colleague, then the pool

    mark = last_notice_id(db)
    act(db, clock, fu.reassign, worker.id, f.id, colleague.id, MTL, PROMPT)
    to_colleague, to_presser = told(db, mark)
    assert to_colleague.chat_id == colleague.chat_id and to_colleague.edit_message_id is None
    assert line_of(to_colleague) == (
        NoticeKind.FOLLOWUP_LINE,
        "followup.reassigned_to_you",
        {"ref": ref, "by": "Marie Roy", "due": f.due_at, "note": "—"},
    )
    assert (to_presser.chat_id, to_presser.edit_message_id) == (worker.chat_id, PROMPT)
    assert line_of(to_presser) == (
        NoticeKind.FOLLOWUP_LINE,
        "followup.reassigned",
        {"ref": ref, "name": "Paul Gagnon"},
    )
    [step] = rendered(to_colleague)
    assert "Marie Roy" in step.text and f.due_at.astimezone(MTL).strftime("%H:%M") in step.text

    mark = last_notice_id(db)
    act(db, clock, fu.reassign, colleague.id, f.id, None, MTL, PROMPT)
    notice = one(db, mark)  # the pool: only the presser is told
    assert notice.chat_id == colleague.chat_id
    assert line_of(notice) == (NoticeKind.FOLLOWUP_LINE, "followup.reassigned_pool", {"ref": ref})


def test_a_reassign_once_due_tells_nobody_else_the_reminder_itself_goes_to_them(db, clock):
    f, worker, _ = _planned(db, clock)
    colleague = enrol(db, clock, Role.WORKER, "Paul Gagnon", available=True)
    clock.advance(hours=25)
    mark = last_notice_id(db)
    act(db, clock, fu.reassign, worker.id, f.id, colleague.id, MTL, PROMPT)
    assert [(n.chat_id, n.params["key"]) for n in told(db, mark)] == [
        (worker.chat_id, "followup.reassigned")
    ]


def test_a_refused_reassign_records_nothing(db, clock):
    f, worker, _ = _planned(db, clock)
    sup = enrol(db, clock, Role.SUPERVISOR, "Anne Lavoie")
    mark = last_notice_id(db)
    act(db, clock, fu.reassign, worker.id, f.id, sup.id, MTL, PROMPT)  # not a worker
    assert told(db, mark) == []


# --- /followups ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_list_of_pending_follow_ups_is_one_notice_with_its_lines(db, clock, lang):
    f, worker, _ = _planned(db, clock)
    mark = last_notice_id(db)
    act(db, clock, fu.show_pending, worker, MTL)
    notice = one(db, mark)
    assert (notice.chat_id, notice.kind, notice.params["total"]) == (
        worker.chat_id,
        NoticeKind.FOLLOWUP_LIST,
        1,
    )
    assert notice.params["items"] == [
        {
            "reference": f.consultation.reference,
            "due_at": f.due_at,
            "assignee": "Marie Roy",
            "note": "",
        }
    ]
    [step] = rendered(notice, lang)
    assert isinstance(step, Text)
    assert f.consultation.reference in step.text and "Marie Roy" in step.text
    other = enrol(db, clock, Role.WORKER, "Paul Gagnon")
    mark = last_notice_id(db)
    act(db, clock, fu.show_pending, other, MTL)
    empty = one(db, mark)
    assert (empty.params["total"], empty.params["items"]) == (0, [])  # Marie's is her own
    [step] = rendered(empty, lang)
    assert isinstance(step, Text) and f.consultation.reference not in step.text


# --- digests -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_handover_digest_is_recorded_once_per_shift_with_its_claim(db, clock, lang):
    clock.now = local(2026, 11, 20, 10, 0)
    f, worker, _ = _planned(db, clock)  # due the 21st 10:00: overdue by the 23rd
    roster.add_shifts(db, worker.id, "mon", "08:00-16:00", False, clock)
    clock.now = local(2026, 11, 23, 8, 0)
    mark = last_notice_id(db)
    [digest] = digests.due_shift_digests(db, clock, FU_POLICY)
    notice = one(db, mark)
    assert (notice.chat_id, notice.kind) == (worker.chat_id, NoticeKind.SHIFT_DIGEST)
    assert notice.params["name"] == "Marie Roy" and notice.params["overdue_count"] == 1
    assert [row["reference"] for row in notice.params["overdue"]] == [f.consultation.reference]
    [step] = rendered(notice, lang)
    assert isinstance(step, Text) and "Marie Roy" in step.text
    assert f.consultation.reference in step.text
    assert step.text == view.digest(lang, digest, MTL)
    clock.now = local(2026, 11, 23, 9, 0)
    mark = last_notice_id(db)
    assert digests.due_shift_digests(db, clock, FU_POLICY) == []
    assert told(db, mark) == []


def test_done_yesterday_counts_the_whole_local_day_after_a_clock_change(db, clock):
    clock.now = local(2026, 10, 30, 0, 30)
    f, worker, _ = _planned(db, clock)  # due the 31st 00:30
    enrol(db, clock, Role.SUPERVISOR, "Anne Lavoie")
    clock.now = local(2026, 11, 1, 0, 30)  # EDT, before the clocks go back at 02:00
    act(db, clock, fu.start_done, worker.id, f.id)
    assert act(db, clock, fu.answer, worker, "vu", FU_POLICY).status == AnswerStatus.DONE
    clock.now = local(2026, 11, 2, 8, 0)  # yesterday was 25 hours long
    summary = digests.due_supervisor_summary(db, clock, FU_POLICY)
    assert summary is not None and summary.done_yesterday == 1


def test_the_daily_summary_is_one_notice_per_supervisor_with_the_overdue_list(db, clock):
    clock.now = local(2026, 11, 23, 7, 0)
    f, _, _ = _planned(db, clock)  # due the 24th 07:00
    anne = enrol(db, clock, Role.SUPERVISOR, "Anne Lavoie")
    luc = enrol(db, clock, Role.SUPERVISOR, "Luc Bélanger", language_code="en")
    clock.now = local(2026, 11, 25, 8, 0)
    mark = last_notice_id(db)
    summary = digests.due_supervisor_summary(db, clock, FU_POLICY)
    assert summary is not None and [s.id for s in summary.supervisors] == [anne.id, luc.id]
    to_anne, to_luc = told(db, mark)
    assert [(n.chat_id, n.kind, n.language) for n in (to_anne, to_luc)] == [
        (anne.chat_id, NoticeKind.DAILY_SUMMARY, "fr"),
        (luc.chat_id, NoticeKind.DAILY_SUMMARY, "en"),
    ]
    assert to_anne.params["overdue_count"] == 1 and to_anne.params["grace_hours"] == 24
    assert [row["reference"] for row in to_luc.params["overdue"]] == [f.consultation.reference]
    figures, overdue = rendered(to_luc, "en")
    assert isinstance(overdue, Text) and f.consultation.reference in overdue.text
    assert isinstance(figures, Text) and figures.text == view.summary("en", summary)
    kinds = [e.kind for e in events.timeline(db, f.consultation.id)]
    assert kinds.count(EventKind.FOLLOWUP_OVERDUE) == 1  # one event, however many supervisors
    mark = last_notice_id(db)
    assert digests.due_supervisor_summary(db, clock, FU_POLICY) is None  # once a day
    assert told(db, mark) == []

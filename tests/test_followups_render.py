"""Follow-ups as the worker and the supervisor read them, in both languages: the reminder
(with whose it was, late, possible repeat), its buttons, the lists and the digests."""

from __future__ import annotations

import pytest

from bot import callbacks
from bot.render import followups as view
from flows import digests, reminders
from flows import followups as fu
from flows.reminders import Reminder
from flows.vocabulary import Plan, Role
from tests.support.followups import FU_POLICY, MTL, closed_case, local
from tests.support.people import POLICY, enrol
from tests.support.units import act


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_reminder_says_what_whose_and_offers_every_button(db, clock, lang):
    c, worker, _ = closed_case(db, clock)
    f = act(db, clock, fu.plan, worker.id, c.id, Plan.HOURS_24, MTL).followup
    assert f is not None
    act(db, clock, fu.answer, worker, "a-t-il appelé le CLSC ?", FU_POLICY)
    clock.advance(hours=24)
    [r] = reminders.claim_due(db, clock, POLICY)
    shown = view.reminder(lang, Reminder(r.followup, r.recipients, worker, True), MTL, late=True)
    assert c.reference in shown.text and "a-t-il appelé le CLSC ?" in shown.text
    assert "Marie Roy" in shown.text  # whose it was
    assert "Homme en crise" in shown.text
    assert shown.keyboard is not None
    data = [b.callback_data for row in shown.keyboard.inline_keyboard for b in row]
    actions = [callbacks.decode(str(d)).action for d in data]  # type: ignore[union-attr]
    assert actions == [
        callbacks.Action.FOLLOWUP_DONE,
        callbacks.Action.FOLLOWUP_SNOOZE,
        callbacks.Action.FOLLOWUP_SNOOZE,
        callbacks.Action.FOLLOWUP_SNOOZE,
        callbacks.Action.FOLLOWUP_REASSIGN,
    ]
    plain = view.reminder(lang, r, MTL)  # the assignee's own: no "whose", not late
    assert plain.text.count("Marie Roy") == 0 and len(plain.text) < len(shown.text)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_lists_digest_and_summary_render_in_both_languages(db, clock, lang):
    clock.now = local(2026, 11, 20, 10, 0)
    c, worker, officer = closed_case(db, clock)
    act(db, clock, fu.plan, worker.id, c.id, Plan.HOURS_24, MTL)
    sup = enrol(db, clock, Role.SUPERVISOR, "Anne Lavoie")
    clock.now = local(2026, 11, 23, 8, 30)
    items = fu.pending_for(db, sup)
    listing = view.pending_list(lang, items, MTL)
    assert c.reference in listing and "2026-11-21 10:00" in listing and "Marie Roy" in listing
    assert view.pending_list(lang, [], MTL)
    summary = digests.due_supervisor_summary(db, clock, FU_POLICY)
    assert summary is not None
    assert "1" in view.summary(lang, summary)
    overdue = view.overdue_list(lang, summary.overdue, MTL, 24)
    assert c.reference in overdue and "24" in overdue
    digest = digests._digest(db, worker.id, clock(), FU_POLICY)
    text = view.digest(lang, digest, MTL)
    assert "Marie Roy" in text and c.reference in text
    prompt = view.plan_prompt(lang, c)
    assert prompt.keyboard is not None
    labels = [b.text for row in prompt.keyboard.inline_keyboard for b in row]
    assert len(labels) == 5
    choice = view.assignee_choice(lang, items[0], [officer])
    assert choice.keyboard is not None and len(choice.keyboard.inline_keyboard) == 2

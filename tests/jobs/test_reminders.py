"""Return reminders count working days, go once, and never to anyone who has submitted."""

from __future__ import annotations

import datetime as dt

from grants.extensions import db
from grants.jobs.outbox import dispatch_pending
from grants.jobs.reminders import queue_return_reminders
from tests.workflows.worlds import build_world, start_history
from workflows.declaration import APPLICANT, OFFICER
from workflows.engine import fire

# Monday 23 November 2026, midday in London.
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def open_return(due: dt.date):
    world = build_world()
    start_history(world)
    award = world.objects["award"]
    award.reference = "PF-2627-0007-A"
    monitoring_return = world.objects["monitoring_return"]
    monitoring_return.due_date = due
    fire(world.actors[OFFICER], monitoring_return, "open")
    db.session.commit()
    return world, monitoring_return


def test_due_soon_reminder_goes_once(ctx, outbox):
    _, monitoring_return = open_return(dt.date(2026, 11, 26))  # Thursday: 3 working days away
    assert queue_return_reminders(NOW) == [(monitoring_return.id, "due_soon")]
    dispatch_pending()
    [message] = outbox
    assert message.subject == "Your monitoring return for PF-2627-0007-A is due soon"
    assert "26 November 2026" in message.body
    assert queue_return_reminders(NOW) == []
    assert queue_return_reminders(NOW + dt.timedelta(days=1)) == []
    dispatch_pending()
    assert len(outbox) == 1


def test_no_reminder_a_week_of_working_days_ahead(ctx, outbox):
    open_return(dt.date(2026, 12, 3))  # 8 working days away
    assert queue_return_reminders(NOW) == []


def test_overdue_once_a_full_working_day_has_passed(ctx, outbox):
    _, monitoring_return = open_return(dt.date(2026, 11, 20))  # the Friday before
    assert queue_return_reminders(NOW) == [(monitoring_return.id, "overdue")]
    dispatch_pending()
    assert "is overdue" in outbox[0].subject


def test_not_overdue_before_a_working_day_has_passed(ctx, outbox):
    open_return(dt.date(2026, 11, 20))  # due on the Friday
    saturday = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
    assert queue_return_reminders(saturday) == []


def test_nobody_who_has_submitted_is_reminded(ctx, outbox):
    world, monitoring_return = open_return(dt.date(2026, 11, 26))
    queued = queue_return_reminders(NOW)
    assert queued == [(monitoring_return.id, "due_soon")]
    fire(world.actors[APPLICANT], monitoring_return, "submit")  # before the email goes
    db.session.commit()
    dispatch_pending()
    assert outbox == []
    assert queue_return_reminders(NOW) == []  # a submitted return is not waiting

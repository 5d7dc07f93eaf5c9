"""Deadline alerts with frozen time and the working-day calendar; escalation list; inbox order;
`flask items remind` (once per matter, unit, threshold and deadline) with e-mail through a fake SMTP."""
from __future__ import annotations

import datetime as dt

from app import models as m
from app.extensions import db
from app.services import matters as svc
from tests.supervision_support import frozen, sent_matter, unit_id  # noqa: F401

D = dt.date


def holidays(*days, kind="holiday"):
    for day in days:
        db.session.add(m.Holiday(day=day, kind=kind, name="测试"))
    db.session.commit()


def test_alert_tiers_follow_working_days_and_holidays(app, factory, frozen):
    matter = factory.matter(deadline=D(2026, 4, 3))          # a Friday
    holidays(D(2026, 4, 6))                                   # Monday off (清明)
    holidays(D(2026, 4, 11), kind="workday")                  # 调休 Saturday on
    expected = {
        D(2026, 3, 30): "none",      # 4 working days before
        D(2026, 3, 31): "near",      # 3 working days before (near_deadline_workdays = 3)
        D(2026, 4, 3): "near",       # the deadline day itself
        D(2026, 4, 4): "overdue",    # Saturday after: overdue, 0 working days lost
        D(2026, 4, 7): "overdue",    # 1 working day (Monday was a holiday)
        D(2026, 4, 10): "overdue",   # 4 working days
        D(2026, 4, 11): "escalated", # 调休 Saturday is the 5th working day (escalate_workdays = 5)
    }
    for day, alert in expected.items():
        frozen(day)
        assert svc.alert_of(matter) == alert, day
    # without the holiday the 5th working day would have been Friday 04-10
    db.session.query(m.Holiday).filter(m.Holiday.day == D(2026, 4, 6)).delete()
    db.session.commit()
    frozen(D(2026, 4, 10))
    assert svc.alert_of(matter) == "escalated"
    # done matters never alert
    matter.status = "replied"
    db.session.commit()
    assert svc.alert_of(matter) == "none"


def test_deadline_on_a_holiday_rolls_forward_and_thresholds_are_settings(app, factory, frozen):
    holidays(D(2026, 5, 1), D(2026, 5, 4), D(2026, 5, 5))
    matter = factory.matter(deadline=D(2026, 5, 1))
    frozen(D(2026, 5, 5))
    assert svc.alert_of(matter) == "near"        # effective deadline is Wednesday 05-06
    frozen(D(2026, 5, 7))
    assert svc.alert_of(matter) == "overdue"
    frozen(D(2026, 4, 24))
    assert svc.alert_of(matter) == "none"
    setting = db.session.query(m.Setting).filter(m.Setting.key == "near_deadline_workdays").one()
    old = setting.value
    try:
        setting.value = "10"
        db.session.commit()
        assert svc.alert_of(matter) == "near"
    finally:
        setting.value = old
        db.session.commit()


def test_escalated_matters_are_scoped(app, factory, frozen):
    late = factory.matter(deadline=D(2026, 3, 2))
    factory.matter(deadline=D(2026, 3, 6))
    factory.matter(deadline=D(2026, 3, 2), status="closed")
    frozen(D(2026, 3, 10))                                   # 6 working days after 03-02
    assert [x.id for x in svc.escalated_matters(db.session, factory.user("office"))] == [late.id]
    assert [x.id for x in svc.escalated_matters(db.session, factory.user("tax"))] == [late.id]
    assert svc.escalated_matters(db.session, factory.user("hr")) == []


def test_inbox_orders_by_alert_then_deadline(app, factory, frozen):
    far = factory.matter(deadline=D(2026, 4, 30))
    near = factory.matter(deadline=D(2026, 3, 12))
    overdue = factory.matter(deadline=D(2026, 3, 9))
    done = factory.matter(deadline=D(2026, 3, 1), status="closed")
    frozen(D(2026, 3, 10))
    rows = svc.unit_inbox(db.session, factory.user("tax"))
    assert [(p.matter_id, alert) for p, alert in rows] == [(overdue.id, "overdue"), (near.id, "near"), (far.id, "none")]
    assert done.id not in [p.matter_id for p, _ in rows]
    assert svc.unit_inbox(db.session, factory.user("hr")) == []


class FakeSMTP:
    sent: list = []

    def __init__(self, host, port, timeout=None):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def run_remind(app):
    result = app.test_cli_runner().invoke(args=["items", "remind"])
    assert result.exit_code == 0, result.output
    return result.output


def reminders(app):
    with app.app_context():
        return sorted((r.matter_id, r.unit_id, r.threshold) for r in db.session.query(m.Reminder).filter(m.Reminder.kind == "auto"))


def test_remind_command_once_per_threshold_and_mail(app, clients, frozen, monkeypatch):
    import smtplib

    FakeSMTP.sent = []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.test")
    tax, hr = unit_id(app, "县税务局"), unit_id(app, "县人社局")
    pk = sent_matter(app, clients, co=("县人社局",), deadline="2026-03-06")   # Friday
    quiet = sent_matter(app, clients, deadline="2026-04-30")
    with app.app_context():
        unit = db.session.get(m.Unit, tax)
        old_email, unit.email = unit.email, "tax-liaison@example.test"
        db.session.commit()
    try:
        frozen(D(2026, 3, 4))
        output = run_remind(app)
        assert "新增催办提醒 2 条" in output and "发送邮件 1 封" in output
        assert reminders(app) == sorted([(pk, tax, "near:2026-03-06"), (pk, hr, "near:2026-03-06")])
        assert FakeSMTP.sent[0]["To"] == "tax-liaison@example.test" and "即将到期" in FakeSMTP.sent[0].get_content()
        assert "新增催办提醒 0 条" in run_remind(app)               # same day: nothing new
        frozen(D(2026, 3, 5))
        assert "新增催办提醒 0 条" in run_remind(app)               # still near: nothing new
        assert len(reminders(app)) == 2 and len(FakeSMTP.sent) == 1

        # the co-unit replies; on Monday only the lead is overdue
        hr_client = clients.api("hr")
        hr_client.post(f"/api/v1/item/{pk}/sign")
        hr_client.post(f"/api/v1/item/{pk}/reply", json={"content": "已配合"})
        frozen(D(2026, 3, 9))
        assert "新增催办提醒 1 条" in run_remind(app)
        assert (pk, tax, "overdue:2026-03-06") in reminders(app) and (pk, hr, "overdue:2026-03-06") not in reminders(app)
        frozen(D(2026, 3, 13))                                         # 5 working days late
        run_remind(app)
        assert (pk, tax, "escalated:2026-03-06") in reminders(app)
        assert "新增催办提醒 0 条" in run_remind(app)
        assert quiet not in {r[0] for r in reminders(app)}
        with app.app_context():
            notes = db.session.query(m.Notification).filter(m.Notification.unit_id == tax,
                                                            m.Notification.message.like("自动催办%")).count()
            assert notes == 3
            assert db.session.query(m.MatterEvent).filter(m.MatterEvent.action == "auto_remind").count() == 4
    finally:
        with app.app_context():
            unit = db.session.get(m.Unit, tax)
            unit.email = old_email
            db.session.commit()


def test_remind_command_without_mail_server_and_new_round_after_extension(app, clients, frozen, monkeypatch):
    import smtplib

    def refuse(*a, **kw):
        raise AssertionError("SMTP must not be used without MAIL_SERVER")

    monkeypatch.setattr(smtplib, "SMTP", refuse)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    pk = sent_matter(app, clients, deadline="2026-03-06")
    clients.api("tax").post(f"/api/v1/item/{pk}/sign")
    frozen(D(2026, 3, 4))
    assert "未配置 MAIL_SERVER" in run_remind(app)
    clients.api("tax").post(f"/api/v1/item/{pk}/extend", json={"deadline": "2026-03-20", "reason": "需要时间"})
    clients.api("office").post(f"/api/v1/item/{pk}/extension/approve", json={})
    frozen(D(2026, 3, 18))
    run_remind(app)
    assert [r[2] for r in reminders(app)] == ["near:2026-03-06", "near:2026-03-20"]

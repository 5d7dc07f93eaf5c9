"""Automatic 催办 (`flask items remind`, daily from cron): a reminder, a notice and a timeline event
for each unit part near or past its deadline, once per threshold and deadline. The e-mail that
follows is matter_mail.py's."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from app import models as m
from app.models.base import now
from app.models.supervision import OPEN_MATTER_STATUSES
from app.services.matter_queries import AlertContext
from app.services.matters import _deadline_text, _link, _name, add_event
from app.services import notifications


@dataclass
class ReminderRun:
    created: list = field(default_factory=list)   # (matter, unit, alert)
    mailed: int = 0
    mail_errors: list = field(default_factory=list)


AUTO_TEXT = {"near": "即将到期", "overdue": "已逾期", "escalated": "严重逾期（将列入通报）"}


def auto_reminders(session, on: Optional[dt.date] = None) -> ReminderRun:
    """Reminders for parts near or past the deadline: once per matter, unit, threshold and deadline.

    The threshold key carries the deadline (e.g. ``near:2026-04-15``), so an approved extension
    starts a new round; running the command again the same day (or next day) adds nothing.
    """
    ctx = AlertContext(on)
    run = ReminderRun()
    parts = (session.query(m.MatterAssignment).join(m.Matter, m.Matter.id == m.MatterAssignment.matter_id)
             .filter(m.Matter.status.in_(OPEN_MATTER_STATUSES), m.Matter.deadline.is_not(None),
                     m.MatterAssignment.status != "replied")
             .order_by(m.Matter.deadline, m.Matter.id, m.MatterAssignment.id))
    candidates = []
    for part in parts:
        alert = ctx.of_part(part)
        if alert in AUTO_TEXT:
            candidates.append((part, alert, f"{alert}:{part.matter.deadline.isoformat()}"))
    if not candidates:
        return run
    matter_ids = {part.matter_id for part, _, _ in candidates}
    existing = {(r.matter_id, r.unit_id, r.threshold) for r in session.query(m.Reminder).filter(
        m.Reminder.matter_id.in_(matter_ids), m.Reminder.kind == "auto")}
    for part, alert, threshold in candidates:
        if (part.matter_id, part.unit_id, threshold) in existing:
            continue
        matter = part.matter
        text = f"{AUTO_TEXT[alert]}：{_name(matter)}，办理期限{_deadline_text(matter)}"
        if alert != "near":
            text += f"，已超期{ctx.overdue_workdays(matter.deadline)}个工作日"
        session.add(m.Reminder(matter_id=part.matter_id, unit_id=part.unit_id, threshold=threshold, kind="auto",
                               note=text, created_at=now()))
        notifications.notify_unit(session, part.unit_id, "自动催办：" + text, _link(matter))
        add_event(session, matter, None, "auto_remind", f"{part.unit.name}：{AUTO_TEXT[alert]}", unit_id=part.unit_id)
        existing.add((part.matter_id, part.unit_id, threshold))
        run.created.append((matter, part.unit, alert, text))
    return run

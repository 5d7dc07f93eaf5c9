"""Builders of business records for tests: realistic defaults, any field overridable."""
from __future__ import annotations

import datetime as dt
import itertools

from app import models as m
from app.extensions import db

_seq = itertools.count(1)


class Factory:
    def __init__(self, app):
        self.app = app

    def unit(self, name: str) -> m.Unit:
        return db.session.query(m.Unit).filter(m.Unit.name == name).one()

    def user(self, username: str):
        return db.session.query(m.AppUser).filter(m.AppUser.username == username).one()

    def case(self, **fields) -> m.Case:
        n = next(_seq)
        values = dict(case_number=f"（2026）晋0829破{n}号", enterprise_name=f"山西测试{n}有限公司",
                      credit_code="91350100M000100Y43", procedure_type="liquidation", stage="accepted",
                      acceptance_date=dt.date(2026, 3, 1), employee_count=50)
        values.update(fields)
        case = m.Case(**values)
        db.session.add(case)
        db.session.commit()
        return case

    def matter(self, lead: str = "县税务局", co: tuple[str, ...] = (), status: str = "sent", **fields) -> m.Matter:
        n = next(_seq)
        lead_unit = self.unit(lead)
        values = dict(title=f"测试协调事项{n}", content="请协助办理。", lead_unit=lead_unit, status=status,
                      assigned_date=dt.date(2026, 3, 1), deadline=dt.date(2026, 3, 20), source="office")
        values.update(fields)
        matter = m.Matter(**values)
        matter.assignments = [m.MatterAssignment(unit=lead_unit, role="lead")] + [
            m.MatterAssignment(unit=self.unit(name), role="co") for name in co]
        db.session.add(matter)
        db.session.commit()
        return matter

    def meeting(self, units: tuple[str, ...] = (), **fields) -> m.Meeting:
        n = next(_seq)
        values = dict(kind="joint", title=f"测试会议{n}", start_at=dt.datetime(2026, 3, 16, 9, 0), place="县法院会议室",
                      status="scheduled", year=2026, seq=n)
        values.update(fields)
        meeting = m.Meeting(**values)
        meeting.units = [self.unit(name) for name in units]
        db.session.add(meeting)
        db.session.commit()
        return meeting

    def minutes(self, meeting: m.Meeting, distributed_to: tuple[str, ...] = (), status: str = "draft", **fields) -> m.Minutes:
        values = dict(meeting=meeting, title=f"{meeting.title}纪要", body="一、会议认为\n（一）测试。", status=status)
        values.update(fields)
        units = [self.unit(name) for name in distributed_to]  # before the new minutes join the session
        minutes = m.Minutes(**values)
        minutes.distributions = [m.MinutesDistribution(unit=unit, kind="main") for unit in units]
        db.session.add(minutes)
        db.session.commit()
        return minutes

    def add(self, obj):
        db.session.add(obj)
        db.session.commit()
        return obj

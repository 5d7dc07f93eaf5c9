"""Shared helpers for the tests of the 督促推进机制 (tests/test_supervision_*.py)."""
from __future__ import annotations

import datetime as dt

import pytest

from app import models as m
from app.extensions import db

MONDAY = dt.date(2026, 3, 2)


@pytest.fixture
def frozen(monkeypatch):
    """Freeze 'today' for the services (app.services.calendar.today); returns a setter."""
    from app.services import calendar

    state = {"today": MONDAY}
    monkeypatch.setattr(calendar, "today", lambda: state["today"])

    def set_today(day: dt.date):
        state["today"] = day

    return set_today


def unit_id(app, name: str) -> int:
    with app.app_context():
        return db.session.query(m.Unit.id).filter(m.Unit.name == name).scalar()


def create_draft(app, clients, *, lead="县税务局", co=(), title="关于协助申报税收债权的函", deadline="2026-03-20",
                 **extra) -> int:
    body = {"title": title, "lead_unit": unit_id(app, lead), "co_units": [unit_id(app, n) for n in co],
            "deadline": deadline, "content": "请依法申报税收债权。", **extra}
    response = clients.api("office").post("/api/v1/item/", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def sent_matter(app, clients, **kw) -> int:
    pk = create_draft(app, clients, **kw)
    response = clients.api("office").post(f"/api/v1/item/{pk}/send")
    assert response.status_code == 200, response.get_json()
    return pk


def load(app, pk) -> m.Matter:
    """A fresh copy of the matter (new session) to check what was committed."""
    with app.app_context():
        db.session.remove()
        matter = db.session.get(m.Matter, pk)
        matter.assignments, matter.events, matter.extension_requests  # noqa: B018 (load while attached)
        db.session.expunge_all()
        return matter


def part(matter: m.Matter, unit_name: str) -> m.MatterAssignment:
    return next(a for a in matter.assignments if a.unit.name == unit_name)


def events(app, pk) -> list[str]:
    with app.app_context():
        return [a for (a,) in db.session.query(m.MatterEvent.action).filter(m.MatterEvent.matter_id == pk)
                .order_by(m.MatterEvent.id)]

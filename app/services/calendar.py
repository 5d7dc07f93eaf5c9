"""The working-day calendar an administrator maintains (节假日与调休), cached per process."""
from __future__ import annotations

import datetime as dt
import time

from app.services.workdays import WorkCalendar, deadline_alert

_cached: tuple[float, WorkCalendar] | None = None
TTL_SECONDS = 30.0

ALERT_LABELS = {"none": "", "near": "临期", "overdue": "逾期", "escalated": "严重逾期"}
ALERT_COLOURS = {"none": "default", "near": "warning", "overdue": "danger", "escalated": "danger"}


def work_calendar() -> WorkCalendar:
    global _cached
    from flask import current_app, g, has_request_context

    if current_app.testing:  # no cache across requests under test; still one read per request
        if not has_request_context():
            return _load()
        if "fyld_calendar" not in g:  # a request's own app context, so its own g
            g.fyld_calendar = _load()
        return g.fyld_calendar
    if _cached is None or time.monotonic() - _cached[0] > TTL_SECONDS:
        _cached = (time.monotonic(), _load())
    return _cached[1]


def _load() -> WorkCalendar:
    from app.extensions import db
    from app.models.org import Holiday

    holidays, workdays = set(), set()
    for day, kind in db.session.query(Holiday.day, Holiday.kind):
        (workdays if kind == "workday" else holidays).add(day)
    return WorkCalendar(holidays, workdays)


def invalidate() -> None:
    global _cached
    from flask import g, has_request_context

    _cached = None
    if has_request_context():
        g.pop("fyld_calendar", None)


def today() -> dt.date:
    """Today's date; one place so tests can freeze it."""
    return dt.date.today()


def alert_for(deadline: dt.date | None, done: bool, on: dt.date | None = None) -> str:
    """The deadline alert of an open item, computed now from the settings — never stored."""
    from app.services import settings

    return deadline_alert(deadline, on or today(), work_calendar(), settings.get_int("near_deadline_workdays"),
                          max(1, settings.get_int("escalate_workdays")), done)

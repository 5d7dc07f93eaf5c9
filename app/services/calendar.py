"""The working-day calendar an administrator maintains (节假日与调休), cached (app/services/caching.py)."""
from __future__ import annotations

import datetime as dt

from app.services import caching
from app.services.workdays import WorkCalendar, deadline_alert

CACHE_KEY = "calendar"
TTL_SECONDS = 30  # how stale another worker's copy may be without a shared (Redis) cache

ALERT_LABELS = {"none": "", "near": "临期", "overdue": "逾期", "escalated": "严重逾期"}
ALERT_COLOURS = {"none": "default", "near": "warning", "overdue": "danger", "escalated": "danger"}


def work_calendar() -> WorkCalendar:
    """The calendar, read once per request and kept in the app's cache (app/services/caching.py)."""
    return caching.cached(CACHE_KEY, _load, TTL_SECONDS)


def _load() -> WorkCalendar:
    from app.extensions import db
    from app.models.org import Holiday

    holidays, workdays = set(), set()
    for day, kind in db.session.query(Holiday.day, Holiday.kind):
        (workdays if kind == "workday" else holidays).add(day)
    return WorkCalendar(holidays, workdays)


def invalidate() -> None:
    """After an administrator's holiday edit: every worker reads the calendar anew."""
    caching.forget(CACHE_KEY)


def today() -> dt.date:
    """Today's date; one place so tests can freeze it."""
    return dt.date.today()


def alert_for(deadline: dt.date | None, done: bool, on: dt.date | None = None) -> str:
    """The deadline alert of an open item, computed now from the settings — never stored."""
    from app.services import settings

    return deadline_alert(deadline, on or today(), work_calendar(), settings.get_int("near_deadline_workdays"),
                          max(1, settings.get_int("escalate_workdays")), done)

"""The calendar comes from the State Council schedule; the administrator's years stay theirs (issue 15)."""
import datetime as dt

from app import models as m
from app.extensions import db
from app.services import calendar
from app.services.holidays import covered_years, coverage_warning, load_state_council_holidays


def _days(year):
    return {h.day: (h.kind, h.name) for h in db.session.query(m.Holiday)
            if h.day.year == year}


def test_seed_fills_every_covered_year_with_the_days_that_differ_from_the_week(app, factory):
    added = load_state_council_holidays(db.session)
    db.session.commit()
    assert added > 0 and 2026 in covered_years()
    year = _days(2026)
    assert year[dt.date(2026, 10, 1)] == ("holiday", "国庆节")
    assert year[dt.date(2026, 2, 17)] == ("holiday", "春节")
    # a working Sunday (调休) is stored; holidays falling on weekends are not (they differ from nothing)
    assert year[dt.date(2026, 9, 20)] == ("workday", "国庆节调休上班")
    assert all((kind == "holiday") == (day.weekday() < 5) for day, (kind, _) in year.items())
    work = calendar.work_calendar()
    assert not work.is_workday(dt.date(2026, 10, 1)) and work.is_workday(dt.date(2026, 9, 20))
    # a second run adds nothing
    assert load_state_council_holidays(db.session) == 0


def test_the_administrators_year_is_never_overwritten(app, factory):
    # the administrator has entered (and shortened) 2025 by hand: the schedule leaves that year alone
    db.session.add(m.Holiday(day=dt.date(2025, 1, 1), kind="holiday", name="元旦（本县）"))
    db.session.commit()
    load_state_council_holidays(db.session)
    db.session.commit()
    assert _days(2025) == {dt.date(2025, 1, 1): ("holiday", "元旦（本县）")}
    assert dt.date(2024, 10, 1) in _days(2024)


def test_the_admin_is_warned_when_the_coming_year_is_not_covered(app, factory, clients):
    uncovered = covered_years().stop
    december = dt.date(uncovered - 1, 12, 1)
    warning = coverage_warning(db.session, today=december)
    assert warning and f"{uncovered}年" in warning
    assert coverage_warning(db.session, today=dt.date(uncovered - 1, 3, 1)) is None
    # once the administrator enters a day of that year, the warning goes
    db.session.add(m.Holiday(day=dt.date(uncovered, 1, 1), kind="holiday", name="元旦"))
    db.session.commit()
    assert coverage_warning(db.session, today=december) is None


def test_seed_load_fills_the_calendar_through_the_cli(app, factory, runner):
    app.config["STATE_COUNCIL_HOLIDAYS"] = True
    try:
        result = runner.invoke(args=["seed", "load"])
    finally:
        app.config["STATE_COUNCIL_HOLIDAYS"] = False
    assert result.exit_code == 0, result.output
    assert "法定节假日与调休" in result.output
    assert dt.date(2026, 10, 1) in _days(2026)


def test_the_holiday_page_carries_the_warning(app, factory, clients):
    expected = coverage_warning(db.session)
    page = clients.web("admin").get("/holidayview/list/", follow_redirects=True).get_data(as_text=True)
    assert page.count("法定节假日和调休安排") == (1 if expected else 0)
    assert "节假日与调休" in page

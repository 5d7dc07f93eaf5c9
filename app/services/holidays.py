"""The State Council's holiday schedule (国务院办公厅节假日安排) from the `chinese-calendar` package.

`seed load` fills the calendar for every year the package covers and that the calendar does not
hold yet: a year with any row is the administrator's, so their additions, corrections and deletions
are never overwritten. Only days that differ from the Monday–Friday week are stored (a holiday on a
weekday, a 调休 working Saturday or Sunday), as an administrator would type them.
"""
from __future__ import annotations

import datetime as dt

import chinese_calendar
from sqlalchemy import extract, select

HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def covered_years() -> range:
    """Years whose schedule the installed package ships (it raises for others)."""
    days = list(chinese_calendar.holidays) + list(chinese_calendar.workdays)
    return range(min(days).year, max(days).year + 1)


def schedule(year: int) -> list[tuple[dt.date, str, str]]:
    """(day, kind, Chinese name) of one covered year's days that differ from the ordinary week."""
    days = []
    for day, name in chinese_calendar.holidays.items():
        if day.year == year and day.weekday() < 5:
            days.append((day, "holiday", HOLIDAY_NAMES.get(name, name)))
    for day, name in chinese_calendar.workdays.items():
        if day.year == year and day.weekday() >= 5:
            days.append((day, "workday", f"{HOLIDAY_NAMES.get(name, name)}调休上班"))
    return sorted(days)


def years_in_calendar(session) -> set[int]:
    from app.models.org import Holiday

    return {int(year) for (year,) in session.execute(select(extract("year", Holiday.day)).distinct())}


def load_state_council_holidays(session) -> int:
    """Adds the covered years the calendar does not hold yet; returns the days added."""
    from app.models.org import Holiday

    held = years_in_calendar(session)
    added = 0
    for year in covered_years():
        if year in held:
            continue
        for day, kind, name in schedule(year):
            session.add(Holiday(day=day, kind=kind, name=name))
            added += 1
    session.flush()
    if added:
        from app.services import calendar

        calendar.invalidate()
    return added


def coverage_warning(session, today: dt.date | None = None) -> str | None:
    """What the administrator must do when this or (from October) next year has no schedule."""
    today = today or dt.date.today()
    wanted = [today.year] + ([today.year + 1] if today.month >= 10 else [])
    held = years_in_calendar(session)
    missing = [year for year in wanted if year not in held and year not in covered_years()]
    if not missing:
        return None
    years = "、".join(f"{year}年" for year in missing)
    return (f"日历中还没有{years}的法定节假日和调休安排：国务院办公厅公布后，请在“系统管理 → 节假日与调休”页面逐日录入"
            f"（或请技术人员升级节假日数据包后重新载入基础数据），否则办理期限只按周一至周五计算。")

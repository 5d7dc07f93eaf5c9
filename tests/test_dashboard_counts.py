"""Home pages by role: every number on the page equals the count of the corresponding list the same
user gets from the API (a different code path: FAB base filters instead of `scoped` queries)."""
from __future__ import annotations

import datetime as dt
import re

from app import models as m
from app.extensions import db
from app.models.supervision import OPEN_MATTER_STATUSES
from app.services.calendar import alert_for, today

STAT = re.compile(r'id="stat-(\w+)" data-value="(\d+)"')


def home_numbers(clients, username) -> dict[str, int]:
    response = clients.web(username).get("/")
    assert response.status_code == 200, username
    return {key: int(value) for key, value in STAT.findall(response.get_data(as_text=True))}


def api_rows(api, resource, q="(page_size:100)"):
    response = api.get(f"/api/v1/{resource}/?q={q}")
    assert response.status_code == 200, response.json
    assert response.json["count"] <= 100
    return response.json["result"], response.json["ids"], response.json["count"]


def build(factory):
    t = today()
    days = dt.timedelta

    def matter(lead, co=(), status="sent", deadline=None, parts=None):
        x = factory.matter(lead=lead, co=co, status=status, assigned_date=t - days(40), deadline=deadline,
                           sent_at=dt.datetime.combine(t - days(40), dt.time(9)))
        for unit_name, part_status in (parts or {}).items():
            part = next(p for p in x.assignments if p.unit.name == unit_name)
            part.status = part_status
            if part_status == "replied":
                part.replied_at = dt.datetime.now()
        db.session.commit()
        return x

    matter("县税务局", ("县人社局",), "sent", t - days(30))                         # escalated, both pending
    matter("县税务局", (), "signed", t, {"县税务局": "signed"})                     # due today
    matter("县人社局", (), "in_progress", t + days(60), {"县人社局": "signed"})
    matter("县税务局", (), "replied", t - days(3), {"县税务局": "replied"})
    matter("县财政局", (), "sent", t - days(2))
    matter("县税务局", (), "draft", t + days(5))
    matter("县税务局", ("县人社局",), "in_progress", t - days(10), {"县税务局": "replied", "县人社局": "signed"})
    matter("县人社局", (), "sent", t + days(1))
    now = dt.datetime.now().replace(microsecond=0)
    factory.meeting(units=("县税务局",), title="下周联席会议", start_at=now + days(5), status="scheduled")
    factory.meeting(title="专题会议", kind="special", start_at=now + days(9), status="scheduled")
    factory.meeting(units=("县税务局",), title="已开会议", start_at=now - days(9), status="held")
    scheme = db.session.query(m.RiskScheme).first()
    for case_levels, plan_status, major in [(["重大"], None, True), (["高"], "approved", False),
                                            (["高", "低"], None, False), (["高"], "draft", True)]:
        case = factory.case(is_major_sensitive=major)
        for i, level in enumerate(case_levels):
            factory.add(m.Assessment(case_id=case.id, scheme_id=scheme.id, level=level,
                                     assessed_on=t - days(10 - i)))
        if plan_status:
            factory.add(m.DisposalPlan(case_id=case.id, title="处置方案", status=plan_status))
    joint = db.session.query(m.Meeting).filter_by(title="已开会议").one()
    factory.minutes(joint, status="draft")
    factory.minutes(joint, distributed_to=("县税务局",), status="issued", number="平府院联纪〔2026〕1号")
    factory.add(m.Evaluation(year=t.year - 1, title="评价", status="approved"))


def expected_overview(api) -> dict[str, int]:
    items, _, _ = api_rows(api, "item")
    open_items = [i for i in items if i["status"] in OPEN_MATTER_STATUSES]
    alerts = [alert_for(dt.date.fromisoformat(i["deadline"]) if i["deadline"] else None, False) for i in open_items]
    replied = api_rows(api, "item", "(filters:!((col:status,opr:eq,value:replied)))")[2]
    meetings, _, _ = api_rows(api, "meeting")
    upcoming = [x for x in meetings if x["status"] == "scheduled"
                and dt.datetime.fromisoformat(x["start_at"]) >= dt.datetime.now()]
    cases, case_ids, _ = api_rows(api, "case")
    risky = 0
    for case_id in case_ids:
        latest = (db.session.query(m.Assessment).filter_by(case_id=case_id)
                  .order_by(m.Assessment.assessed_on.desc(), m.Assessment.id.desc()).first())
        has_plan = db.session.query(m.DisposalPlan).filter(m.DisposalPlan.case_id == case_id,
                                                           m.DisposalPlan.status.in_(("approved", "in_effect"))).count()
        risky += bool(latest and latest.level in ("高", "重大") and not has_plan)
    return {
        "open_matters": len(open_items),
        "overdue_matters": sum(a in ("overdue", "escalated") for a in alerts),
        "escalated_matters": sum(a == "escalated" for a in alerts),
        "near_matters": sum(a == "near" for a in alerts),
        "replied_matters": replied,
        "upcoming_meetings": len(upcoming),
        "risky_cases": risky,
        "major_cases": sum(1 for c in cases if c["is_major_sensitive"]),
    }


def expected_unit(api, unit_name) -> dict[str, int]:
    unit = db.session.query(m.Unit).filter_by(name=unit_name).one()
    items, ids, _ = api_rows(api, "item")
    t = today()
    week_end = t + dt.timedelta(days=6 - t.weekday())
    out = {"pending": 0, "in_progress": 0, "due_week": 0, "overdue": 0}
    for item in items:
        if item["status"] not in OPEN_MATTER_STATUSES:
            continue
        part = db.session.query(m.MatterAssignment).filter_by(matter_id=item["id"], unit_id=unit.id).one()
        if part.status == "replied":
            continue
        out["pending" if part.status == "pending" else "in_progress"] += 1
        deadline = dt.date.fromisoformat(item["deadline"])
        if alert_for(deadline, False) in ("overdue", "escalated"):
            out["overdue"] += 1
        elif t <= deadline <= week_end:
            out["due_week"] += 1
    meetings, _, _ = api_rows(api, "meeting")
    out["upcoming_meetings"] = sum(1 for x in meetings if x["status"] == "scheduled"
                                   and dt.datetime.fromisoformat(x["start_at"]) >= dt.datetime.now())
    return out


def test_numbers_equal_the_lists_for_each_role(app, clients, factory):
    build(factory)
    for username in ("admin", "office", "viewer", "convener"):
        numbers = home_numbers(clients, username)
        expected = expected_overview(clients.api(username))
        assert {k: numbers[k] for k in expected} == expected, username
        assert expected["open_matters"] == 6 and expected["escalated_matters"] >= 1 and expected["risky_cases"] == 2
    convener = home_numbers(clients, "convener")
    api = clients.api("convener")
    assert convener["minutes_waiting"] == api_rows(api, "minutes", "(filters:!((col:status,opr:eq,value:draft)))")[2] == 1
    evaluations, _, _ = api_rows(api, "evaluation")
    assert convener["evaluations_waiting"] == sum(e["status"] in ("draft", "approved") for e in evaluations) == 1
    assert "minutes_waiting" not in home_numbers(clients, "office")

    for username, unit in (("tax", "县税务局"), ("hr", "县人社局")):
        numbers = home_numbers(clients, username)
        expected = expected_unit(clients.api(username), unit)
        assert numbers == expected, username
        assert "open_matters" not in numbers
    assert home_numbers(clients, "tax")["pending"] == 1 and home_numbers(clients, "hr")["overdue"] >= 1
    assert home_numbers(clients, "tax")["upcoming_meetings"] == 1


def test_home_page_content(app, clients, factory):
    build(factory)
    html = clients.web("office").get("/").get_data(as_text=True)
    assert 'id="unit-chart"' in html and "vendor/echarts/echarts.min.js" in html and "js/dashboard.js" in html
    assert "县税务局" in html.split('id="unit-chart-data"')[1].split("</script>")[0]
    assert "季度工作通报尚未印发" in html
    assert "<script>" not in html.split('id="home"')[1]  # no inline script (CSP)
    tax = clients.web("tax").get("/").get_data(as_text=True)
    assert "本周到期" in tax and "unit-chart" not in tax
    assert clients.web("tax").get("/static/vendor/echarts/echarts.min.js").status_code == 200


def test_bulletin_due_clears_when_issued(app, clients, factory):
    from app.services.dashboard import last_quarter

    start, end, label = last_quarter(today())
    factory.add(m.Bulletin(kind="quarter", title="季度通报", period_start=start, period_end=end, status="issued"))
    assert "季度工作通报尚未印发" not in clients.web("office").get("/").get_data(as_text=True)
    assert last_quarter(dt.date(2026, 1, 15))[:2] == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert last_quarter(dt.date(2026, 5, 2))[:2] == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))

"""Annual evaluation: metrics on a fixed data set with hand-computed values, then grade → approve →
issue (numbered, frozen) → PDF, with the refusals along the way."""
from __future__ import annotations

import datetime as dt
import io

import pdfplumber

from app import models as m
from app.extensions import db

Y = 2025
D = dt.datetime


def _matter(factory, title, lead, co=(), *, sent, deadline, status="sent", number=None):
    matter = factory.matter(lead=lead, co=co, status=status, title=title, assigned_date=sent.date(),
                            deadline=deadline, sent_at=sent, letter_number=number)
    return matter


def _reply(matter, unit_name, at):
    part = next(p for p in matter.assignments if p.unit.name == unit_name)
    part.status, part.replied_at = "replied", at
    db.session.commit()


def build_data_set(factory):
    """Hand-computed expectations for 县税务局 (tax) and 县人社局 (hr) are in the test below."""
    tax, hr = factory.unit("县税务局"), factory.unit("县人社局")
    # M1: tax leads, hr co; deadline 3-14; tax replies ON the deadline day (on time), hr the day after (late)
    m1 = _matter(factory, "M1", "县税务局", ("县人社局",), sent=D(Y, 3, 3, 9), deadline=dt.date(Y, 3, 14),
                 status="replied", number="平府院函〔2025〕1号")
    _reply(m1, "县税务局", D(Y, 3, 14, 17, 30))
    _reply(m1, "县人社局", D(Y, 3, 15, 8, 0))
    # M2: tax leads; replied the morning after the deadline (late)
    m2 = _matter(factory, "M2", "县税务局", sent=D(Y, 4, 1, 10), deadline=dt.date(Y, 4, 10), status="closed",
                 number="平府院函〔2025〕2号")
    _reply(m2, "县税务局", D(Y, 4, 11, 8, 0))
    # M3: hr leads and replies early; tax (co) never replies and the matter is still open → overdue
    m3 = _matter(factory, "M3", "县人社局", ("县税务局",), sent=D(Y, 5, 5, 9), deadline=dt.date(Y, 5, 20),
                 status="in_progress", number="平府院函〔2025〕3号")
    _reply(m3, "县人社局", D(Y, 5, 13, 16))
    # excluded: sent the year before, cancelled, still a draft
    _matter(factory, "M4", "县税务局", sent=D(Y - 1, 12, 20), deadline=dt.date(Y - 1, 12, 31), status="sent",
            number="平府院函〔2024〕9号")
    _matter(factory, "M5", "县税务局", sent=D(Y, 6, 1), deadline=dt.date(Y, 6, 10), status="cancelled",
            number="平府院函〔2025〕4号")
    factory.matter(lead="县人社局", status="draft", title="M6", assigned_date=dt.date(Y, 6, 1), deadline=dt.date(Y, 6, 30))
    # reminders: two for tax this year, one the year before
    factory.add(m.Reminder(matter_id=m3.id, unit_id=tax.id, threshold="manual-1", created_at=D(Y, 5, 21)))
    factory.add(m.Reminder(matter_id=m2.id, unit_id=tax.id, threshold="overdue", kind="auto", created_at=D(Y, 4, 11)))
    factory.add(m.Reminder(matter_id=m2.id, unit_id=tax.id, threshold="manual-2", created_at=D(Y - 1, 12, 30)))
    factory.add(m.ExtensionRequest(matter_id=m2.id, unit_id=tax.id, old_deadline=dt.date(Y, 4, 10),
                                   requested_deadline=dt.date(Y, 4, 20), reason="需调取材料", status="refused",
                                   requested_at=D(Y, 4, 8)))
    # meetings: J1 (tax present + a second tax person non-voting: one meeting; hr absent);
    # J2 (tax on leave, hr present); J3 cancelled and J4 of last year do not count
    j1 = factory.meeting(title="J1", start_at=D(Y, 3, 10, 9), status="held", year=Y, seq=1)
    j2 = factory.meeting(title="J2", start_at=D(Y, 6, 10, 9), status="held", year=Y, seq=2)
    j3 = factory.meeting(title="J3", start_at=D(Y, 7, 10, 9), status="scheduled", year=Y, seq=3)
    j4 = factory.meeting(title="J4", start_at=D(Y - 1, 7, 10, 9), status="held", year=Y - 1, seq=4)
    for meeting, unit, status in [(j1, tax, "present"), (j1, tax, "nonvoting"), (j1, hr, "absent"),
                                  (j2, tax, "leave"), (j2, hr, "present"), (j3, tax, "absent"), (j4, tax, "absent")]:
        factory.add(m.Attendance(meeting_id=meeting.id, unit_id=unit.id, status=status, person_name="张三"))
    j3.status = "cancelled"  # after its sign-in sheet: a cancelled meeting's sheet is frozen
    factory.add(j3)
    # proposals and research
    p1 = m.Proposal(title="P1", kind="guide", created_at=D(Y, 5, 1))
    p1.units = [tax, hr]
    p2 = m.Proposal(title="P2", kind="proposal", created_at=D(Y - 1, 5, 1))
    p2.units = [tax]
    office_unit = db.session.query(m.Unit).filter(m.Unit.kind == "office").first()
    r1 = m.ResearchProject(topic="R1", lead_unit=office_unit, start_date=dt.date(Y, 2, 1), status="completed")
    r1.units = [tax]
    r2 = m.ResearchProject(topic="R2", lead_unit=tax, start_date=dt.date(Y - 1, 2, 1))
    for obj in (p1, p2, r1, r2):
        factory.add(obj)
    return tax, hr


EXPECTED = {
    "县税务局": {"lead": 2, "co": 1, "on_time": 1, "late": 1, "overdue": 1, "avg_days": 10.5, "reminders": 2,
              "extensions": 1, "attended": 1, "leave": 1, "absent": 0, "proposals": 1, "research": 1},
    # avg: M1 3-03→3-15 = 12 days, M3 5-05→5-13 = 8 days → 10.0
    "县人社局": {"lead": 1, "co": 1, "on_time": 1, "late": 1, "overdue": 0, "avg_days": 10.0, "reminders": 0,
              "extensions": 0, "attended": 1, "leave": 0, "absent": 1, "proposals": 1, "research": 0},
}


def _entries(api, pk):
    response = api.get(f"/api/v1/evaluation/{pk}/entries")
    assert response.status_code == 200, response.json
    return {row["unit"]: row for row in response.json["result"]}


def test_metrics_hand_computed_and_workflow(app, clients, factory):
    build_data_set(factory)
    office, convener = clients.api("office"), clients.api("convener")

    assert clients.api("tax").post("/api/v1/evaluation/compute", json={"year": Y}).status_code == 403
    response = office.post("/api/v1/evaluation/compute", json={"year": Y})
    assert response.status_code == 200, response.json
    pk = response.json["id"]
    rows = _entries(office, pk)
    assert len(rows) == db.session.query(m.Unit).filter_by(kind="member", active=True).count()
    for unit, expected in EXPECTED.items():
        got = {key: rows[unit]["metrics"][key]["value"] for key in expected}
        assert got == expected, unit
    tax_metrics = rows["县税务局"]["metrics"]
    assert "期限当日函复计为按期" in tax_metrics["on_time"]["derivation"]
    assert "平府院函〔2025〕1号" in tax_metrics["on_time"]["derivation"]
    assert "（11+10）÷2" in tax_metrics["avg_days"]["derivation"]
    assert rows["县财政局"]["metrics"]["avg_days"]["value"] is None

    # the page shows every metric with its derivation
    page = clients.web("office").get(f"/evaluation/show/{pk}").get_data(as_text=True)
    assert "指标说明" in page and "平府院函〔2025〕2号" in page and "10.5" in page

    # units see nothing before it is issued
    assert clients.api("tax").get(f"/api/v1/evaluation/{pk}").status_code == 404

    # grading: office only, grades checked; the convener cannot approve until all are graded
    assert office.post(f"/api/v1/evaluation/{pk}/grade", json={"unit_id": rows["县税务局"]["unit_id"],
                                                               "grade": "特优"}).status_code == 422
    assert convener.post(f"/api/v1/evaluation/{pk}/grade", json={"unit_id": rows["县税务局"]["unit_id"],
                                                                 "grade": "优秀"}).status_code == 403
    response = office.post(f"/api/v1/evaluation/{pk}/grade", json={
        "unit_id": rows["县税务局"]["unit_id"], "grade": "良好", "comment": "按期函复率有待提高。"})
    assert response.status_code == 200, response.json
    assert response.json["result"]["graded"] == {"unit_id": rows["县税务局"]["unit_id"], "grade": "良好",
                                                 "comment": "按期函复率有待提高。"}
    assert convener.post(f"/api/v1/evaluation/{pk}/approve").status_code == 422
    for entry in db.session.query(m.EvaluationEntry).filter_by(evaluation_id=pk, grade=None):
        entry.grade = "合格"
    db.session.commit()
    # the office neither approves nor issues; issuing needs approval first
    assert office.post(f"/api/v1/evaluation/{pk}/approve").status_code == 403
    assert office.post(f"/api/v1/evaluation/{pk}/issue").status_code == 403
    assert convener.post(f"/api/v1/evaluation/{pk}/issue").status_code == 409
    assert convener.post(f"/api/v1/evaluation/{pk}/approve").json["result"]["status"] == "approved"
    # a grade changed after approval sends it back for approval
    office.post(f"/api/v1/evaluation/{pk}/grade", json={"unit_id": rows["县人社局"]["unit_id"], "grade": "优秀",
                                                        "comment": "职工安置工作扎实。"})
    assert db.session.get(m.Evaluation, pk).status == "draft"
    assert convener.post(f"/api/v1/evaluation/{pk}/approve").status_code == 200
    response = convener.post(f"/api/v1/evaluation/{pk}/issue")
    assert response.status_code == 200, response.json
    year = dt.date.today().year
    assert response.json["result"]["number"] == f"平府院评〔{year}〕1号"

    # frozen: no recompute, no grade, no page edit of an entry, no edit of the evaluation
    assert office.post("/api/v1/evaluation/compute", json={"year": Y}).status_code == 409
    assert office.post(f"/api/v1/evaluation/{pk}/grade", json={"unit_id": rows["县税务局"]["unit_id"],
                                                               "grade": "优秀"}).status_code == 409
    entry_id = rows["县税务局"]["id"]
    clients.web("office").post(f"/evaluationentry/edit/{entry_id}", data={"grade": "优秀", "comment": "改"})
    db.session.rollback()
    assert db.session.get(m.EvaluationEntry, entry_id).grade == "良好"
    assert office.put(f"/api/v1/evaluation/{pk}", json={"title": "改标题"}).status_code == 409
    assert _entries(office, pk)["县税务局"]["metrics"]["on_time"]["value"] == 1

    # issued: the units and viewers see it and print it
    assert clients.api("tax").get(f"/api/v1/evaluation/{pk}").status_code == 200
    pdf = clients.api("viewer").get(f"/api/v1/evaluation/{pk}/pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    with pdfplumber.open(io.BytesIO(pdf.data)) as doc:
        text = "".join((page.extract_text() or "") for page in doc.pages).replace(" ", "").replace("\n", "")
    assert f"平府院评〔{year}〕1号" in text
    assert "县税务局（良好）" in text and "按期函复率有待提高" in text
    assert "县人社局（优秀）" in text and "10.5" in text


def test_deadline_day_boundary(app, clients, factory):
    """A reply at 23:59 on the deadline day is on time; at 00:01 the next day it is late."""
    a = _matter(factory, "A", "县税务局", sent=D(Y, 9, 1, 9), deadline=dt.date(Y, 9, 12), status="replied")
    _reply(a, "县税务局", D(Y, 9, 12, 23, 59))
    b = _matter(factory, "B", "县税务局", sent=D(Y, 9, 1, 9), deadline=dt.date(Y, 9, 12), status="replied")
    _reply(b, "县税务局", D(Y, 9, 13, 0, 1))
    response = clients.api("office").post("/api/v1/evaluation/compute", json={"year": Y})
    tax = _entries(clients.api("office"), response.json["id"])["县税务局"]["metrics"]
    assert (tax["on_time"]["value"], tax["late"]["value"], tax["avg_days"]["value"]) == (1, 1, 11.5)
    # recomputing after new data (not issued yet) updates the numbers and keeps the grade
    entry = db.session.query(m.EvaluationEntry).join(m.Unit).filter(m.Unit.name == "县税务局").one()
    entry.grade = "良好"
    db.session.commit()
    c = _matter(factory, "C", "县税务局", sent=D(Y, 10, 1, 9), deadline=dt.date(Y, 10, 9), status="sent")
    assert c.id
    clients.api("office").post("/api/v1/evaluation/compute", json={"year": Y})
    rows = _entries(clients.api("office"), response.json["id"])
    assert rows["县税务局"]["metrics"]["overdue"]["value"] == 1 and rows["县税务局"]["grade"] == "良好"
    assert clients.api("office").post("/api/v1/evaluation/compute", json={"year": "abc"}).status_code == 422


def test_evaluation_pages(app, clients, factory):
    build_data_set(factory)
    response = clients.web("office").post("/evaluation/compute", data={"year": str(Y)})
    assert response.status_code == 302
    evaluation = db.session.query(m.Evaluation).filter_by(year=Y).one()
    html = clients.web("office").get(f"/evaluation/show/{evaluation.id}").get_data(as_text=True)
    assert "重新计算指标" in html and "/evaluation/approve/" not in html
    convener_html = clients.web("convener").get(f"/evaluation/show/{evaluation.id}").get_data(as_text=True)
    assert "/evaluation/approve/" in convener_html
    assert clients.web("tax").get(f"/evaluation/show/{evaluation.id}").status_code == 404
    assert clients.web("tax").get(f"/evaluation/pdf/{evaluation.id}").status_code == 404
    pdf = clients.web("office").get(f"/evaluation/pdf/{evaluation.id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

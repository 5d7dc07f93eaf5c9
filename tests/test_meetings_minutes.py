"""会议纪要: drafting with decisions, issuing (number, lock, distribution, one supervised matter per
decision), refusals after issue on pages and API, amendments, follow-up, and what units see."""
from __future__ import annotations

import datetime as dt

from app import models as m
from app.extensions import db

DEADLINE = dt.date.today() + dt.timedelta(days=30)
HELD = dt.datetime.combine(dt.date.today() - dt.timedelta(days=2), dt.time(9, 0))


def unit_id(factory, name):
    return factory.unit(name).id


def draft_with_decisions(clients, factory, *, units=("县税务局",), decisions=None):
    """A held meeting with a draft minutes and decisions created through the API."""
    meeting = factory.meeting(units=units, start_at=HELD, status="held", title="第二次联席会议")
    api = clients.api("office")
    r = api.post("/api/v1/minutes/", json={"meeting": meeting.id, "title": "关于推进某某煤业破产重整工作的会议纪要",
                                           "body": "一、会议认为\n（一）成员单位协同配合。\n二、会议要求",
                                           "cc_text": "县委办公室"})
    assert r.status_code == 201, r.json
    minutes_id = r.json["id"]
    decisions = decisions or [
        {"seq": 1, "content": "依法完成税收债权申报", "lead_unit": unit_id(factory, "县税务局"), "co_units": [],
         "deadline": DEADLINE.isoformat()},
        {"seq": 2, "content": "完成职工劳动关系处理方案", "lead_unit": unit_id(factory, "县人社局"),
         "co_units": [unit_id(factory, "县民政局")], "deadline": DEADLINE.isoformat()},
    ]
    ids = []
    for d in decisions:
        r = api.post("/api/v1/decision/", json={"minutes": minutes_id, **d})
        assert r.status_code == 201, r.json
        ids.append(r.json["id"])
    return meeting, minutes_id, ids


def test_draft_minutes_one_per_meeting(clients, factory):
    meeting = factory.meeting(status="held", start_at=HELD)
    office = clients.web("office")
    r = office.post(f"/minutes/draft/{meeting.id}", follow_redirects=True)
    assert "已起草纪要" in r.get_data(as_text=True)
    assert db.session.query(m.Minutes).filter_by(meeting_id=meeting.id, status="draft").count() == 1
    r = office.post(f"/minutes/draft/{meeting.id}", follow_redirects=True)
    assert "该会议已有纪要" in r.get_data(as_text=True)
    r = clients.api("office").post("/api/v1/minutes/", json={"meeting": meeting.id, "title": "第二份"})
    assert r.status_code == 409 and "已有纪要" in r.json["message"]
    proposed = factory.meeting(status="proposed", seq=None)
    r = clients.api("office").post("/api/v1/minutes/", json={"meeting": proposed.id, "title": "提议中的会议"})
    assert r.status_code == 409 and "提议中" in r.json["message"]
    assert db.session.query(m.Minutes).count() == 1


def test_issue_creates_one_matter_per_decision_and_cannot_run_twice(clients, factory):
    meeting, minutes_id, decision_ids = draft_with_decisions(clients, factory)
    # attendance decides part of the distribution
    db.session.add(m.Attendance(meeting_id=meeting.id, unit=factory.unit("县财政局"), status="present", person_name="钱某"))
    db.session.commit()
    api = clients.api("office")
    r = api.post(f"/api/v1/minutes/{minutes_id}/issue")
    assert r.status_code == 200, r.json
    year = dt.date.today().year
    assert r.json["result"]["number"] == f"平府院联纪〔{year}〕1号"
    assert r.json["result"]["status"] == "issued"

    db.session.expire_all()
    minutes = db.session.get(m.Minutes, minutes_id)
    matters = db.session.query(m.Matter).order_by(m.Matter.id).all()
    assert len(matters) == 2
    assert [x.decision_id for x in matters] == decision_ids
    for matter, decision in zip(matters, minutes.decisions):
        assert decision.matters == [matter]                        # linked both ways
        assert matter.source == "meeting" and matter.status == "sent" and matter.letter_number
        assert matter.deadline == DEADLINE and matter.lead_unit_id == decision.lead_unit_id
    assert {u.name for u in matters[1].co_units} == {"县民政局"}
    assert minutes.meeting.status == "minutes_issued"
    assert {d.unit.name for d in minutes.distributions} == {"县税务局", "县人社局", "县民政局", "县财政局"}

    # the second issue is refused and creates nothing
    r = api.post(f"/api/v1/minutes/{minutes_id}/issue")
    assert r.status_code == 409 and "不能重复印发" in r.json["message"]
    r = clients.web("office").post(f"/minutes/issue/{minutes_id}", follow_redirects=True)
    assert "不能重复印发" in r.get_data(as_text=True)
    assert db.session.query(m.Matter).count() == 2
    # units see it now, the convener issues nothing more, a unit may not issue
    assert clients.api("tax").post(f"/api/v1/minutes/{minutes_id}/issue").status_code == 403

    # the next minutes of the year take the next number
    other, other_minutes, _ = draft_with_decisions(clients, factory, decisions=[
        {"seq": 1, "content": "研究采矿权处置", "lead_unit": unit_id(factory, "县自然资源局"), "deadline": DEADLINE.isoformat()}])
    r = clients.api("convener").post(f"/api/v1/minutes/{other_minutes}/issue")
    assert r.status_code == 200, r.json
    assert r.json["result"]["number"] == f"平府院联纪〔{year}〕2号"


def test_issue_refused_without_deadline(clients, factory):
    meeting, minutes_id, _ = draft_with_decisions(clients, factory, decisions=[
        {"seq": 1, "content": "无期限的事项", "lead_unit": unit_id(factory, "县税务局")}])
    r = clients.api("office").post(f"/api/v1/minutes/{minutes_id}/issue")
    assert r.status_code == 422 and "未设定办理期限" in r.json["message"]
    db.session.expire_all()
    assert db.session.get(m.Minutes, minutes_id).status == "draft"
    assert db.session.get(m.Minutes, minutes_id).number is None
    assert db.session.query(m.Matter).count() == 0


def test_issued_minutes_refuse_edits_on_pages_and_api(clients, factory):
    meeting, minutes_id, decision_ids = draft_with_decisions(clients, factory)
    api = clients.api("office")
    # while a draft: editable
    assert api.put(f"/api/v1/minutes/{minutes_id}", json={"title": "修改后的标题"}).status_code == 200
    assert api.put(f"/api/v1/decision/{decision_ids[0]}", json={"content": "依法完成税收债权申报工作"}).status_code == 200
    assert api.post(f"/api/v1/minutes/{minutes_id}/issue").status_code == 200

    r = api.put(f"/api/v1/minutes/{minutes_id}", json={"title": "印发后再改"})
    assert r.status_code == 409 and "纪要已印发，不能修改" in r.json["message"]
    r = api.put(f"/api/v1/decision/{decision_ids[0]}", json={"content": "印发后再改"})
    assert r.status_code == 409 and "纪要已印发" in r.json["message"]
    r = api.post("/api/v1/decision/", json={"minutes": minutes_id, "seq": 3, "content": "追加",
                                            "lead_unit": unit_id(factory, "县税务局"), "deadline": DEADLINE.isoformat()})
    assert r.status_code == 409 and "议定事项不能增加" in r.json["message"]
    r = api.delete(f"/api/v1/decision/{decision_ids[1]}")
    assert r.status_code == 409 and "议定事项不能删除" in r.json["message"]
    r = api.delete(f"/api/v1/minutes/{minutes_id}")
    assert r.status_code == 409 and "不能删除" in r.json["message"]

    web = clients.web("office")
    r = web.post(f"/minutes/edit/{minutes_id}", data={"meeting": str(meeting.id), "title": "页面上改", "body": "x"},
                 follow_redirects=True)
    assert "纪要已印发，不能修改" in r.get_data(as_text=True)
    r = web.post(f"/decision/edit/{decision_ids[0]}", data={"minutes": str(minutes_id), "seq": "1", "content": "页面上改",
                                                            "lead_unit": str(unit_id(factory, "县税务局"))},
                 follow_redirects=True)
    assert "纪要已印发" in r.get_data(as_text=True)
    r = web.post("/decision/add", data={"minutes": str(minutes_id), "seq": "9", "content": "页面上加",
                                        "lead_unit": str(unit_id(factory, "县税务局"))}, follow_redirects=True)
    assert "议定事项不能增加" in r.get_data(as_text=True)
    r = web.post(f"/decision/delete/{decision_ids[1]}", follow_redirects=True)
    assert "议定事项不能删除" in r.get_data(as_text=True)

    db.session.expire_all()
    minutes = db.session.get(m.Minutes, minutes_id)
    assert minutes.title == "修改后的标题"
    assert [d.content for d in minutes.decisions] == ["依法完成税收债权申报工作", "完成职工劳动关系处理方案"]


def test_amendment_supersedes_and_keeps_both(clients, factory):
    meeting, minutes_id, decision_ids = draft_with_decisions(clients, factory)
    api = clients.api("office")
    assert api.post(f"/api/v1/minutes/{minutes_id}/amend").status_code == 409        # a draft is edited directly
    assert api.post(f"/api/v1/minutes/{minutes_id}/issue").status_code == 200
    first_number = db.session.get(m.Minutes, minutes_id).number

    r = api.post(f"/api/v1/minutes/{minutes_id}/amend")
    assert r.status_code == 201, r.json
    amendment_id = r.json["id"]
    assert r.json["result"]["amends"] == minutes_id and r.json["result"]["status"] == "draft"
    assert api.post(f"/api/v1/minutes/{minutes_id}/amend").status_code == 409        # one pending amendment
    new_decisions = db.session.get(m.Minutes, amendment_id).decisions
    assert [d.content for d in new_decisions] == ["依法完成税收债权申报", "完成职工劳动关系处理方案"]
    # change decision 2's deadline, add a third; decision 1 stays as it was
    later = DEADLINE + dt.timedelta(days=15)
    assert api.put(f"/api/v1/decision/{new_decisions[1].id}", json={"deadline": later.isoformat()}).status_code == 200
    r = api.post("/api/v1/decision/", json={"minutes": amendment_id, "seq": 3, "content": "将投资人招募纳入招商项目库",
                                            "lead_unit": unit_id(factory, "县招商投资促进中心"), "deadline": later.isoformat()})
    assert r.status_code == 201
    # the original stays issued (and locked) until the amendment is issued
    assert db.session.get(m.Minutes, minutes_id).status == "issued"

    r = api.post(f"/api/v1/minutes/{amendment_id}/issue")
    assert r.status_code == 200, r.json
    db.session.expire_all()
    old, new = db.session.get(m.Minutes, minutes_id), db.session.get(m.Minutes, amendment_id)
    assert (old.status, old.number) == ("superseded", first_number)
    assert new.status == "issued" and new.number != first_number and new.amends_id == old.id
    # the unchanged decision keeps its matter (re-linked), the changed and the new one get new matters
    assert db.session.query(m.Matter).count() == 4
    first_matter = db.session.query(m.Matter).order_by(m.Matter.id).first()
    assert first_matter.decision_id == new.decisions[0].id
    assert len(new.decisions[1].matters) == 1 and new.decisions[1].matters[0].deadline == later
    assert len(new.decisions[2].matters) == 1
    # everyone who received the original receives the amendment
    assert {d.unit_id for d in old.distributions} <= {d.unit_id for d in new.distributions}
    # a superseded minutes cannot be issued or amended again
    assert api.post(f"/api/v1/minutes/{minutes_id}/issue").status_code == 409
    assert api.post(f"/api/v1/minutes/{minutes_id}/amend").status_code == 409
    page = clients.web("office").get(f"/minutes/show/{amendment_id}").get_data(as_text=True)
    assert first_number in page


def test_unit_staff_sees_only_minutes_distributed_to_it(clients, factory):
    meeting, minutes_id, _ = draft_with_decisions(clients, factory, units=("县税务局",), decisions=[
        {"seq": 1, "content": "依法完成税收债权申报", "lead_unit": unit_id(factory, "县税务局"), "deadline": DEADLINE.isoformat()}])
    tax_api, hr_api = clients.api("tax"), clients.api("hr")
    # a draft is seen by nobody outside the office
    assert tax_api.get(f"/api/v1/minutes/{minutes_id}").status_code == 404
    assert tax_api.get(f"/api/v1/minutes/{minutes_id}/pdf").status_code == 404
    assert clients.api("office").post(f"/api/v1/minutes/{minutes_id}/issue").status_code == 200

    assert tax_api.get(f"/api/v1/minutes/{minutes_id}").status_code == 200
    r = tax_api.get(f"/api/v1/minutes/{minutes_id}/pdf")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    assert clients.web("tax").get(f"/minutes/show/{minutes_id}").status_code == 200
    assert clients.web("tax").get(f"/minutes/pdf/{minutes_id}").status_code == 200

    # 县人社局 is not on the distribution: 404 on page, API, PDF, list
    assert hr_api.get(f"/api/v1/minutes/{minutes_id}").status_code == 404
    assert hr_api.get(f"/api/v1/minutes/{minutes_id}/pdf").status_code == 404
    assert hr_api.get("/api/v1/minutes/").json["count"] == 0
    hr_web = clients.web("hr")
    assert hr_web.get(f"/minutes/show/{minutes_id}").status_code == 404
    assert hr_web.get(f"/minutes/pdf/{minutes_id}").status_code == 404
    assert hr_web.get(f"/meeting/followup/{meeting.id}").status_code == 404
    assert hr_api.get(f"/api/v1/meeting/{meeting.id}/followup").status_code == 404
    # the viewer and the convener print
    assert clients.api("viewer").get(f"/api/v1/minutes/{minutes_id}/pdf").status_code == 200
    assert clients.api("convener").get(f"/api/v1/minutes/{minutes_id}/pdf").status_code == 200


def test_followup_page_and_report(clients, factory):
    meeting, minutes_id, _ = draft_with_decisions(clients, factory)
    api = clients.api("office")
    assert api.post(f"/api/v1/minutes/{minutes_id}/issue").status_code == 200
    matters = db.session.query(m.Matter).order_by(m.Matter.id).all()
    # the first decision's unit replied; the second is overdue
    part = matters[0].assignments[0]
    part.replied_at, part.reply_result, part.status = dt.datetime(2026, 11, 20, 10, 0), "已申报债权123万元", "replied"
    matters[0].status = "replied"
    matters[1].deadline = dt.date.today() - dt.timedelta(days=20)
    db.session.commit()

    r = api.get(f"/api/v1/meeting/{meeting.id}/followup?format=json")
    rows = r.json["result"]
    assert [x["status"] for x in rows] == ["已函复", "已函告"]
    assert "已申报债权123万元" in rows[0]["reply"] and rows[0]["alert"] == "none"
    assert rows[1]["alert"] in ("overdue", "escalated")

    page = clients.web("office").get(f"/meeting/followup/{meeting.id}").get_data(as_text=True)
    assert "督促落实情况" in page and "已申报债权123万元" in page and "逾期" in page
    r = api.get(f"/api/v1/meeting/{meeting.id}/followup")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    assert clients.api("convener").get(f"/api/v1/meeting/{meeting.id}/followup").status_code == 200
    # a unit on the distribution sees the decisions but only its own matter's handling
    rows = clients.api("tax").get(f"/api/v1/meeting/{meeting.id}/followup?format=json").json["result"]
    assert rows[0]["matter"] == matters[0].id and rows[1]["matter"] is None and rows[1]["reply"] == ""
    assert rows[1]["status"] == "非本单位承办" and rows[1]["alert"] == "none"
    page = clients.web("tax").get(f"/meeting/followup/{meeting.id}").get_data(as_text=True)
    assert "其中本单位承办1项" in page and "已申报债权123万元" in page


def test_new_decision_takes_the_next_free_number(app, clients, factory, db_session):
    meeting = factory.meeting(units=("县税务局",))
    minutes = factory.minutes(meeting)
    tax = factory.unit("县税务局")
    api = clients.api("office")
    for text in ("第一项", "第二项"):
        response = api.post("/api/v1/decision/", json={"minutes": minutes.id, "seq": 1, "content": text,
                                                       "lead_unit": tax.id, "deadline": "2030-01-31"})
        assert response.status_code == 201, response.get_data(as_text=True)
    db_session.expire_all()
    rows = db_session.query(m.Decision).filter_by(minutes_id=minutes.id).order_by(m.Decision.seq).all()
    assert [(d.seq, d.content) for d in rows] == [(1, "第一项"), (2, "第二项")]

"""会议机制 meetings: numbering, proposing / scheduling / declining with their refusals, sign-in,
the calendar of upcoming meetings."""
from __future__ import annotations

import datetime as dt

from app import models as m
from app.extensions import db

SOON = dt.datetime.combine(dt.date.today() + dt.timedelta(days=7), dt.time(9, 30))


def _unit_id(factory, name):
    return factory.unit(name).id


def test_number_assigned_once_per_year_and_kind(clients, factory):
    api = clients.api("office")

    def create(kind, when, title):
        r = api.post("/api/v1/meeting/", json={"kind": kind, "title": title, "start_at": when})
        assert r.status_code == 201, r.json
        return db.session.get(m.Meeting, r.json["id"])

    a = create("joint", "2026-03-16T09:00:00", "第一次联席会议")
    b = create("joint", "2026-09-01T09:00:00", "第二次联席会议")
    c = create("special", "2026-05-10T15:00:00", "职工安置专题会议")
    d = create("joint", "2027-01-20T09:00:00", "2027年第一次联席会议")
    assert [(x.kind, x.year, x.seq, x.status) for x in (a, b, c, d)] == [
        ("joint", 2026, 1, "scheduled"), ("joint", 2026, 2, "scheduled"), ("special", 2026, 1, "scheduled"),
        ("joint", 2027, 1, "scheduled")]
    assert b.number_label == "2026年第2次联席会议"
    assert c.number_label == "2026年第1次专题会议"

    # moving the date keeps the number; the kind of a numbered meeting cannot change
    r = api.put(f"/api/v1/meeting/{a.id}", json={"start_at": "2026-03-18T09:00:00"})
    assert r.status_code == 200, r.json
    db.session.expire_all()
    assert (db.session.get(m.Meeting, a.id).year, db.session.get(m.Meeting, a.id).seq) == (2026, 1)
    r = api.put(f"/api/v1/meeting/{a.id}", json={"kind": "special"})
    assert r.status_code == 409 and "不能更改会议类型" in r.json["message"]

    # a meeting without a time is not scheduled
    r = api.post("/api/v1/meeting/", json={"kind": "joint", "title": "无时间"})
    assert r.status_code == 422 and "会议时间" in r.json["message"]


def test_unit_proposes_office_schedules(clients, factory):
    tax, hr = _unit_id(factory, "县税务局"), _unit_id(factory, "县人社局")
    staff = clients.api("tax")
    r = staff.post("/api/v1/meeting/propose", json={"title": "税收债权申报专题会议", "reason": "多个案件税收债权认定存在争议",
                                                    "units": [hr]})
    assert r.status_code == 201, r.json
    pk = r.json["id"]
    assert r.json["result"]["status"] == "proposed"
    assert r.json["result"]["seq"] is None
    assert r.json["result"]["proposed_by_unit"] == tax
    assert set(r.json["result"]["units"]) == {tax, hr}

    # the proposing unit sees its proposal; another unit concerned too; a third does not
    assert staff.get(f"/api/v1/meeting/{pk}").status_code == 200
    assert clients.api("hr").get(f"/api/v1/meeting/{pk}").status_code == 200

    # a unit may not schedule (permission) — nor decline
    r = staff.post(f"/api/v1/meeting/{pk}/schedule", json={"start_at": SOON.isoformat()})
    assert r.status_code == 403
    assert staff.post(f"/api/v1/meeting/{pk}/decline", json={"reason": "x"}).status_code == 403

    office = clients.api("office")
    r = office.post(f"/api/v1/meeting/{pk}/schedule", json={"place": "县法院三楼会议室", "chair": "张某某"})
    assert r.status_code == 422 and "会议时间" in r.json["message"]
    r = office.post(f"/api/v1/meeting/{pk}/schedule", json={"start_at": SOON.isoformat(), "place": "县法院三楼会议室",
                                                            "chair": "张某某"})
    assert r.status_code == 200, r.json
    assert r.json["result"]["status"] == "scheduled"
    assert r.json["result"]["seq"] == 1 and r.json["result"]["year"] == SOON.year
    # scheduling twice, or declining a scheduled meeting, is refused and changes nothing
    r = office.post(f"/api/v1/meeting/{pk}/schedule", json={"start_at": SOON.isoformat()})
    assert r.status_code == 409 and "已安排" in r.json["message"]
    r = office.post(f"/api/v1/meeting/{pk}/decline", json={"reason": "不必要"})
    assert r.status_code == 409
    db.session.expire_all()
    meeting = db.session.get(m.Meeting, pk)
    assert (meeting.status, meeting.seq, meeting.decline_reason) == ("scheduled", 1, None)
    # the units concerned were told
    notes = db.session.query(m.Notification).filter(m.Notification.unit_id == hr).all()
    assert any("会议已安排" in n.message for n in notes)


def test_unit_cannot_propose_for_another_unit_and_office_declines(clients, factory):
    hr = _unit_id(factory, "县人社局")
    staff = clients.api("tax")
    r = staff.post("/api/v1/meeting/propose", json={"title": "代提议", "reason": "理由", "unit": hr})
    assert r.status_code == 403 and "本单位" in r.json["message"]
    r = staff.post("/api/v1/meeting/propose", json={"title": "缺少理由", "reason": " "})
    assert r.status_code == 422 and "提议理由" in r.json["message"]
    assert db.session.query(m.Meeting).count() == 0
    # the office may not propose (Office is denied can_propose), nor create meetings as a unit
    assert clients.api("office").post("/api/v1/meeting/propose", json={"title": "t", "reason": "r"}).status_code == 403
    assert staff.post("/api/v1/meeting/", json={"kind": "joint", "title": "t", "start_at": SOON.isoformat()}).status_code == 403

    # the page: propose, then the office declines with a reason
    web = clients.web("tax")
    r = web.post("/meeting/propose", data={"title": "职工安置专题会议", "reason": "职工安置资金缺口较大",
                                           "units": [str(hr)]}, follow_redirects=True)
    assert r.status_code == 200 and "专题会议提议已提交" in r.get_data(as_text=True)
    meeting = db.session.query(m.Meeting).one()
    assert meeting.status == "proposed" and meeting.kind == "special"

    office = clients.web("office")
    r = office.post(f"/meeting/decline/{meeting.id}", data={"reason": ""}, follow_redirects=True)
    assert "请填写不予召开的理由" in r.get_data(as_text=True)
    r = office.post(f"/meeting/decline/{meeting.id}", data={"reason": "已纳入下次联席会议议题"}, follow_redirects=True)
    assert "已答复不予召开" in r.get_data(as_text=True)
    db.session.expire_all()
    meeting = db.session.get(m.Meeting, meeting.id)
    assert (meeting.status, meeting.decline_reason, meeting.seq) == ("declined", "已纳入下次联席会议议题", None)
    # a declined meeting cannot be scheduled afterwards
    r = clients.api("office").post(f"/api/v1/meeting/{meeting.id}/schedule", json={"start_at": SOON.isoformat()})
    assert r.status_code == 409
    # the proposing unit sees the answer on its meeting page
    page = web.get(f"/meeting/show/{meeting.id}").get_data(as_text=True)
    assert "不予召开" in page and "已纳入下次联席会议议题" in page
    # a unit's page cannot schedule either
    assert web.post(f"/meeting/hold/{meeting.id}").status_code == 403
    db.session.expire_all()
    assert db.session.get(m.Meeting, meeting.id).status == "declined"


def test_sign_in_sheet_and_attendance(clients, factory):
    meeting = factory.meeting(units=("县税务局",), start_at=SOON)
    tax, hr = _unit_id(factory, "县税务局"), _unit_id(factory, "县人社局")
    office = clients.web("office")
    page = office.get(f"/meeting/signin/{meeting.id}").get_data(as_text=True)
    members = db.session.query(m.Unit).filter(m.Unit.kind == "member").count()
    assert page.count('name="unit_id"') == members >= 18
    assert "县税务局" in page and "列席" in page

    r = office.post(f"/meeting/signin/{meeting.id}", data={
        "unit_id": [str(tax), str(hr)],
        f"status_{tax}": "present", f"person_name_{tax}": "王某某", f"person_title_{tax}": "副局长",
        f"status_{hr}": "leave", f"person_name_{hr}": "赵某某", f"note_{hr}": "因公出差",
    }, follow_redirects=True)
    assert "签到表已保存" in r.get_data(as_text=True)
    rows = {a.unit_id: a for a in db.session.query(m.Attendance).filter_by(meeting_id=meeting.id)}
    assert rows[tax].status == "present" and rows[tax].signed_in_at is not None
    assert (rows[hr].status, rows[hr].note) == ("leave", "因公出差")

    # an invalid status is refused with the allowed labels, nothing changes
    api = clients.api("office")
    r = api.post(f"/api/v1/meeting/{meeting.id}/signin", json={"rows": [{"unit_id": tax, "status": "late"}]})
    assert r.status_code == 422 and "出席" in r.json["message"]
    # the API changes one unit to 列席 and clears the other
    r = api.post(f"/api/v1/meeting/{meeting.id}/signin", json={"rows": [
        {"unit_id": tax, "status": "nonvoting", "person_name": "王某某"}, {"unit_id": hr, "status": ""}]})
    assert r.status_code == 200, r.json
    assert [(x["unit"], x["status"]) for x in r.json["result"]] == [(tax, "nonvoting")]
    # a unit may not edit the sign-in sheet
    assert clients.api("tax").post(f"/api/v1/meeting/{meeting.id}/signin", json={"rows": []}).status_code == 403

    # after the meeting is cancelled the sheet is read-only
    assert api.post(f"/api/v1/meeting/{meeting.id}/cancel", json={"reason": "改期"}).status_code == 200
    r = api.post(f"/api/v1/meeting/{meeting.id}/signin", json={"rows": [{"unit_id": hr, "status": "present"}]})
    assert r.status_code == 409 and "签到不能修改" in r.json["message"]
    r = office.post("/attendance/add", data={"meeting": str(meeting.id), "unit": str(hr), "status": "present"},
                    follow_redirects=True)
    assert "签到不能修改" in r.get_data(as_text=True)
    assert db.session.query(m.Attendance).filter_by(meeting_id=meeting.id).count() == 1


def test_upcoming_meetings_are_scoped_and_listed_by_date(app, clients, factory):
    from app.services.meetings import upcoming_meetings

    later = SOON + dt.timedelta(days=3)
    ours = factory.meeting(units=("县税务局",), start_at=later, title="税务专题会议", kind="special")
    other = factory.meeting(units=("县人社局",), start_at=SOON, title="人社专题会议", kind="special")
    factory.meeting(units=("县税务局",), start_at=SOON - dt.timedelta(days=30), title="已过去的会议")
    factory.meeting(units=("县税务局",), start_at=SOON, title="已取消的会议", status="cancelled")

    assert [x.title for x in upcoming_meetings(db.session, factory.user("office"))] == ["人社专题会议", "税务专题会议"]
    assert [x.id for x in upcoming_meetings(db.session, factory.user("tax"))] == [ours.id]
    assert upcoming_meetings(db.session, factory.user("office"), limit=1)[0].id == other.id

    page = clients.web("tax").get("/meeting/calendar").get_data(as_text=True)
    assert "税务专题会议" in page and "人社专题会议" not in page and "已过去的会议" in page
    assert "已取消的会议" not in page
    r = clients.api("tax").get("/api/v1/meeting/upcoming")
    assert [x["id"] for x in r.json["result"]] == [ours.id]

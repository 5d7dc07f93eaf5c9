"""督促推进机制 through the REST API: every transition, every refusal, nothing changed on refusal."""
from __future__ import annotations

import datetime as dt

from app import models as m
from app.extensions import db
from tests.supervision_support import (create_draft, events, frozen, load, part, sent_matter,  # noqa: F401
                                       unit_id)


def test_create_through_api_makes_parts_and_refuses_unknown_units(app, clients, frozen):
    pk = create_draft(app, clients, co=("县人社局", "县财政局"))
    matter = load(app, pk)
    assert matter.status == "draft" and matter.letter_number is None
    assert [(a.unit.name, a.role, a.status) for a in matter.assignments] == [
        ("县税务局", "lead", "pending"), ("县人社局", "co", "pending"), ("县财政局", "co", "pending")]
    assert events(app, pk) == ["create"]

    office = clients.api("office")
    before = office.get("/api/v1/item/").get_json()["count"]
    bad = office.post("/api/v1/item/", json={"title": "x", "lead_unit": unit_id(app, "县税务局"), "co_units": [999999],
                                             "deadline": "2026-03-20"})
    assert bad.status_code == 422 and "不存在" in bad.get_json()["message"]
    bad = office.post("/api/v1/item/", json={"title": "x", "lead_unit": unit_id(app, "县税务局"), "co_units": "1"})
    assert bad.status_code == 422
    bad = office.post("/api/v1/item/", json={"title": "x", "lead_unit": unit_id(app, "县税务局"), "deadline": "2026-02-01"})
    assert bad.status_code == 422 and "办理期限" in bad.get_json()["message"]
    assert office.get("/api/v1/item/").get_json()["count"] == before
    # a unit cannot create matters at all
    assert clients.api("tax").post("/api/v1/item/", json={"title": "x", "lead_unit": unit_id(app, "县税务局")}).status_code == 403


def test_edit_in_draft_only_and_co_units_follow(app, clients, frozen):
    office = clients.api("office")
    pk = create_draft(app, clients, co=("县人社局",))
    response = office.put(f"/api/v1/item/{pk}", json={"lead_unit": unit_id(app, "县财政局"),
                                                       "co_units": [unit_id(app, "县税务局")]})
    assert response.status_code == 200, response.get_json()
    matter = load(app, pk)
    assert [(a.unit.name, a.role) for a in matter.assignments] == [("县财政局", "lead"), ("县税务局", "co")]
    assert office.post(f"/api/v1/item/{pk}/send").status_code == 200
    refused = office.put(f"/api/v1/item/{pk}", json={"title": "改标题"})
    assert refused.status_code == 409 and "已函告" in refused.get_json()["message"]
    assert load(app, pk).title != "改标题"
    assert office.delete(f"/api/v1/item/{pk}").status_code == 409


def test_full_path_with_lead_and_co_unit(app, clients, frozen):
    office, tax, hr = clients.api("office"), clients.api("tax"), clients.api("hr")
    pk = create_draft(app, clients, co=("县人社局",))
    # units cannot see a draft
    assert tax.get(f"/api/v1/item/{pk}").status_code == 404

    sent = office.post(f"/api/v1/item/{pk}/send")
    assert sent.status_code == 200
    number = sent.get_json()["result"]["letter_number"]
    assert number == "平府院函〔2026〕1号"
    again = office.post(f"/api/v1/item/{pk}/send")
    assert again.status_code == 409 and "拟办" in again.get_json()["message"]
    assert load(app, pk).letter_number == number

    # reply before signing is refused
    early = tax.post(f"/api/v1/item/{pk}/reply", json={"content": "已办"})
    assert early.status_code == 409 and "先签收" in early.get_json()["message"]
    assert part(load(app, pk), "县税务局").status == "pending"

    assert tax.post(f"/api/v1/item/{pk}/sign").status_code == 200
    assert load(app, pk).status == "signed"
    twice = tax.post(f"/api/v1/item/{pk}/sign")
    assert twice.status_code == 409
    # a co-unit may not mark the matter in progress (it can see it, but is not the acting party)
    refused = hr.post(f"/api/v1/item/{pk}/start")
    assert refused.status_code == 403 and "牵头单位" in refused.get_json()["message"]
    assert tax.post(f"/api/v1/item/{pk}/start").status_code == 200
    assert load(app, pk).status == "in_progress"

    # the co-unit signs and replies on its own part; the matter is not replied yet
    assert hr.post(f"/api/v1/item/{pk}/sign").status_code == 200
    response = hr.post(f"/api/v1/item/{pk}/reply", json={"content": "已配合核查职工社保欠费。", "result": "已办结"})
    assert response.status_code == 200, response.get_json()
    matter = load(app, pk)
    assert matter.status == "in_progress" and part(matter, "县人社局").status == "replied"

    # the office cannot close before the lead replied, nor reply for a unit
    assert office.post(f"/api/v1/item/{pk}/close").status_code == 409
    assert office.post(f"/api/v1/item/{pk}/reply", json={"content": "x"}).status_code == 403

    empty = tax.post(f"/api/v1/item/{pk}/reply", json={"content": "  "})
    assert empty.status_code == 422
    response = tax.post(f"/api/v1/item/{pk}/reply", json={"content": "已申报税收债权1,234,567.89元。", "result": "已办结",
                                                           "number": "平税函〔2026〕8号"})
    assert response.status_code == 200
    matter = load(app, pk)
    assert matter.status == "replied" and matter.replied_at is not None
    lead = part(matter, "县税务局")
    assert lead.reply_result == "已办结" and lead.reply_number == "平税函〔2026〕8号" and lead.replied_by_id

    # 退回 needs a reason, then the lead's part goes back to signed and the matter to in progress
    no_reason = office.post(f"/api/v1/item/{pk}/return", json={})
    assert no_reason.status_code == 422 and load(app, pk).status == "replied"
    assert office.post(f"/api/v1/item/{pk}/return", json={"reason": "请补充计算依据"}).status_code == 200
    matter = load(app, pk)
    assert matter.status == "in_progress" and part(matter, "县税务局").status == "signed"
    assert matter.replied_at is None
    assert tax.post(f"/api/v1/item/{pk}/reply", json={"content": "补充：计算依据见附件。"}).status_code == 200

    # a unit cannot close; the office closes
    assert tax.post(f"/api/v1/item/{pk}/close").status_code == 403
    assert clients.api("convener").post(f"/api/v1/item/{pk}/close").status_code == 403
    closed = office.post(f"/api/v1/item/{pk}/close", json={"note": "办理到位"})
    assert closed.status_code == 200 and closed.get_json()["result"]["status"] == "closed"
    assert office.post(f"/api/v1/item/{pk}/close").status_code == 409
    assert office.post(f"/api/v1/item/{pk}/remind").status_code == 409

    assert events(app, pk) == ["create", "send", "sign", "start", "sign", "reply", "reply", "return", "reply", "close"]
    timeline = office.get(f"/api/v1/item/{pk}/parts").get_json()["result"]["events"]
    assert timeline[-1]["label"] == "办结" and timeline[-1]["user"] == "office"
    # units were told about the letter; the office about the replies
    with app.app_context():
        tax_unit = unit_id(app, "县税务局")
        messages = [n.message for n in db.session.query(m.Notification).filter(m.Notification.unit_id == tax_unit)]
    assert any("新函告" in msg for msg in messages) and any("退回" in msg for msg in messages)


def test_other_unit_gets_404_everywhere(app, clients, frozen):
    pk = sent_matter(app, clients)  # lead 县税务局 only
    hr = clients.api("hr")
    for path, body in [("sign", None), ("reply", {"content": "x"}), ("extend", {"deadline": "2026-04-01", "reason": "x"}),
                       ("start", None)]:
        response = hr.post(f"/api/v1/item/{pk}/{path}", json=body or {})
        assert response.status_code == 404, path
    for path in ("", "/letter", "/reply-letter", "/parts"):
        assert hr.get(f"/api/v1/item/{pk}{path}").status_code == 404, path
    # office-only steps by a unit are refused by permission (403) and change nothing
    tax = clients.api("tax")
    for path in ("send", "close", "remind", "return", "cancel", "extension/approve", "extension/refuse"):
        assert tax.post(f"/api/v1/item/{pk}/{path}", json={"reason": "x", "note": "x"}).status_code == 403, path
    assert load(app, pk).status == "sent" and events(app, pk) == ["create", "send"]


def test_extension_request_approve_refuse_and_after_deadline(app, clients, frozen):
    office, tax = clients.api("office"), clients.api("tax")
    pk = sent_matter(app, clients, deadline="2026-03-20")
    assert tax.post(f"/api/v1/item/{pk}/sign").status_code == 200

    bad = tax.post(f"/api/v1/item/{pk}/extend", json={"deadline": "2026-03-10", "reason": "x"})
    assert bad.status_code == 422  # not later than the current deadline
    assert tax.post(f"/api/v1/item/{pk}/extend", json={"deadline": "2026-04-10"}).status_code == 422  # no reason
    assert tax.post(f"/api/v1/item/{pk}/extend", json={"deadline": "04/10", "reason": "x"}).status_code == 422
    ok = tax.post(f"/api/v1/item/{pk}/extend", json={"deadline": "2026-04-10", "reason": "需调取历年申报数据"})
    assert ok.status_code == 200 and load(app, pk).status == "in_progress"
    assert tax.post(f"/api/v1/item/{pk}/extend", json={"deadline": "2026-04-11", "reason": "x"}).status_code == 409

    assert office.post(f"/api/v1/item/{pk}/extension/refuse", json={}).status_code == 422  # reason required
    assert office.post(f"/api/v1/item/{pk}/extension/refuse", json={"note": "期限内可完成"}).status_code == 200
    assert load(app, pk).deadline == dt.date(2026, 3, 20)
    assert office.post(f"/api/v1/item/{pk}/extension/approve", json={}).status_code == 409  # nothing pending

    assert tax.post(f"/api/v1/item/{pk}/extend", json={"deadline": "2026-04-10", "reason": "数据量大"}).status_code == 200
    approved = office.post(f"/api/v1/item/{pk}/extension/approve", json={"deadline": "2026-04-03", "note": "同意延至4月3日"})
    assert approved.status_code == 200
    matter = load(app, pk)
    assert matter.deadline == dt.date(2026, 4, 3)
    assert [(r.status, r.old_deadline) for r in matter.extension_requests] == [
        ("refused", dt.date(2026, 3, 20)), ("approved", dt.date(2026, 3, 20))]

    # after the deadline (2026-04-03 is a Friday): asking on Monday 04-06 is refused
    frozen(dt.date(2026, 4, 6))
    late = tax.post(f"/api/v1/item/{pk}/extend", json={"deadline": "2026-04-30", "reason": "仍需时间"})
    assert late.status_code == 409 and "已超过办理期限" in late.get_json()["message"]
    assert len(load(app, pk).extension_requests) == 2


def test_cancel_keeps_record_and_reminders(app, clients, frozen):
    office, tax = clients.api("office"), clients.api("tax")
    pk = sent_matter(app, clients, co=("县人社局",))
    reminded = office.post(f"/api/v1/item/{pk}/remind", json={"note": "请抓紧"})
    assert reminded.status_code == 200
    office.post(f"/api/v1/item/{pk}/remind")
    with app.app_context():
        rows = db.session.query(m.Reminder).filter(m.Reminder.matter_id == pk).all()
        assert len(rows) == 4 and all(r.kind == "manual" and r.threshold.startswith("manual-") for r in rows)
        assert db.session.query(m.Notification).filter(m.Notification.message.like("催办%")).count() == 4
    assert office.post(f"/api/v1/item/{pk}/cancel", json={}).status_code == 422
    assert office.post(f"/api/v1/item/{pk}/cancel", json={"reason": "企业已和解"}).status_code == 200
    matter = load(app, pk)
    assert matter.status == "cancelled" and matter.cancel_reason == "企业已和解"
    assert tax.get(f"/api/v1/item/{pk}").status_code == 200  # still on record for the unit
    assert tax.post(f"/api/v1/item/{pk}/sign").status_code == 409


def test_suggest_units_from_category(app, clients):
    office = clients.api("office")
    with app.app_context():
        tax_category = db.session.query(m.Category.id).filter(m.Category.name == "税收申报").scalar()
        people = db.session.query(m.Category).filter(m.Category.name == "民生保障").one()
        expected = [u.name for u in people.suggested_units]
        people_id = people.id
    data = office.get(f"/api/v1/item/suggest?category_id={tax_category}").get_json()
    assert data["lead_unit"]["name"] == "县税务局" and data["co_units"] == []
    data = office.get(f"/api/v1/item/suggest?category_id={people_id}").get_json()
    assert len(expected) == 2 and set(expected) == {"县民政局", "县人社局"}
    assert [data["lead_unit"]["name"]] + [u["name"] for u in data["co_units"]] == expected
    assert office.get("/api/v1/item/suggest?category_id=999999").status_code == 404
    assert office.get("/api/v1/item/suggest?category_id=abc").status_code == 404


def test_send_requires_deadline_and_office(app, clients, frozen):
    office = clients.api("office")
    pk = create_draft(app, clients, deadline=None)
    response = office.post(f"/api/v1/item/{pk}/send")
    assert response.status_code == 422 and "期限" in response.get_json()["message"]
    assert clients.api("convener").post(f"/api/v1/item/{pk}/send").status_code == 403
    assert load(app, pk).status == "draft"
    assert office.post("/api/v1/item/999999/send").status_code == 404
    bad_body = office.post(f"/api/v1/item/{pk}/send", data="[1]", content_type="application/json")
    assert bad_body.status_code == 400

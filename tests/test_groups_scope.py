"""领导协调组: member units' staff see the group and its tasks, other units get 404; tasks are
supervised matters for member units; dissolving records date and reason; the case page shows it."""
from __future__ import annotations

import datetime as dt
import re

from app import models as m
from app.extensions import db


def _group(factory, member_units=("县税务局",)):
    case = factory.case(enterprise_name="山西重点测试有限公司")
    group = m.CoordinationGroup(name="山西重点测试有限公司破产案件领导协调组", case=case, court_leader="李院长",
                                government_leader="王副县长", mandate="统筹协调职工安置和资产处置",
                                setup_date=dt.date(2026, 3, 1))
    group.members = [m.GroupMember(role="court_leader", person_name="李院长", position="县法院院长")] + [
        m.GroupMember(role="member", unit=factory.unit(name)) for name in member_units]
    return factory.add(group)


def test_membership_scope(app, clients, factory):
    group = _group(factory, member_units=("县税务局", "县人社局"))
    other = _group(factory, member_units=("县财政局",))
    tax, hr = clients.api("tax"), clients.api("hr")

    assert tax.get(f"/api/v1/group/{group.id}").status_code == 200
    ids = tax.get("/api/v1/group/").json["ids"]
    assert group.id in ids and other.id not in ids
    assert tax.get(f"/api/v1/group/{other.id}").status_code == 404
    assert tax.get(f"/api/v1/group/{other.id}/tasks").status_code == 404
    assert clients.web("tax").get(f"/group/show/{other.id}").status_code == 404
    assert clients.web("tax").get(f"/group/show/{group.id}").status_code == 200
    # members and work log follow the group
    log = factory.add(m.GroupLog(group=other, content="召开协调会", author="办公室"))
    assert tax.get(f"/api/v1/group/{other.id}").status_code == 404
    assert clients.web("tax").get(f"/grouplog/show/{log.id}").status_code == 404
    # the group's case becomes visible to member units (through the group)
    assert tax.get(f"/api/v1/case/{group.case_id}").status_code == 200
    assert tax.get(f"/api/v1/case/{other.case_id}").status_code == 404
    # viewers and conveners read every group; a unit never changes one
    assert clients.api("viewer").get(f"/api/v1/group/{other.id}").status_code == 200
    assert tax.put(f"/api/v1/group/{group.id}", json={"name": "改"}).status_code == 403
    assert hr.post(f"/api/v1/group/{group.id}/dissolve", json={"reason": "x"}).status_code == 403


def test_tasks_are_supervised_matters_for_members(app, clients, factory):
    group = _group(factory, member_units=("县税务局", "县人社局"))
    office = clients.api("office")
    tax_id, hr_id = factory.unit("县税务局").id, factory.unit("县人社局").id
    finance_id = factory.unit("县财政局").id
    deadline = (dt.date.today() + dt.timedelta(days=20)).isoformat()

    assert clients.api("tax").post(f"/api/v1/group/{group.id}/task", json={
        "title": "x", "lead_unit_id": tax_id, "deadline": deadline}).status_code == 403
    refused = office.post(f"/api/v1/group/{group.id}/task", json={
        "title": "协调资金", "lead_unit_id": finance_id, "deadline": deadline})
    assert refused.status_code == 422 and "县财政局" in refused.json["message"]
    assert office.post(f"/api/v1/group/{group.id}/task", json={
        "title": "", "lead_unit_id": tax_id, "deadline": deadline}).status_code == 422
    response = office.post(f"/api/v1/group/{group.id}/task", json={
        "title": "办理企业税务注销", "lead_unit_id": tax_id, "deadline": deadline, "content": "请于期限内办结。"})
    assert response.status_code == 201, response.json
    matter = db.session.get(m.Matter, response.json["id"])
    assert (matter.group_id, matter.case_id, matter.source, matter.status) == (group.id, group.case_id, "group", "sent")
    assert matter.letter_number and [a.unit_id for a in matter.assignments] == [tax_id]
    assert any("安排任务" in entry.content for entry in group.logs)

    # the assigned unit works it as a matter; every member unit sees it listed on the group
    assert clients.api("tax").get(f"/api/v1/item/{matter.id}").status_code == 200
    listed = clients.api("hr").get(f"/api/v1/group/{group.id}/tasks").json
    assert listed["count"] == 1 and listed["result"][0]["title"] == "办理企业税务注销"
    page = clients.web("hr").get(f"/group/show/{group.id}").get_data(as_text=True)
    link = re.compile(rf'matter\w*/show/{matter.id}"')
    assert "办理企业税务注销" in page and not link.search(page)  # listed, but not its matter to open
    assert link.search(clients.web("tax").get(f"/group/show/{group.id}").get_data(as_text=True))
    assert clients.api("hr").get(f"/api/v1/item/{matter.id}").status_code == 404  # not its matter
    assert clients.api("hr").get("/api/v1/group/99999/tasks").status_code == 404

    # a task with a co-unit through the page form
    response = clients.web("office").post(f"/group/task/{group.id}", data={
        "title": "职工安置", "lead_unit_id": str(hr_id), "co_unit_ids": [str(tax_id)], "deadline": deadline})
    assert response.status_code == 302
    task = db.session.query(m.Matter).filter_by(title="职工安置").one()
    assert {a.unit_id: a.role for a in task.assignments} == {hr_id: "lead", tax_id: "co"}


def test_dissolve(app, clients, factory):
    group = _group(factory)
    office = clients.api("office")
    url = f"/api/v1/group/{group.id}/dissolve"
    assert office.post(url, json={"date": "2026-04-01"}).status_code == 422  # reason required
    assert office.post(url, json={"date": "2026-02-01", "reason": "案件终结"}).status_code == 422  # before set-up
    assert office.post(url, json={"date": "四月", "reason": "案件终结"}).status_code == 422
    response = office.post(url, json={"date": "2026-09-30", "reason": "破产程序终结"})
    assert response.status_code == 200 and response.json["result"]["status"] == "dissolved"
    db.session.refresh(group)
    assert (group.dissolved_date, group.dissolve_reason) == (dt.date(2026, 9, 30), "破产程序终结")
    assert office.post(url, json={"reason": "again"}).status_code == 409
    assert office.post(f"/api/v1/group/{group.id}/task", json={
        "title": "x", "lead_unit_id": factory.unit("县税务局").id,
        "deadline": (dt.date.today() + dt.timedelta(days=5)).isoformat()}).status_code == 409
    assert office.post(f"/api/v1/group/{group.id}/worklog", json={"content": "x"}).status_code == 409
    assert office.put(f"/api/v1/group/{group.id}", json={"name": "改"}).status_code == 409


def test_work_log_and_case_page(app, clients, factory):
    group = _group(factory)
    office = clients.api("office")
    response = office.post(f"/api/v1/group/{group.id}/worklog", json={"date": "2026-03-05", "content": "召开第一次协调会"})
    assert response.status_code == 201 and response.json["result"]["author"] == "office"
    assert office.post(f"/api/v1/group/{group.id}/worklog", json={"content": " "}).status_code == 422
    with app.test_request_context():
        from flask import url_for

        case_page = url_for("CaseView.show", pk=group.case_id)
    page = clients.web("office").get(case_page).get_data(as_text=True)
    assert group.name in page  # the case page lists its coordination group
    assert group.name in clients.web("tax").get(case_page).get_data(as_text=True)

"""Audit log: every create / update / delete is recorded with before and after; the page is
read-only for everybody (no add / edit / delete routes, admins included) and open to admins and the
office only."""
from __future__ import annotations

import json

from app import models as m
from app.extensions import db


def _entries(table, record_id):
    return (db.session.query(m.AuditLog).filter_by(table_name=table, record_id=str(record_id))
            .order_by(m.AuditLog.id).all())


def test_create_update_delete_are_logged_with_before_and_after(app, clients, factory):
    office = clients.api("office")
    lead = factory.unit("平陆县企业破产处置府院联动机制办公室").id
    pk = office.post("/api/v1/research/", json={"topic": "职工债权调研", "lead_unit": lead}).json["id"]
    assert office.put(f"/api/v1/research/{pk}", json={"topic": "职工债权清偿调研"}).status_code == 200
    assert office.delete(f"/api/v1/research/{pk}").status_code == 200

    created, updated, deleted = _entries("research_project", pk)
    assert (created.action, updated.action, deleted.action) == ("create", "update", "delete")
    assert all(e.username == "office" for e in (created, updated, deleted))
    assert created.before is None and json.loads(created.after)["topic"] == "职工债权调研"
    assert json.loads(updated.before) == {"topic": "职工债权调研"}
    assert json.loads(updated.after) == {"topic": "职工债权清偿调研"}
    assert json.loads(deleted.before)["topic"] == "职工债权清偿调研" and deleted.after is None

    # the show page renders before → after as a table
    page = clients.web("office").get(f"/audit/show/{updated.id}").get_data(as_text=True)
    assert "修改前 → 修改后" in page and "职工债权调研" in page and "职工债权清偿调研" in page
    assert "调研课题" in page  # the field's Chinese label


def test_visible_to_admin_and_office_only(app, clients, factory):
    factory.case()
    entry = db.session.query(m.AuditLog).order_by(m.AuditLog.id.desc()).first()
    for username in ("admin", "office"):
        assert clients.api(username).get("/api/v1/audit/").json["count"] >= 1, username
        assert clients.api(username).get(f"/api/v1/audit/{entry.id}").status_code == 200
        assert clients.web(username).get("/audit/list/").status_code == 200
        assert clients.web(username).get(f"/audit/show/{entry.id}").status_code == 200
    for username in ("convener", "tax", "viewer"):
        assert clients.api(username).get("/api/v1/audit/").status_code == 403, username
        assert clients.api(username).get(f"/api/v1/audit/{entry.id}").status_code == 403, username
        assert clients.web(username).get("/audit/list/").status_code == 403, username
        assert clients.web(username).get(f"/audit/show/{entry.id}").status_code == 403, username


def test_read_only_for_everybody(app, clients, factory):
    factory.case()
    entry = db.session.query(m.AuditLog).order_by(m.AuditLog.id.desc()).first()
    admin = clients.api("admin")
    assert admin.post("/api/v1/audit/", json={"action": "create", "summary": "伪造"}).status_code == 405
    assert admin.put(f"/api/v1/audit/{entry.id}", json={"summary": "改"}).status_code == 405
    assert admin.delete(f"/api/v1/audit/{entry.id}").status_code == 405
    page = clients.web("admin")
    assert page.get("/audit/add").status_code == 404
    assert page.post("/audit/add", data={"summary": "伪造"}).status_code == 404
    assert page.post(f"/audit/edit/{entry.id}", data={"summary": "改"}).status_code == 404
    assert page.post(f"/audit/delete/{entry.id}").status_code == 404
    db.session.expire_all()
    assert db.session.get(m.AuditLog, entry.id).summary == entry.summary
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith(("AuditLogView.", "AuditApi."))}
    assert not any(word in rule for rule in rules for word in ("add", "edit", "delete"))


def test_filters(app, clients, factory):
    factory.case(enterprise_name="筛选测试公司")
    office = clients.api("office")
    q = "(filters:!((col:table_name,opr:eq,value:bankruptcy_case)))"
    rows = office.get(f"/api/v1/audit/?q={q}").json["result"]
    assert rows and all(r["table_name"] == "bankruptcy_case" for r in rows)
    html = clients.web("office").get("/audit/list/?_flt_0_table_name=bankruptcy_case").get_data(as_text=True)
    assert "筛选测试公司" in html and "破产案件" in html
    html = clients.web("office").get("/audit/list/?_flt_0_username=nobody").get_data(as_text=True)
    assert "筛选测试公司" not in html


def test_links_and_removed_children_are_logged(app, clients, factory):
    """Changing the lead unit, the case, the co-units or a child's parent, and removing a part, each
    leave a row with before and after (issue 11)."""
    office = clients.api("office")
    tax, hr, land = (factory.unit(n).id for n in ("县税务局", "县人社局", "县自然资源局"))
    case_a, case_b = factory.case().id, factory.case().id
    pk = office.post("/api/v1/item/", json={"title": "关于协助核查的函", "lead_unit": tax, "co_units": [hr],
                                           "case": case_a, "deadline": "2030-01-31"}).json["id"]
    assert office.put(f"/api/v1/item/{pk}", json={"lead_unit": land, "case": case_b}).status_code == 200
    change = [json.loads(e.after) for e in _entries("matter", pk) if e.action == "update"][-1]
    assert change["lead_unit_id"] == land and change["case_id"] == case_b
    before = [json.loads(e.before) for e in _entries("matter", pk) if e.action == "update"][-1]
    assert before["lead_unit_id"] == tax and before["case_id"] == case_a
    # the replaced lead part and the dropped co-unit part are recorded as deleted rows
    assert office.put(f"/api/v1/item/{pk}", json={"co_units": []}).status_code == 200
    removed = (db.session.query(m.AuditLog).filter_by(table_name="matter_assignment", action="delete").all())
    removed_units = {json.loads(r.before)["unit_id"] for r in removed}
    assert {tax, hr} <= removed_units

    # a decision moved between draft minutes, and its co-units (many-to-many) changed
    meeting = factory.meeting()
    first, second = factory.minutes(meeting), factory.minutes(factory.meeting())
    decision = office.post("/api/v1/decision/", json={"minutes": first.id, "seq": 1, "content": "完成申报",
                                                      "lead_unit": tax, "co_units": [hr],
                                                      "deadline": "2030-01-31"}).json["id"]
    assert office.put(f"/api/v1/decision/{decision}", json={"minutes": second.id, "co_units": [land]}).status_code == 200
    row = [e for e in _entries("decision", decision) if e.action == "update"][-1]
    assert json.loads(row.before)["minutes_id"] == first.id and json.loads(row.after)["minutes_id"] == second.id
    assert any("县人社局" in v for v in json.loads(row.before)["co_units"])
    assert any("县自然资源局" in v for v in json.loads(row.after)["co_units"])
    # a readable summary, never a Python repr
    assert all(" object at 0x" not in (e.summary or "") for e in db.session.query(m.AuditLog))


def test_a_json_column_reads_as_labelled_lines_or_as_marked_data(app, clients, factory):
    """An audit row of a column holding JSON (an evaluation entry's metrics with derivations) shows
    "label：value" lines, not the stored keys (lead, derivation, items …); other JSON is marked data."""
    from app.views.audit import audit_diff

    metrics_before = json.dumps({"lead": {"label": "牵头办理事项", "value": 4, "derivation": "函告的事项",
                                          "items": [{"model": "matter", "id": 7}]}}, ensure_ascii=False)
    metrics_after = json.dumps({"lead": {"label": "牵头办理事项", "value": 5, "derivation": "函告的事项",
                                         "items": [{"model": "matter", "id": 7}, {"model": "matter", "id": 9}]}},
                               ensure_ascii=False)
    row = factory.add(m.AuditLog(action="update", table_name="evaluation_entry", record_id="1", summary="重算",
                                 before=json.dumps({"metrics": metrics_before, "note": "{\"x\": 1}"}),
                                 after=json.dumps({"metrics": metrics_after, "note": "{\"x\": 2}"})))
    db.session.commit()
    diff = {r["field"]: r for r in audit_diff(row)}
    assert diff["metrics"]["before"] == "牵头办理事项：4" and diff["metrics"]["after"] == "牵头办理事项：5"
    assert not diff["metrics"]["raw"] and diff["note"]["raw"]
    page = clients.web("admin").get(f"/audit/show/{row.id}").get_data(as_text=True)
    assert "牵头办理事项：5" in page and "derivation" not in page
    assert '<code class="raw-data">{&#34;x&#34;: 2}</code>' in page

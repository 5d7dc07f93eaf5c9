"""违纪违法线索: a unit reports; only office, conveners and admins see all clues; the reporter sees only
their own; other units get 404 and viewers have no access at all — checked for every role."""
from __future__ import annotations

import io

from app import models as m
from app.extensions import db


def _report(clients, factory):
    response = clients.api("tax").post("/api/v1/clue/", json={
        "title": "某单位工作人员索要好处费", "description": "在办理税务注销时……",
        "subject_unit": factory.unit("县市场监管局").id})
    assert response.status_code == 201, response.json
    return db.session.get(m.ClueReport, response.json["id"])


def test_reporter_and_status_come_from_the_server(app, clients, factory):
    response = clients.api("tax").post("/api/v1/clue/", json={
        "title": "t", "description": "d", "status": "closed", "reporter_unit": factory.unit("县人社局").id})
    assert response.status_code == 422  # fields a unit may not set are not accepted at all
    clue = _report(clients, factory)
    assert clue.reporter_unit.name == "县税务局" and clue.status == "received"
    assert clients.api("tax").post("/api/v1/clue/", json={"title": "t", "description": " "}).status_code == 422


def test_clue_scope_for_every_role(app, clients, factory):
    clue = _report(clients, factory)
    office_clue = clients.api("office").post("/api/v1/clue/", json={"title": "办公室登记", "description": "来信"})
    assert office_clue.status_code == 201

    for username in ("admin", "office", "convener"):
        api = clients.api(username)
        assert api.get("/api/v1/clue/").json["count"] == 2, username
        assert api.get(f"/api/v1/clue/{clue.id}").status_code == 200, username
        assert clients.web(username).get(f"/clue/show/{clue.id}").status_code == 200, username
    # the reporter: own clue only
    tax = clients.api("tax")
    assert tax.get("/api/v1/clue/").json["ids"] == [clue.id]
    assert tax.get(f"/api/v1/clue/{office_clue.json['id']}").status_code == 404
    assert clients.web("tax").get(f"/clue/show/{clue.id}").status_code == 200
    # another unit: never, not even that it exists
    hr = clients.api("hr")
    assert hr.get("/api/v1/clue/").json["count"] == 0
    assert hr.get(f"/api/v1/clue/{clue.id}").status_code == 404
    assert clients.web("hr").get(f"/clue/show/{clue.id}").status_code == 404
    assert "某单位工作人员索要好处费" not in clients.web("hr").get("/clue/list/").get_data(as_text=True)
    # viewers: no clue permission at all
    viewer = clients.api("viewer")
    assert viewer.get("/api/v1/clue/").status_code == 403
    assert viewer.get(f"/api/v1/clue/{clue.id}").status_code == 403
    assert clients.web("viewer").get(f"/clue/show/{clue.id}").status_code == 403
    assert clients.web("viewer").get("/clue/list/").status_code == 403
    # other users of the reporting unit do not see a colleague's report either
    from app.services.users import create_user

    create_user(username="tax2", password="correct horse battery staple", role="UnitStaff", unit_name="县税务局",
                full_name="tax2")
    assert clients.api("tax2").get(f"/api/v1/clue/{clue.id}").status_code == 404


def test_handling_recorded_by_the_office(app, clients, factory):
    clue = _report(clients, factory)
    url = f"/api/v1/clue/{clue.id}"
    assert clients.api("tax").put(url, json={"status": "closed"}).status_code == 403
    assert clients.api("convener").put(url, json={"status": "closed"}).status_code == 403
    office = clients.api("office")
    assert office.put(url, json={"status": "referred"}).status_code == 422  # whom to?
    assert office.put(url, json={"status": "nonsense"}).status_code == 422
    response = office.put(url, json={"status": "referred", "referred_to": "县纪委监委", "handling_note": "已移送"})
    assert response.status_code == 200, response.json
    db.session.refresh(clue)
    assert (clue.status, clue.referred_to) == ("referred", "县纪委监委")
    # the reporter sees the outcome of their own report
    assert clients.api("tax").get(url).json["result"]["referred_to"] == "县纪委监委"


def test_clue_attachments(app, clients, factory):
    clue = _report(clients, factory)
    files = {"file": (io.BytesIO(b"%PDF-1.4 evidence"), "证据.pdf")}
    response = clients.api("tax").post(f"/api/v1/clue/{clue.id}/attachment", data=files,
                                       content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    assert response.json["message"] == "附件已上传"
    assert clients.api("hr").post(f"/api/v1/clue/{clue.id}/attachment",
                                  data={"file": (io.BytesIO(b"x"), "a.pdf")},
                                  content_type="multipart/form-data").status_code == 404
    attachment = db.session.get(m.Attachment, response.json["result"]["id"])
    with app.test_request_context():
        from flask import url_for

        link = url_for("ClueView.file", pk=clue.id, attachment_id=attachment.id)
    assert clients.web("office").get(link).data == b"%PDF-1.4 evidence"
    assert clients.web("hr").get(link).status_code == 404
    assert clients.web("viewer").get(link).status_code == 403
    assert "证据.pdf" in clients.web("tax").get(f"/clue/show/{clue.id}").get_data(as_text=True)

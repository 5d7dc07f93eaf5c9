"""联合调研及提案: research planned → ongoing → completed with unit contributions; proposals drafting →
submitted to a joint meeting → returned / adopted (once the meeting is held) → issued into the
policies library. Every refusal along the way is checked."""
from __future__ import annotations

import datetime as dt
import io

from app import models as m
from app.extensions import db


def _research(factory, units=("县税务局",)):
    project = m.ResearchProject(topic="破产企业涉税问题调研", lead_unit=factory.unit("平陆县企业破产处置府院联动机制办公室"),
                                problem="税收债权申报与信用修复")
    project.units = [factory.unit(u) for u in units]
    return factory.add(project)


def test_research_states_and_contributions(app, clients, factory):
    office, tax, hr = clients.api("office"), clients.api("tax"), clients.api("hr")
    response = office.post("/api/v1/research/", json={
        "topic": "破产企业涉税问题调研", "lead_unit": factory.unit("平陆县企业破产处置府院联动机制办公室").id,
        "units": [factory.unit("县税务局").id], "start_date": "2026-03-01", "end_date": "2026-02-01"})
    assert response.status_code == 422  # end before start
    response = office.post("/api/v1/research/", json={
        "topic": "破产企业涉税问题调研", "lead_unit": factory.unit("平陆县企业破产处置府院联动机制办公室").id,
        "units": [factory.unit("县税务局").id]})
    assert response.status_code == 201, response.json
    pk = response.json["id"]

    # participants see it, other units do not
    assert tax.get(f"/api/v1/research/{pk}").status_code == 200
    assert hr.get(f"/api/v1/research/{pk}").status_code == 404
    assert hr.get("/api/v1/research/").json["count"] == 0

    # only the office starts; a unit cannot, a viewer cannot
    assert tax.post(f"/api/v1/research/{pk}/start").status_code == 403
    assert clients.api("viewer").post(f"/api/v1/research/{pk}/start").status_code == 403
    assert office.post(f"/api/v1/research/{pk}/complete").status_code == 409  # not started
    response = office.post(f"/api/v1/research/{pk}/start")
    assert response.status_code == 200 and response.json["result"]["status"] == "ongoing"
    assert office.post(f"/api/v1/research/{pk}/start").status_code == 409

    # a participating unit contributes (dated, with its name); a non-participant is told it does not exist
    response = tax.post(f"/api/v1/research/{pk}/contribute", json={"text": "梳理了近三年欠税情况。"})
    assert response.status_code == 200, response.json
    assert "县税务局" in response.json["result"]["findings"] and "梳理了近三年欠税情况" in response.json["result"]["findings"]
    assert dt.date.today().isoformat() in response.json["result"]["findings"]
    assert tax.post(f"/api/v1/research/{pk}/contribute", json={"text": "  "}).status_code == 422
    assert hr.post(f"/api/v1/research/{pk}/contribute", json={"text": "x"}).status_code == 404
    assert office.post(f"/api/v1/research/{pk}/contribute", json={"text": "x"}).status_code == 403
    second = tax.post(f"/api/v1/research/{pk}/contribute", json={"text": "第二次补充。"}).json["result"]["findings"]
    assert "梳理了近三年欠税情况" in second and second.count("县税务局") == 2

    # the participant attaches a file; only participants (and the office) read it
    upload = tax.post(f"/api/v1/research/{pk}/attachment",
                      data={"file": (io.BytesIO(b"%PDF-1.4 report"), "调研报告.pdf")}, content_type="multipart/form-data")
    assert upload.status_code == 201, upload.json
    att = upload.json["id"]
    bad = tax.post(f"/api/v1/research/{pk}/attachment", data={"file": (io.BytesIO(b"MZ"), "x.exe")},
                   content_type="multipart/form-data")
    assert bad.status_code == 422
    assert office.get(f"/api/v1/research/{pk}/attachment/{att}").data == b"%PDF-1.4 report"
    assert hr.get(f"/api/v1/research/{pk}/attachment/{att}").status_code == 404
    assert hr.post(f"/api/v1/research/{pk}/attachment", data={"file": (io.BytesIO(b"x"), "a.pdf")},
                   content_type="multipart/form-data").status_code == 404

    # completion needs a report; afterwards nothing more is added or edited
    db.session.query(m.Attachment).delete()
    db.session.commit()
    assert office.post(f"/api/v1/research/{pk}/complete", json={}).status_code == 422
    response = office.post(f"/api/v1/research/{pk}/complete", json={"report": "调研报告正文"})
    assert response.status_code == 200 and response.json["result"]["status"] == "completed"
    assert tax.post(f"/api/v1/research/{pk}/contribute", json={"text": "迟到"}).status_code == 409
    assert office.put(f"/api/v1/research/{pk}", json={"topic": "改"}).status_code == 409
    assert office.post(f"/api/v1/research/{pk}/complete").status_code == 409


def test_research_pages(app, clients, factory):
    project = _research(factory)
    assert clients.web("office").post(f"/research/start/{project.id}").status_code == 302
    db.session.refresh(project)
    assert project.status == "ongoing"
    html = clients.web("tax").get(f"/research/show/{project.id}").get_data(as_text=True)
    assert "补充调研发现" in html and "启动调研" not in html
    clients.web("tax").post(f"/research/contribute/{project.id}", data={"text": "页面补充"})
    db.session.refresh(project)
    assert "页面补充" in project.findings
    assert clients.web("hr").get(f"/research/show/{project.id}").status_code == 404
    assert clients.web("hr").post(f"/research/contribute/{project.id}", data={"text": "x"}).status_code == 404
    assert clients.web("viewer").post(f"/research/start/{project.id}").status_code == 403


def _proposal(factory, kind="guide", text="一、适用范围……"):
    proposal = m.Proposal(title="破产案件涉税事项操作指引", kind=kind, text=text)
    proposal.units = [factory.unit("县税务局")]
    return factory.add(proposal)


def test_proposal_through_a_meeting_into_the_policy_library(app, clients, factory):
    office, tax = clients.api("office"), clients.api("tax")
    proposal = _proposal(factory)
    special = factory.meeting(kind="special", title="专题会", status="scheduled")
    cancelled = factory.meeting(title="取消的联席会", status="cancelled")
    joint = factory.meeting(title="第一次联席会议", status="scheduled")
    url = f"/api/v1/proposal/{proposal.id}"

    assert tax.post(f"{url}/submit", json={"meeting_id": joint.id}).status_code == 403
    assert office.post(f"{url}/submit", json={}).status_code == 422
    assert office.post(f"{url}/submit", json={"meeting_id": special.id}).status_code == 422
    assert office.post(f"{url}/submit", json={"meeting_id": cancelled.id}).status_code == 409
    assert office.post(f"{url}/submit", json={"meeting_id": 999999}).status_code == 404
    response = office.post(f"{url}/submit", json={"meeting_id": joint.id})
    assert response.status_code == 200, response.json
    assert response.json["result"]["status"] == "submitted"
    topic = db.session.get(m.MeetingTopic, response.json["result"]["topic_id"])
    assert topic.proposal_id == proposal.id and topic.meeting_id == joint.id
    assert office.put(url, json={"title": "改"}).status_code == 409  # under review: not editable
    assert office.post(f"{url}/submit", json={"meeting_id": joint.id}).status_code == 409

    # the outcome is recorded only once the meeting has been held
    assert office.post(f"{url}/review", json={"outcome": "adopted"}).status_code == 409
    joint.status = "held"
    db.session.commit()
    assert office.post(f"{url}/review", json={"outcome": "maybe"}).status_code == 422
    assert office.post(f"{url}/review", json={"outcome": "returned"}).status_code == 422  # note required
    response = office.post(f"{url}/review", json={"outcome": "returned", "note": "请补充税务注销流程"})
    assert response.status_code == 200 and response.json["result"]["status"] == "returned"
    assert "请补充税务注销流程" in response.json["result"]["review_note"]
    assert office.post(f"{url}/issue").status_code == 409

    # revised and resubmitted to the next joint meeting, adopted there
    assert office.put(url, json={"text": "一、适用范围……\n二、税务注销流程……"}).status_code == 200
    second = factory.meeting(title="第二次联席会议", status="scheduled")
    assert office.post(f"{url}/submit", json={"meeting_id": second.id}).status_code == 200
    second.status = "held"
    db.session.commit()
    response = office.post(f"{url}/review", json={"outcome": "adopted", "note": "同意印发"})
    assert response.json["result"]["status"] == "adopted"
    assert "请补充税务注销流程" in response.json["result"]["review_note"] and "同意印发" in response.json["result"]["review_note"]

    # issued: an operating guide enters the policies library, linked to the proposal
    assert tax.post(f"{url}/issue").status_code == 403
    response = office.post(f"{url}/issue", json={"doc_number": "平府院发〔2026〕1号", "publish_date": "2026-06-01"})
    assert response.status_code == 200, response.json
    policy = db.session.get(m.Policy, response.json["result"]["policy_id"])
    assert (policy.kind, policy.proposal_id, policy.doc_number) == ("guide", proposal.id, "平府院发〔2026〕1号")
    assert "税务注销流程" in policy.content
    listed = tax.get("/api/v1/policy/").json
    assert policy.id in listed["ids"]
    assert office.post(f"{url}/issue").status_code == 409
    # an issued proposal is visible to every unit (not only the drafting ones)
    assert clients.api("hr").get(url).status_code == 200


def test_a_proposal_becomes_a_policy(app, clients, factory):
    proposal = _proposal(factory, kind="opinion")
    proposal.status = "adopted"
    db.session.commit()
    assert clients.api("office").post(f"/api/v1/proposal/{proposal.id}/issue").status_code == 200
    policy = db.session.query(m.Policy).filter_by(proposal_id=proposal.id).one()
    assert policy.kind == "policy"
    empty = _proposal(factory, text="")
    meeting = factory.meeting(status="scheduled")
    assert clients.api("office").post(f"/api/v1/proposal/{empty.id}/submit",
                                      json={"meeting_id": meeting.id}).status_code == 422
    # drafting proposals are visible only to their drafting units
    assert clients.api("hr").get(f"/api/v1/proposal/{empty.id}").status_code == 404

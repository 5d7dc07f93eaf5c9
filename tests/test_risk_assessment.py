"""风险评估机制: scoring with the stored default scheme, scheme versions, warnings, the acceptance gate
and its override, disposal plans creating supervised matters."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from app import models as m
from app.extensions import db

# answers → (score, level) under seed/risk_scheme.json version 1
SCORING_TABLE = [
    ({"employees": 10}, 0, "低"),
    ({"employees": 150, "wage_arrears": 60, "petition_risk": "较大"}, 35, "中"),
    ({"employees": 400, "wage_arrears": 250, "social_insurance_arrears": 60, "creditors": 250,
      "petition_risk": "较大"}, 69, "高"),
    ({"employees": 1200, "wage_arrears": 600, "petition_risk": "重大", "public_opinion_risk": "较大"}, 100, "重大"),
    ({"illegal_fundraising": True}, 25, "高"),                      # floor: 非法集资 ≥ 高
    ({"mine_or_hazardous_chemicals": "是", "employees": "30"}, 25, "高"),  # floor, answers as text
    ({"state_owned": "是", "home_buyers": 60, "environmental_liability": True}, 28, "低"),
    ({"home_buyers": 1000, "public_opinion_risk": "重大", "petition_risk": "一般", "creditors": 1000,
      "state_owned": True, "environmental_liability": True}, 93, "重大"),
]
MAJOR = SCORING_TABLE[3][0]
HIGH = SCORING_TABLE[2][0]


def _assess(api, case, answers, on=None):
    body = {"case": case.id, "answers": answers}
    if on:
        body["assessed_on"] = on
    res = api.post("/api/v1/assessment/", json=body)
    assert res.status_code == 201, res.json
    return res.json


@pytest.mark.parametrize("answers,score,level", SCORING_TABLE)
def test_scoring_with_the_default_scheme(clients, factory, answers, score, level):
    case = factory.case(stage="application", acceptance_date=None)
    res = _assess(clients.api("office"), case, answers)
    assert (res["result"]["score"], res["result"]["level"]) == (score, level)
    assert res["result"]["scheme_version"] == 1
    stored = db.session.get(m.Assessment, res["id"])
    assert (stored.score, stored.level) == (score, level)
    assert json.loads(stored.answers) == answers
    assert db.session.get(m.Case, case.id).risk_level == level
    shown = clients.api("viewer").get(f"/api/v1/assessment/{res['id']}").json["result"]
    assert (shown["score"], shown["level"]) == (score, level)
    points = [row["points"] for row in shown["breakdown"]["breakdown"]]
    assert sum(points) == score and points == sorted(points, reverse=True)


def test_assessment_refusals(clients, factory):
    case = factory.case()
    api = clients.api("office")
    bad = api.post("/api/v1/assessment/", json={"case": case.id, "answers": {"employees": "很多", "unknown": 1}})
    assert bad.status_code == 422
    assert "“涉及职工人数”应填写数字" in bad.json["message"] and "unknown" in bad.json["message"]
    assert api.post("/api/v1/assessment/", json={"case": 999999, "answers": {}}).status_code == 422
    assert clients.api("tax").post("/api/v1/assessment/", json={"case": case.id, "answers": {}}).status_code == 403
    assert db.session.query(m.Assessment).count() == 0


def test_assessment_form_is_built_from_the_active_scheme(clients, factory):
    case = factory.case(employee_count=420, wage_arrears=2500000, enterprise_type="state")
    office = clients.web("office")
    html = office.get(f"/assessmentview/add?case={case.id}").get_data(as_text=True)
    for label in ("涉及职工人数", "涉及民间借贷或非法集资", "信访风险", "触发时等级不低于“高”"):
        assert label in html
    assert 'name="f_employees" id="f_employees" value="420"' in html  # prefilled from the case
    bad = office.post(f"/assessmentview/add?case={case.id}", data={"case": str(case.id), "f_employees": "abc"})
    assert bad.status_code == 200 and "应填写数字" in bad.get_data(as_text=True)
    assert db.session.query(m.Assessment).count() == 0
    res = office.post(f"/assessmentview/add?case={case.id}",
                      data={"case": str(case.id), "assessed_on": "2026-03-02", "f_employees": "420",
                            "f_wage_arrears": "250", "f_illegal_fundraising": "1", "f_petition_risk": "较大",
                            "f_state_owned": "1", "f_mine_or_hazardous_chemicals": "0"})
    assert res.status_code == 302
    a = db.session.query(m.Assessment).one()
    assert (a.score, a.level, a.assessed_on) == (20 + 20 + 25 + 15 + 8, "高", dt.date(2026, 3, 2))
    page = office.get(res.headers["Location"]).get_data(as_text=True)
    assert "评分明细" in page and "触发底线" in page and "88" in page


def test_scheme_change_leaves_old_results(clients, factory):
    case = factory.case(stage="application", acceptance_date=None)
    old = _assess(clients.api("office"), case, SCORING_TABLE[1][0], "2026-03-01")
    assert old["result"]["level"] == "中"
    v1 = db.session.query(m.RiskScheme).filter_by(scheme_version=1).one()
    raw = json.loads(v1.definition)
    admin = clients.web("admin")
    try:
        # refused: not a newer version, then not a valid scheme — with Chinese messages, nothing saved
        page = admin.post("/schemeview/add", data={"definition": json.dumps(raw), "active": "y"})
        assert "须大于现有最高版本1" in page.get_data(as_text=True)
        broken = {**raw, "version": 2, "levels": [{"level": "低", "min": 5}]}
        page = admin.post("/schemeview/add", data={"definition": json.dumps(broken, ensure_ascii=False), "active": "y"})
        assert "最低等级的 min 应为0" in page.get_data(as_text=True)
        assert clients.web("office").post("/schemeview/add", data={"definition": "{}"}).status_code == 403
        assert db.session.query(m.RiskScheme).count() == 1

        form = admin.get("/schemeview/add").get_data(as_text=True)
        assert "&#34;version&#34;: 2" in form or '"version": 2' in form  # starts from the active scheme
        stricter = {**raw, "version": 2, "name": "受理前风险评估方案（第2版）",
                    "levels": [{"level": "低", "min": 0}, {"level": "中", "min": 20}, {"level": "高", "min": 30},
                               {"level": "重大", "min": 60}]}
        res = admin.post("/schemeview/add", data={"definition": json.dumps(stricter, ensure_ascii=False), "active": "y"})
        assert res.status_code == 302
        db.session.expire_all()
        v2 = db.session.query(m.RiskScheme).filter_by(scheme_version=2).one()
        assert v2.active and not db.session.get(m.RiskScheme, v1.id).active

        new = _assess(clients.api("office"), case, SCORING_TABLE[1][0], "2026-03-05")
        assert (new["result"]["score"], new["result"]["level"], new["result"]["scheme_version"]) == (35, "高", 2)
        again = clients.api("office").get(f"/api/v1/assessment/{old['id']}").json["result"]
        assert (again["score"], again["level"], again["scheme"]["id"]) == (35, "中", v1.id)
        assert again["breakdown"]["scheme_version"] == 1
        from app.services.risk import scheme_of
        from app.services.risk_scoring import score

        stored = db.session.get(m.Assessment, old["id"])
        assert score(scheme_of(stored.scheme), json.loads(stored.answers)).level == "中"
        assert db.session.get(m.Case, case.id).risk_level == "高"
        assert admin.post(f"/schemeview/delete/{v1.id}").status_code == 302
        assert db.session.query(m.RiskScheme).count() == 2  # in use: not deleted
        # switching the active version off (an unticked box must be accepted) stops new assessments
        assert admin.post(f"/schemeview/edit/{v2.id}", data={}).status_code == 302
        db.session.expire_all()
        assert not db.session.get(m.RiskScheme, v2.id).active
        none = clients.api("office").post("/api/v1/assessment/", json={"case": case.id, "answers": {}})
        assert none.status_code == 409 and "尚未启用风险评估方案" in none.json["message"]
    finally:
        db.session.rollback()
        db.session.query(m.Assessment).delete()
        db.session.query(m.RiskScheme).filter(m.RiskScheme.scheme_version > 1).delete()
        db.session.query(m.RiskScheme).filter_by(scheme_version=1).update({"active": True})
        db.session.commit()


def test_acceptance_blocked_and_override_recorded(clients, factory):
    case = factory.case(stage="application", acceptance_date=None, application_date=dt.date(2026, 2, 1))
    _assess(clients.api("office"), case, MAJOR)
    office = clients.api("office")
    move = {"stage": "accepted", "acceptance_date": "2026-03-01"}
    blocked = office.put(f"/api/v1/case/{case.id}", json=move)
    assert blocked.status_code == 409 and "不能转为已受理" in blocked.json["message"]
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).stage == "application"
    page = clients.web("office").post(f"/caseview/edit/{case.id}", data={
        "case_number": case.case_number, "enterprise_name": case.enterprise_name, "procedure_type": "liquidation",
        "enterprise_type": "private", "stage": "accepted", "acceptance_date": "2026-03-01",
        "application_date": "2026-02-01"}, follow_redirects=True)
    assert "不能转为已受理" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).stage == "application"

    convener = clients.api("convener")
    assert office.post(f"/api/v1/case/{case.id}/override", json={"reason": "职工安置资金已落实"}).status_code == 403
    assert convener.post(f"/api/v1/case/{case.id}/override", json={"reason": ""}).status_code == 422
    show = clients.web("convener").get(f"/caseview/show/{case.id}").get_data(as_text=True)
    assert "风险预警" in show and "确认放行" in show
    ok = convener.post(f"/api/v1/case/{case.id}/override", json={"reason": "县政府已筹措职工安置资金，同意先行受理"})
    assert ok.status_code == 200, ok.json
    db.session.expire_all()
    reason = db.session.get(m.Case, case.id).acceptance_override_reason
    assert reason.startswith("县政府已筹措职工安置资金，同意先行受理") and "convener" in reason
    log = (db.session.query(m.AuditLog).filter_by(table_name="bankruptcy_case", record_id=str(case.id), action="update")
           .order_by(m.AuditLog.id.desc()).first())
    assert log is not None and log.username == "convener"
    assert "县政府已筹措职工安置资金" in json.loads(log.after)["acceptance_override_reason"]
    assert office.put(f"/api/v1/case/{case.id}", json=move).status_code == 200
    assert convener.post(f"/api/v1/case/{case.id}/override", json={"reason": "再次放行"}).status_code == 409


def test_an_approved_plan_opens_the_gate(clients, factory):
    case = factory.case(stage="application", acceptance_date=None)
    _assess(clients.api("office"), case, MAJOR)
    factory.add(m.DisposalPlan(case=case, title="维稳方案", status="approved"))
    res = clients.api("office").put(f"/api/v1/case/{case.id}", json={"stage": "accepted", "acceptance_date": "2026-03-01"})
    assert res.status_code == 200, res.json


def test_warnings_list_high_risk_cases_without_an_approved_plan(app, clients, factory):
    from app.services.risk import cases_needing_plan

    office = clients.api("office")
    h = factory.case(enterprise_name="高风险甲")
    mj = factory.case(enterprise_name="重大风险乙")
    z = factory.case(enterprise_name="中风险丙")
    p = factory.case(enterprise_name="已有方案丁")
    lo = factory.case(enterprise_name="复评降低戊")
    _assess(office, h, HIGH)
    _assess(office, mj, MAJOR)
    _assess(office, z, SCORING_TABLE[1][0])
    _assess(office, p, HIGH)
    _assess(office, lo, HIGH, "2026-01-01")
    _assess(office, lo, SCORING_TABLE[0][0], "2026-02-01")
    factory.add(m.DisposalPlan(case=p, title="方案", status="in_effect"))
    factory.add(m.DisposalPlan(case=mj, title="草拟中的方案", status="draft"))
    factory.matter(lead="县税务局", case=h)

    with app.test_request_context():
        assert [c.id for c, a in cases_needing_plan(db.session, factory.user("office"))] == [mj.id, h.id]
        assert [c.id for c, a in cases_needing_plan(db.session, factory.user("tax"))] == [h.id]
        assert cases_needing_plan(db.session, factory.user("hr")) == []
    listed = clients.api("convener").get("/api/v1/assessment/warnings").json
    assert [r["case"] for r in listed["result"]] == [mj.id, h.id]
    assert [r["level"] for r in listed["result"]] == ["重大", "高"]
    page = clients.web("office").get("/assessmentview/warnings/").get_data(as_text=True)
    assert "高风险甲" in page and "重大风险乙" in page and "草拟中的方案" in page
    for absent in ("中风险丙", "已有方案丁", "复评降低戊"):
        assert absent not in page
    flagged = clients.web("viewer").get(f"/caseview/show/{h.id}").get_data(as_text=True)
    assert 'id="risk-flag"' in flagged and "尚无已批准的处置方案" in flagged
    assert "尚无已批准的处置方案" not in clients.web("viewer").get(f"/caseview/show/{p.id}").get_data(as_text=True)
    assert clients.web("tax").get("/assessmentview/warnings/").status_code == 403


def test_disposal_plan_workflow_creates_supervised_matters(clients, factory):
    case = factory.case(stage="application", acceptance_date=None)
    _assess(clients.api("office"), case, HIGH)
    office, convener = clients.api("office"), clients.api("convener")
    created = office.post("/api/v1/plan/", json={"case": case.id, "title": "甲公司破产风险处置方案", "summary": "维稳"})
    assert created.status_code == 201, created.json
    pk = created.json["id"]
    plan = db.session.get(m.DisposalPlan, pk)
    assert plan.assessment_id == db.session.query(m.Assessment).one().id
    assert convener.post(f"/api/v1/plan/{pk}/approve", json={}).status_code == 422  # no measures yet
    tax, hr = factory.unit("县税务局"), factory.unit("县人社局")
    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert office.post(f"/api/v1/plan/{pk}/measures", json={"content": "核定欠缴税款并依法申报债权",
                                                            "responsible_unit": tax.id, "deadline": soon}).status_code == 201
    assert office.post(f"/api/v1/plan/{pk}/measures", json={"content": "摸排欠薪职工，制定安置方案",
                                                            "responsible_unit": hr.id}).status_code == 201
    assert office.post(f"/api/v1/plan/{pk}/measures", json={"content": "无单位"}).status_code == 422
    assert office.post(f"/api/v1/plan/{pk}/activate").status_code == 409  # draft cannot start
    approved = convener.post(f"/api/v1/plan/{pk}/approve", json={"create_matters": True})
    assert approved.status_code == 200, approved.json
    assert approved.json["message"] == "处置方案已批准，已生成并函告2件督办事项"
    assert approved.json["result"]["status"] == "approved" and len(approved.json["result"]["matters"]) == 2
    matters = db.session.query(m.Matter).order_by(m.Matter.id).all()
    assert [(mt.source, mt.status, mt.lead_unit.name, mt.case_id) for mt in matters] == [
        ("plan", "sent", "县税务局", case.id), ("plan", "sent", "县人社局", case.id)]
    assert all(mt.letter_number and mt.plan_measure_id for mt in matters)
    assert matters[0].deadline.isoformat() == soon and matters[1].deadline > dt.date.today()
    # the responsible units now see the plan and their matter
    assert clients.api("tax").get(f"/api/v1/plan/{pk}").status_code == 200
    assert clients.api("tax").get(f"/api/v1/item/{matters[0].id}").status_code == 200
    # no longer a warning
    assert clients.api("office").get("/api/v1/assessment/warnings").json["count"] == 0
    # locked measures, single approval, who may move it on
    assert office.post(f"/api/v1/plan/{pk}/measures", json={"content": "补充", "responsible_unit": tax.id}).status_code == 409
    assert convener.post(f"/api/v1/plan/{pk}/approve").status_code == 409
    assert convener.post(f"/api/v1/plan/{pk}/activate").status_code == 403
    assert office.post(f"/api/v1/plan/{pk}/activate").json["result"]["status"] == "in_effect"
    assert office.post(f"/api/v1/plan/{pk}/close").json["result"]["status"] == "closed"
    assert office.post(f"/api/v1/plan/{pk}/activate").status_code == 409
    assert db.session.query(m.Matter).count() == 2
    page = clients.web("office").get(f"/planview/show/{pk}").get_data(as_text=True)
    assert "核定欠缴税款并依法申报债权" in page and "已结束" in page


def test_plan_page_approve_without_matters(clients, factory):
    case = factory.case()
    plan = factory.add(m.DisposalPlan(case=case, title="页面审批方案"))
    factory.add(m.PlanMeasure(plan=plan, seq=1, content="稳控信访", responsible_unit=factory.unit("县信访局")))
    page = clients.web("convener").get(f"/planview/show/{plan.id}").get_data(as_text=True)
    assert "批准方案" in page and "启动执行" not in page
    # the page's form posts create_matters=0 (a hidden field) when its checkbox is unticked
    res = clients.web("convener").post(f"/planview/approve/{plan.id}", data={"create_matters": "0"})
    assert res.status_code == 302
    db.session.expire_all()
    assert db.session.get(m.DisposalPlan, plan.id).status == "approved"
    assert db.session.query(m.Matter).count() == 0


@pytest.mark.parametrize("stage", ["claims", "creditors_meeting", "declared", "realization", "concluded"])
def test_acceptance_gate_holds_for_every_later_stage(clients, factory, stage):
    """The gate is by the order of stages: skipping 已受理 to 债权申报 or 宣告破产 is blocked too."""
    case = factory.case(stage="application", acceptance_date=None, application_date=dt.date(2026, 2, 1))
    _assess(clients.api("office"), case, MAJOR)
    blocked = clients.api("office").put(f"/api/v1/case/{case.id}", json={"stage": stage, "acceptance_date": "2026-03-01"})
    assert blocked.status_code == 409 and "不能转为已受理" in blocked.json["message"]
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).stage == "application"
    # and an accepted case moving on (已受理 → 债权申报) is not stopped again
    accepted = factory.case(stage="accepted")
    _assess(clients.api("office"), accepted, MAJOR)
    assert clients.api("office").put(f"/api/v1/case/{accepted.id}", json={"stage": stage}).status_code == 200

"""One request path for workflow steps: a page form and an API body are read by the same schema,
refused with the same words, and the spec says what the body holds."""
from __future__ import annotations

import pytest

from tests.supervision_support import frozen, load, part, sent_matter  # noqa: F401


def _flashes(client) -> str:
    response = client.get("/matter/list/")
    return response.get_data(as_text=True)


@pytest.mark.parametrize("body, message", [
    ({"content": "   "}, "请填写函复内容"),
    ({"content": "已核实", "number": "x" * 61}, "复函文号不能超过60字"),
])
def test_reply_refused_alike_on_page_and_api(app, clients, frozen, body, message):
    pk = sent_matter(app, clients)
    assert clients.api("tax").post(f"/api/v1/item/{pk}/sign").status_code == 200

    api = clients.api("tax").post(f"/api/v1/item/{pk}/reply", json=body)
    assert api.status_code == 422
    assert api.get_json()["message"] == message and api.get_json()["errors"]

    page = clients.web("tax").post(f"/matter/reply/{pk}", data=body)
    assert page.status_code == 302 and page.headers["Location"].endswith(f"/matter/show/{pk}")
    assert message in _flashes(clients.web("tax"))
    assert part(load(app, pk), "县税务局").status == "signed"


def test_extension_date_is_read_by_one_schema(app, clients, frozen):
    pk = sent_matter(app, clients)
    for bad in ("2026/13/40", "明天"):
        api = clients.api("tax").post(f"/api/v1/item/{pk}/extend", json={"deadline": bad, "reason": "材料未齐"})
        assert api.status_code == 422
        assert api.get_json()["errors"] == {"deadline": ["申请的办理期限格式无效，应为 YYYY-MM-DD"]}
        page = clients.web("tax").post(f"/matter/extend/{pk}", data={"deadline": bad, "reason": "材料未齐"})
        assert page.status_code == 302
        assert "申请的办理期限格式无效，应为 YYYY-MM-DD" in _flashes(clients.web("tax"))
    assert load(app, pk).extension_requests == []
    # both missing: both messages, each beside its field
    api = clients.api("tax").post(f"/api/v1/item/{pk}/extend", json={})
    assert api.get_json()["errors"] == {"deadline": ["请填写申请的办理期限"], "reason": ["请填写延期理由"]}
    ok = clients.web("tax").post(f"/matter/extend/{pk}", data={"deadline": "2026-04-30", "reason": "材料未齐",
                                                                "next": "/matter/inbox"})
    assert ok.headers["Location"].endswith("/matter/inbox")
    assert [r.requested_deadline.isoformat() for r in load(app, pk).extension_requests] == ["2026-04-30"]


def test_page_next_must_be_local(app, clients, frozen):
    pk = sent_matter(app, clients)
    response = clients.web("tax").post(f"/matter/sign/{pk}", data={"next": "//evil.example/x"})
    assert response.headers["Location"].endswith(f"/matter/show/{pk}")
    assert part(load(app, pk), "县税务局").status == "signed"


def test_step_outside_scope_is_404_on_both_paths(app, clients, frozen):
    pk = sent_matter(app, clients)  # sent to 县税务局 only
    assert clients.api("hr").post(f"/api/v1/item/{pk}/sign").status_code == 404
    assert clients.web("hr").post(f"/matter/sign/{pk}").status_code == 404


def test_spec_declares_step_bodies_and_answers(sqlite_app):
    from flask_appbuilder.api import BaseApi
    from flask_appbuilder.api.manager import OpenApi

    with sqlite_app.test_request_context():
        spec = OpenApi._create_api_spec("v1")
        for view in sqlite_app.appbuilder.baseviews:
            if isinstance(view, BaseApi) and view.version == "v1":
                view.add_api_spec(spec)
        spec = spec.to_dict()
    operation = spec["paths"]["/api/v1/item/{pk}/extend"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    schema = spec["components"]["schemas"][body]
    assert schema["required"] == ["deadline", "reason"]
    assert schema["properties"]["deadline"]["format"] == "date"
    assert set(operation["responses"]) >= {"200", "403", "404", "409", "422"}
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]["allOf"]
    result = answer[1]["properties"]["result"]["$ref"].rsplit("/", 1)[1]
    assert "assignments" in spec["components"]["schemas"][result]["properties"]
    reply = spec["paths"]["/api/v1/item/{pk}/reply"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in reply


# --------------------------------------------------------------------------- the other mechanisms
# One test each: a refusal of the body (or of the step) reads the same on the page and the API.

def _spec(app) -> dict:
    from flask_appbuilder.api import BaseApi
    from flask_appbuilder.api.manager import OpenApi

    with app.test_request_context():
        spec = OpenApi._create_api_spec("v1")
        for view in app.appbuilder.baseviews:
            if isinstance(view, BaseApi) and view.version == "v1":
                view.add_api_spec(spec)
        return spec.to_dict()


def _body_schema(spec: dict, path: str) -> dict:
    ref = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _refused_alike(clients, username, api_path, page_path, body, message, back):
    """The API answers 422 with `message`; the page flashes the same words and goes back to `back`."""
    api = clients.api(username).post(api_path, json=body)
    assert api.status_code == 422, api.get_json()
    assert api.get_json()["message"] == message and api.get_json()["errors"]
    page = clients.web(username).post(page_path, data=body)
    assert page.status_code == 302 and page.headers["Location"].endswith(back)
    assert message in clients.web(username).get(back).get_data(as_text=True)


def test_meeting_steps_refused_alike_and_in_the_spec(app, clients, factory):
    import datetime as dt

    from app import models as m
    from app.extensions import db

    proposed = factory.meeting(kind="special", status="proposed", start_at=None, year=None, seq=None,
                               units=("县税务局",))
    _refused_alike(clients, "office", f"/api/v1/meeting/{proposed.id}/schedule", f"/meeting/schedule/{proposed.id}",
                   {"start_at": "下周一上午"}, "会议时间格式无效，应为 YYYY-MM-DD HH:MM",
                   f"/meeting/schedule/{proposed.id}")
    scheduled = factory.meeting(units=("县税务局",), start_at=dt.datetime(2026, 12, 1, 9, 30))
    _refused_alike(clients, "office", f"/api/v1/meeting/{scheduled.id}/cancel", f"/meeting/cancel/{scheduled.id}",
                   {"reason": "  "}, "请填写取消原因", f"/meeting/show/{scheduled.id}")
    db.session.expire_all()
    assert db.session.get(m.Meeting, proposed.id).status == "proposed"
    assert db.session.get(m.Meeting, scheduled.id).status == "scheduled"

    spec = _spec(app)
    schedule = _body_schema(spec, "/api/v1/meeting/{pk}/schedule")
    assert schedule["properties"]["start_at"]["format"] == "date-time"
    assert _body_schema(spec, "/api/v1/meeting/{pk}/decline")["required"] == ["reason"]
    assert "201" in spec["paths"]["/api/v1/minutes/{pk}/amend"]["post"]["responses"]


def test_group_steps_refused_alike_and_in_the_spec(app, clients, factory):
    import datetime as dt

    from app import models as m
    from app.extensions import db

    case = factory.case(enterprise_name="山西步骤测试有限公司")
    group = factory.add(m.CoordinationGroup(name="步骤测试协调组", case=case, setup_date=dt.date(2026, 3, 1)))
    _refused_alike(clients, "office", f"/api/v1/group/{group.id}/dissolve", f"/group/dissolve/{group.id}",
                   {"date": "四月", "reason": "案件终结"}, "撤销日期格式无效，应为 YYYY-MM-DD", f"/group/show/{group.id}")
    _refused_alike(clients, "office", f"/api/v1/group/{group.id}/task", f"/group/task/{group.id}",
                   {"title": "协调资金", "deadline": "2026-12-31"}, "请选择牵头单位", f"/group/show/{group.id}")
    db.session.expire_all()
    assert db.session.get(m.CoordinationGroup, group.id).status == "active" and not group.tasks

    spec = _spec(app)
    task = _body_schema(spec, "/api/v1/group/{pk}/task")
    assert set(task["required"]) == {"title", "lead_unit_id"}
    assert task["properties"]["co_unit_ids"]["type"] == "array"
    assert task["properties"]["deadline"]["format"] == "date"


def test_research_steps_refused_alike_and_in_the_spec(app, clients, factory):
    from app import models as m

    project = m.ResearchProject(topic="步骤测试调研", status="ongoing",
                                lead_unit=factory.unit("平陆县企业破产处置府院联动机制办公室"))
    project.units = [factory.unit("县税务局")]
    project = factory.add(project)
    _refused_alike(clients, "tax", f"/api/v1/research/{project.id}/contribute", f"/research/contribute/{project.id}",
                   {"text": " "}, "请填写补充的调研内容", f"/research/show/{project.id}")
    proposal = m.Proposal(title="步骤测试提案", kind="guide", text="正文", status="submitted")
    proposal.units = [factory.unit("县税务局")]
    proposal = factory.add(proposal)
    _refused_alike(clients, "office", f"/api/v1/proposal/{proposal.id}/review", f"/proposal/review/{proposal.id}",
                   {"outcome": "maybe"}, "审议结果的取值无效：maybe；可选：adopted（审议通过）、returned（退回修改）",
                   f"/proposal/show/{proposal.id}")

    spec = _spec(app)
    assert _body_schema(spec, "/api/v1/research/{pk}/contribute")["required"] == ["text"]
    assert _body_schema(spec, "/api/v1/proposal/{pk}/review")["properties"]["outcome"]["enum"] == ["adopted",
                                                                                                   "returned"]
    upload = spec["paths"]["/api/v1/research/{pk}/attachment"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
def test_risk_plan_approve_refused_alike(app, clients, factory):
    from app import models as m
    from app.extensions import db

    plan = factory.add(m.DisposalPlan(case=factory.case(), title="处置方案"))
    factory.add(m.PlanMeasure(plan=plan, seq=1, content="稳控信访", responsible_unit=factory.unit("县信访局")))
    message = "为各项措施生成督办事项并函告责任单位应为是或否"
    api = clients.api("convener").post(f"/api/v1/plan/{plan.id}/approve", json={"create_matters": "也许"})
    assert api.status_code == 422 and api.get_json()["message"] == message
    page = clients.web("convener").post(f"/planview/approve/{plan.id}", data={"create_matters": "也许"})
    assert page.status_code == 302
    assert message in clients.web("convener").get(f"/planview/show/{plan.id}").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(m.DisposalPlan, plan.id).status == "draft"


def test_case_override_refused_alike(app, clients, factory):
    case = factory.case(stage="application", acceptance_date=None)
    for reason, message in (("理" * 2001, "放行理由不能超过2000字"), ("同意", "请填写放行理由（至少4个字）")):
        api = clients.api("convener").post(f"/api/v1/case/{case.id}/override", json={"reason": reason})
        assert api.status_code == 422 and api.get_json()["message"] == message
        page = clients.web("convener").post(f"/caseview/override/{case.id}", data={"reason": reason})
        assert page.status_code == 302
        assert message in clients.web("convener").get(f"/caseview/show/{case.id}").get_data(as_text=True)


def test_policy_upload_refused_alike(app, clients, factory):
    import datetime as dt

    from app import models as m

    policy = factory.add(m.Policy(kind="policy", title="实施意见", publish_date=dt.date(2026, 1, 5)))
    api = clients.api("office").post(f"/api/v1/policy/{policy.id}/attachments", data={},
                                     content_type="multipart/form-data")
    assert api.status_code == 422
    message = api.get_json()["message"]
    page = clients.web("office").post(f"/policyview/attach/{policy.id}", data={},
                                         content_type="multipart/form-data")
    assert page.status_code == 302
    assert message in clients.web("office").get(f"/policyview/show/{policy.id}").get_data(as_text=True)


def test_clue_upload_refused_alike(app, clients, factory):
    from app.extensions import db
    from app import models as m

    created = clients.api("tax").post("/api/v1/clue/", json={"title": "索要好处费", "description": "……",
                                                              "subject_unit": factory.unit("县市场监管局").id})
    clue = db.session.get(m.ClueReport, created.get_json()["id"])
    api = clients.api("tax").post(f"/api/v1/clue/{clue.id}/attachment", data={}, content_type="multipart/form-data")
    assert api.status_code == 422
    message = api.get_json()["message"]
    page = clients.web("tax").post(f"/clue/upload/{clue.id}", data={}, content_type="multipart/form-data")
    assert page.status_code == 302
    assert message in clients.web("tax").get(f"/clue/show/{clue.id}").get_data(as_text=True)


def test_request_decline_refused_alike(app, clients, factory):
    from app import models as m
    from app.extensions import db
    from tests.test_requests import _file_request

    a = factory.case(enterprise_name="山西华兴机械有限公司")
    office = clients.api("office")
    assert office.post("/api/v1/caseassignment/", json={"case": a.id, "user": factory.user("trustee").id,
                                                        "role": "administrator"}).status_code == 201
    req = _file_request(clients, {"a": a.id})
    api = office.post(f"/api/v1/request/{req.id}/decline", json={"reason": "  "})
    assert api.status_code == 422
    assert api.get_json() == {"message": "请填写不予受理的理由", "errors": {"reason": ["请填写不予受理的理由"]}}
    page = clients.web("office").post(f"/request/decline/{req.id}", data={"reason": "  "})
    assert page.status_code == 422 and "请填写不予受理的理由" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(m.CoordinationRequest, req.id).status == "submitted"


def test_spec_declares_the_mechanisms_step_bodies(sqlite_app):
    spec = _spec(sqlite_app)
    approve = _body_schema(spec, "/api/v1/plan/{pk}/approve")
    assert approve["properties"]["create_matters"]["type"] == "boolean"
    assert _body_schema(spec, "/api/v1/case/{pk}/override")["properties"]["reason"]["type"] == "string"
    assert _body_schema(spec, "/api/v1/request/{pk}/decline")["required"] == ["reason"]
    assert _body_schema(spec, "/api/v1/evaluation/{pk}/grade")["required"] == ["unit_id"]
    for path in ("/api/v1/policy/{pk}/attachments", "/api/v1/clue/{pk}/attachment", "/api/v1/request/{pk}/attachments"):
        assert "file" in str(spec["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]), path
    issue = spec["paths"]["/api/v1/bulletin/{pk}/issue"]["post"]["responses"]["200"]["content"]["application/json"]
    result = issue["schema"]["allOf"][1]["properties"]["result"]["$ref"].rsplit("/", 1)[1]
    assert "distributed_to" in spec["components"]["schemas"][result]["properties"]


def test_a_list_item_refusal_reads_as_a_sentence(app, clients, factory):
    """A bad id inside a list field is named in words, not as Python's repr of marshmallow's dict."""
    import datetime as dt

    from app import models as m

    group = factory.add(m.CoordinationGroup(name="列表字段测试协调组", case=factory.case(), setup_date=dt.date(2026, 3, 1)))
    response = clients.api("office").post(f"/api/v1/group/{group.id}/task",
                                          json={"title": "核实职工安置情况", "lead_unit_id": 1, "co_unit_ids": ["x"]})
    assert response.status_code == 422
    message = response.get_json()["message"]
    assert message == "配合单位应为记录编号", message
    assert response.get_json()["errors"] == {"co_unit_ids": {"0": ["配合单位应为记录编号"]}}

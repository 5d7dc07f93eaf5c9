"""协调申请 and 信息核查 (issue 14): the judge and the administrator of a case ask, the office decides,
the units answer on the ordinary supervision rails, and the requester follows it all — through the
pages and the API, with refusals that change nothing.
"""
from __future__ import annotations

import datetime as dt
import io

import pytest

from app import models as m
from app.extensions import db
from app.services import calendar

TODAY = dt.date.today()


def _pdf_text(data: bytes) -> str:
    import re

    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return re.sub(r"\s+", "", "\n".join(p.extract_text() or "" for p in pdf.pages))


def _pdf_file(name="指定管理人决定书.pdf"):
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    c.drawString(72, 720, "Decision appointing the administrator")
    c.save()
    buffer.seek(0)
    return buffer, name


def _user(name):
    return db.session.query(m.AppUser).filter_by(username=name).one()


def _unit(name):
    return db.session.query(m.Unit).filter_by(name=name).one()


def _notes(username):
    db.session.expire_all()
    return [n.message for n in db.session.query(m.Notification).filter_by(user_id=_user(username).id)
            .order_by(m.Notification.id)]


def _office_notes():
    office = db.session.query(m.Unit).filter_by(kind="office").one()
    return [n.message for n in db.session.query(m.Notification).filter_by(unit_id=office.id)]


def _item(unit, name):
    return db.session.query(m.CheckItem).filter_by(unit_id=_unit(unit).id, name=name).one()


@pytest.fixture
def cases(clients, factory):
    """Case A with its judge and administrator (assigned by the office through the API), case B of nobody."""
    a = factory.case(enterprise_name="山西华兴机械有限公司", credit_code="91140829MA0K000008", monitoring_points="职工集体上访风险",
                     notes="院内备注：注意信访")
    b = factory.case(enterprise_name="平陆县另一家公司")
    office = clients.api("office")
    for username, role in (("judge", "judge"), ("trustee", "administrator")):
        response = office.post("/api/v1/caseassignment/", json={"case": a.id, "user": _user(username).id, "role": role})
        assert response.status_code == 201, response.json
    return {"a": a.id, "b": b.id}


# --------------------------------------------------------------------------- case assignments and scope

def test_assignments_give_the_case_scope_and_only_to_users_with_it(clients, cases):
    office = clients.api("office")
    refused = office.post("/api/v1/caseassignment/", json={"case": cases["a"], "user": _user("tax").id, "role": "judge"})
    assert refused.status_code == 422 and "本人承办/管理的案件" in refused.json["message"]
    twice = office.post("/api/v1/caseassignment/", json={"case": cases["a"], "user": _user("judge").id, "role": "judge"})
    assert twice.status_code == 409 and "已在本案件" in twice.json["message"]
    assert db.session.query(m.CaseAssignment).count() == 2
    for username in ("judge", "trustee"):
        api = clients.api(username)
        assert api.get(f"/api/v1/case/{cases['a']}").status_code == 200
        assert api.get(f"/api/v1/case/{cases['b']}").status_code == 404
        assert api.get("/api/v1/case/").json["count"] == 1
        assert clients.web(username).get(f"/caseview/show/{cases['b']}").status_code == 404
    assert any("破产管理人" in n for n in _notes("trustee"))
    # the case page lists them; the add form offers only users with the scope
    page = clients.web("office").get(f"/caseview/show/{cases['a']}").get_data(as_text=True)
    assert "承办法官" in page and "破产管理人" in page
    form = clients.web("office").get(f"/caseassignment/add?_flt_0_case={cases['a']}").get_data(as_text=True)
    import re

    offered = re.findall(r'<option value="\d+">([^<]*)</option>', form.split('name="user"')[1].split("</select>")[0])
    assert sorted(o.split()[0] for o in offered) == ["judge", "trustee"]  # not the liaison, not the admin (sees all)


def test_the_administrator_sees_nothing_confidential(clients, factory, cases):
    scheme = db.session.query(m.RiskScheme).filter_by(active=True).first()
    factory.add(m.Assessment(case_id=cases["a"], scheme_id=scheme.id, assessed_on=TODAY, score=77, level="高",
                             breakdown="[]", answers="{}"))
    clue = factory.add(m.ClueReport(title="转移资产线索", description="股东转移设备", case_id=cases["a"], status="received"))
    trustee, judge = clients.api("trustee"), clients.api("judge")
    for resource in ("assessment", "clue", "minutes", "meeting", "plan", "group", "decision"):
        assert trustee.get(f"/api/v1/{resource}/").status_code == 403, resource
    assert judge.get("/api/v1/assessment/").json["count"] == 1
    assert judge.get(f"/api/v1/clue/{clue.id}").status_code == 403
    # the case's monitoring and risk notes are the ledger's: not the administrator's
    shown = trustee.get(f"/api/v1/case/{cases['a']}").json["result"]
    assert "monitoring_points" not in shown and "risk_level" not in shown and "notes" not in shown
    assert judge.get(f"/api/v1/case/{cases['a']}").json["result"]["monitoring_points"] == "职工集体上访风险"
    assert trustee.get("/api/v1/case/?q=(filters:!((col:risk_level,opr:eq,value:高)))").status_code == 403
    page = clients.web("trustee").get(f"/caseview/show/{cases['a']}").get_data(as_text=True)
    assert "山西华兴机械有限公司" in page and "职工集体上访风险" not in page and "院内备注" not in page
    assert "77分" not in page and "风险评估：" not in page
    assert clients.web("trustee").get("/caseview/list/?_flt_0_risk_level=高").status_code == 403
    judge_page = clients.web("judge").get(f"/caseview/show/{cases['a']}").get_data(as_text=True)
    assert "职工集体上访风险" in judge_page and "77分" in judge_page


def test_matters_of_the_case_are_followed_but_not_drafts_or_other_cases(clients, factory, cases):
    sent = factory.matter(lead="县税务局", case=db.session.get(m.Case, cases["a"]))
    draft = factory.matter(lead="县税务局", status="draft", case=db.session.get(m.Case, cases["a"]))
    other = factory.matter(lead="县税务局", case=db.session.get(m.Case, cases["b"]))
    trustee = clients.api("trustee")
    assert trustee.get(f"/api/v1/item/{sent.id}").status_code == 200
    assert trustee.get(f"/api/v1/item/{draft.id}").status_code == 404
    assert trustee.get(f"/api/v1/item/{other.id}").status_code == 404
    assert trustee.post(f"/api/v1/item/{sent.id}/remind").status_code == 403
    assert [row["id"] for row in trustee.get("/api/v1/item/").json["result"]] == [sent.id]


# --------------------------------------------------------------------------- 协调申请

def _file_request(clients, cases, username="trustee", **fields):
    data = {"case": str(cases["a"]), "title": "协调办理华兴公司名下土地不动产登记",
            "needs": "债务人名下两宗土地未办理不动产登记，影响资产处置，请协调县自然资源局补办登记。",
            "reason": "《企业破产法》第二十五条", "category": str(db.session.query(m.Category.id).filter_by(name="产权瑕疵").scalar()),
            "files": _pdf_file()}
    data.update(fields)
    response = clients.web(username).post("/request/add", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    return db.session.query(m.CoordinationRequest).order_by(m.CoordinationRequest.id.desc()).first()


def test_a_request_is_filed_reviewed_accepted_into_a_draft_and_followed(app, clients, factory, cases):
    req = _file_request(clients, cases)
    assert req.status == "submitted" and req.requester_role == "administrator" and req.kind == "coordination"
    assert req.requester_label.startswith("破产管理人")
    files = db.session.query(m.Attachment).filter_by(owner_type="request", owner_id=req.id).all()
    assert [f.filename for f in files] == ["指定管理人决定书.pdf"]
    assert any("新的协调申请" in n and req.title in n for n in _office_notes())
    # the office's home: the queue with its counts
    home = clients.web("office").get("/").get_data(as_text=True)
    assert 'id="stat-requests_waiting" data-value="1"' in home and req.title in home
    assert clients.api("office").get("/api/v1/request/waiting").json["counts"] == {"coordination": 1, "check": 0}
    # accept: a draft matter prefilled from the request, linked to it
    response = clients.web("office").post(f"/request/accept/{req.id}", data={"note": "同意协调"})
    assert response.status_code == 302 and "/matter/show/" in response.location
    db.session.expire_all()
    req = db.session.get(m.CoordinationRequest, req.id)
    matter = req.matter
    assert req.status == "accepted" and matter.status == "draft" and matter.source == "request"
    assert matter.case_id == cases["a"] and matter.category.name == "产权瑕疵"
    assert matter.lead_unit.name == "县自然资源局" and [u.name for u in matter.co_units] == ["县住建局"]
    assert "两宗土地未办理不动产登记" in matter.content and matter.title == req.title
    assert any("已受理" in n for n in _notes("trustee"))
    # the draft is the office's: the requester does not see it yet
    assert clients.api("trustee").get(f"/api/v1/item/{matter.id}").status_code == 404
    # the office sends it; the unit replies with a file; the requester hears of each step and reads the reply
    assert clients.api("office").post(f"/api/v1/item/{matter.id}/send").status_code == 200
    assert any("已函告县自然资源局" in n for n in _notes("trustee"))
    nature = clients.api("admin")  # no liaison of 县自然资源局 among the fixture users: one is made
    from app.services.users import create_user
    from tests.conftest import PASSWORD, ApiClient

    create_user(username="land", password=PASSWORD, role="UnitStaff", unit_name="县自然资源局", full_name="自然资源联络员")
    land = ApiClient(app, "land")
    assert land.post(f"/api/v1/item/{matter.id}/sign").status_code == 200
    buffer, name = _pdf_file("不动产登记查询结果.pdf")
    replied = land.post(f"/api/v1/item/{matter.id}/reply", data={"content": "已补办两宗土地的不动产登记。", "result": "已办结",
                                                                 "files": (buffer, name)}, content_type="multipart/form-data")
    assert replied.status_code == 200, replied.json
    assert any("县自然资源局已函复" in n for n in _notes("trustee"))
    progress = clients.api("trustee").get(f"/api/v1/request/{req.id}/progress").json["result"]
    part = progress["matters"][0]["parts"][0]
    assert part["reply_content"] == "已补办两宗土地的不动产登记。" and part["attachments"][0]["filename"] == name
    download = clients.api("trustee").get(part["attachments"][0]["url"])
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    response = clients.web("trustee").get(f"/request/show/{req.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[page.find("<h2"):][:500]
    assert "已补办两宗土地的不动产登记。" in page and name in page
    assert nature  # (admin client unused otherwise)
    # the matter page names the request it came from; closing it is the last step the requester hears of
    assert f"/request/show/{req.id}" in clients.web("office").get(f"/matter/show/{matter.id}").get_data(as_text=True)
    assert clients.api("office").post(f"/api/v1/item/{matter.id}/close", json={}).status_code == 200
    assert _notes("trustee")[-1].endswith("已办结")
    # every change is in the audit log, by who made it
    audit = {(a.table_name, a.action, a.username) for a in db.session.query(m.AuditLog).filter(
        m.AuditLog.table_name == "coordination_request")}
    assert ("coordination_request", "create", "trustee") in audit and ("coordination_request", "update", "office") in audit


def test_merge_and_decline_and_withdraw(clients, factory, cases):
    existing = factory.matter(lead="县自然资源局", case=db.session.get(m.Case, cases["a"]))
    other_case = factory.matter(lead="县自然资源局", case=db.session.get(m.Case, cases["b"]))
    office = clients.api("office")
    first = _file_request(clients, cases)
    refused = office.post(f"/api/v1/request/{first.id}/merge", json={"matter": other_case.id})
    assert refused.status_code == 422 and "同一案件" in refused.json["message"]
    merged = office.post(f"/api/v1/request/{first.id}/merge", json={"matter": existing.id, "note": "已在办理"})
    assert merged.status_code == 200 and merged.json["result"]["status"] == "merged"
    assert merged.json["result"]["matters"][0]["id"] == existing.id
    assert any("已并入协调事项" in n for n in _notes("trustee"))
    # the requester now follows the existing matter: its timeline says so
    events = [e.note for e in db.session.query(m.MatterEvent).filter_by(matter_id=existing.id, action="request")]
    assert events and "并入" in events[0]

    second = _file_request(clients, cases, username="judge", title="请公安机关协助查找法定代表人")
    assert second.requester_role == "judge"
    empty = clients.web("office").post(f"/request/decline/{second.id}", data={"reason": "  "})
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    assert 'id="error-decline"' in html and "请填写不予受理的理由" in html
    db.session.expire_all()
    assert db.session.get(m.CoordinationRequest, second.id).status == "submitted"
    declined = office.post(f"/api/v1/request/{second.id}/decline", json={"reason": "属于法院职权范围，不需协调"})
    assert declined.status_code == 200
    assert any("不予受理：属于法院职权范围" in n for n in _notes("judge"))
    assert office.post(f"/api/v1/request/{second.id}/accept", json={}).status_code == 409

    third = _file_request(clients, cases, title="协调税务部门出具清税证明")
    assert clients.api("judge").post(f"/api/v1/request/{third.id}/withdraw", json={}).status_code == 403  # not theirs
    assert clients.api("trustee").post(f"/api/v1/request/{third.id}/withdraw", json={"reason": "已自行解决"}).status_code == 200
    db.session.expire_all()
    assert db.session.get(m.CoordinationRequest, third.id).status == "withdrawn"


def test_refusals_change_nothing(clients, factory, cases):
    trustee, office = clients.api("trustee"), clients.api("office")
    # another case, a made-up case, empty text
    assert trustee.post("/api/v1/request/", json={"case": cases["b"], "title": "越权申请", "needs": "x"}).status_code == 422
    assert trustee.post("/api/v1/request/", json={"case": cases["a"], "title": "", "needs": "x"}).status_code == 422
    assert trustee.post("/api/v1/request/", json={"case": cases["a"], "title": "t", "needs": "x",
                                                  "desired_date": "2020-01-01"}).status_code == 422
    assert db.session.query(m.CoordinationRequest).count() == 0
    created = trustee.post("/api/v1/request/", json={"case": cases["a"], "title": "协调办理车辆过户", "needs": "三辆车需过户",
                                                     "suggested_units": [_unit("县公安局").id]})
    assert created.status_code == 201, created.json
    pk = created.json["id"]
    # the requester cannot decide; the office cannot file or edit
    assert trustee.post(f"/api/v1/request/{pk}/accept", json={}).status_code == 403
    assert office.post("/api/v1/request/", json={"case": cases["a"], "title": "t", "needs": "x"}).status_code == 403
    assert office.put(f"/api/v1/request/{pk}", json={"title": "改"}).status_code == 403
    # another requester on the same case cannot change it; its own requester can while it waits
    assert clients.api("judge").put(f"/api/v1/request/{pk}", json={"title": "法官改"}).status_code == 403
    emptied = trustee.put(f"/api/v1/request/{pk}", json={"needs": " "})
    assert emptied.status_code == 422 and "需要协调解决的问题" in emptied.json["message"]
    assert trustee.put(f"/api/v1/request/{pk}", json={"desired_date": "2020-01-01"}).status_code == 422
    assert trustee.put(f"/api/v1/request/{pk}", json={"title": "协调办理三辆车辆过户"}).status_code == 200
    # accept without a lead unit anywhere: refused beside the form, nothing made
    page = clients.web("office").post(f"/request/accept/{pk}", data={"lead_unit": "99999"})
    assert page.status_code == 422 and "牵头单位中的单位不存在" in page.get_data(as_text=True)
    assert db.session.query(m.Matter).count() == 0
    assert office.post(f"/api/v1/request/{pk}/accept", json={"deadline": "明天"}).status_code == 422
    assert office.post(f"/api/v1/request/{pk}/accept", json={}).status_code == 200
    # decided: frozen for every path
    assert trustee.put(f"/api/v1/request/{pk}", json={"title": "审核后再改"}).status_code == 409
    assert trustee.post(f"/api/v1/request/{pk}/withdraw", json={}).status_code == 409
    assert clients.web("trustee").get(f"/request/edit/{pk}").status_code == 302
    assert office.post(f"/api/v1/request/{pk}/decline", json={"reason": "重复"}).status_code == 409
    db.session.expire_all()
    req = db.session.get(m.CoordinationRequest, pk)
    assert req.title == "协调办理三辆车辆过户" and req.status == "accepted"
    assert db.session.query(m.Matter).count() == 1
    # nobody else's request is even there
    assert clients.api("hr").get(f"/api/v1/request/{pk}").status_code == 403
    outsider = factory.case(enterprise_name="外案公司")
    assert outsider and clients.api("judge").get(f"/api/v1/request/{pk}").status_code == 200


# --------------------------------------------------------------------------- 信息核查

def test_an_information_check_fans_out_one_matter_per_unit_with_standard_deadlines(app, clients, factory, cases):
    items = [_item("县税务局", "欠税及纳税申报情况"), _item("县税务局", "税务登记状态及发票结存"),
             _item("县人社局", "社会保险欠费情况"), _item("县公安局", "机动车登记及抵押查封")]
    trustee = clients.api("trustee")
    bad = trustee.post("/api/v1/request/check", json={"case": cases["a"], "items": []})
    assert bad.status_code == 422 and "至少选择一项" in bad.json["message"]
    created = trustee.post("/api/v1/request/check", json={
        "case": cases["a"], "reason": "调查债务人财产状况",
        "items": [{"item": i.id, "note": "晋M12345" if i.name.startswith("机动车") else ""} for i in items]})
    assert created.status_code == 201, created.json
    pk = created.json["id"]
    buffer, name = _pdf_file()
    attached = trustee.post(f"/api/v1/request/{pk}/attachments", data={"file": (buffer, name)},
                            content_type="multipart/form-data")
    assert attached.status_code == 200 and attached.json["message"] == "附件已上传"
    assert [f["filename"] for f in attached.json["result"]["attachments"]] == [name]
    page = clients.web("office").get(f"/request/show/{pk}").get_data(as_text=True)
    assert 'id="fan-out-plan"' in page and "批准并向 3 个单位函告" in page
    approved = clients.api("office").post(f"/api/v1/request/{pk}/accept", json={})
    assert approved.status_code == 200, approved.json
    db.session.expire_all()
    req = db.session.get(m.CoordinationRequest, pk)
    matters = {line.unit.name: line.matter for line in req.lines}
    assert len({mt.id for mt in matters.values()}) == 3
    work = calendar.work_calendar()
    assert matters["县税务局"].deadline == work.add_workdays(TODAY, 5)  # the longer of 5 and 3
    assert matters["县公安局"].deadline == work.add_workdays(TODAY, 3)
    for unit, matter in matters.items():
        assert matter.status == "sent" and matter.letter_number and matter.source == "check"
        assert [a.unit.name for a in matter.assignments] == [unit]
    assert "欠税及纳税申报情况" in matters["县税务局"].content and "晋M12345" in matters["县公安局"].content
    # the units read their own letter and the requester's file copied to it, not the others'
    tax = clients.api("tax")
    assert tax.get(f"/api/v1/item/{matters['县税务局'].id}").status_code == 200
    assert tax.get(f"/api/v1/item/{matters['县人社局'].id}").status_code == 404
    letter_file = db.session.query(m.Attachment).filter_by(owner_type="matter", owner_id=matters["县税务局"].id).one()
    assert tax.get(f"/api/v1/request/attachment/{letter_file.id}").status_code == 403  # the API route needs request access
    assert clients.web("tax").get(f"/attachment/{letter_file.id}").status_code == 200
    assert clients.web("hr").get(f"/attachment/{letter_file.id}").status_code == 404
    notes = _notes("trustee")
    assert sum("已批准" in n for n in notes) == 1 and not any("已函告" in n for n in notes)  # one notice, not four
    # items cannot be added after approval
    late = trustee.post("/api/v1/checkline/", json={"request": pk, "item": _item("县市场监管局", "登记档案及股权结构").id})
    assert late.status_code == 409
    # two units reply; the results PDF collects what has come back
    for username, unit, text in (("tax", "县税务局", "截至受理日欠缴增值税12.5万元、滞纳金0.8万元。"),
                                 ("hr", "县人社局", "欠缴养老保险费36万元，涉及职工58人。")):
        api = clients.api(username)
        assert api.post(f"/api/v1/item/{matters[unit].id}/sign").status_code == 200
        assert api.post(f"/api/v1/item/{matters[unit].id}/reply", json={"content": text, "result": "已查询"}).status_code == 200
    assert sum("已函复" in n for n in _notes("trustee")) == 2
    pdf = trustee.get(f"/api/v1/request/{pk}/results")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.data)
    for expected in ("山西华兴机械有限公司信息核查结果", "县税务局", "欠税及纳税申报情况", "截至受理日欠缴增值税12.5万元",
                     "县人社局", "欠缴养老保险费36万元", "县公安局", "机动车登记及抵押查封", "尚未收到查询结果", "已函复3项"):
        assert expected in text, expected
    whole = clients.web("trustee").get(f"/request/case_results/{cases['a']}")
    assert whole.status_code == 200 and "欠缴养老保险费36万元" in _pdf_text(whole.data)
    assert clients.web("trustee").get(f"/request/case_results/{cases['b']}").status_code == 404
    assert clients.api("tax").get(f"/api/v1/request/{pk}/results").status_code == 403


def test_check_form_keeps_the_input_and_says_what_is_wrong(clients, cases):
    item = _item("县税务局", "欠税及纳税申报情况")
    web = clients.web("trustee")
    page = web.get(f"/request/check?case={cases['a']}").get_data(as_text=True)
    assert "欠税及纳税申报情况" in page and "县人民法院" in page and f'value="{cases["a"]}" selected' in page
    response = web.post("/request/check", data={"case": str(cases["a"]), "reason": "编制财产状况报告"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="error-items"' in html and "编制财产状况报告" in html
    response = web.post("/request/check", data={"case": str(cases["b"]), "items": [str(item.id)],
                                                f"note_{item.id}": "近三年"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="error-case"' in html and 'value="近三年"' in html
    assert db.session.query(m.CoordinationRequest).count() == 0
    ok = web.post("/request/check", data={"case": str(cases["a"]), "items": [str(item.id)]})
    assert ok.status_code == 302


# --------------------------------------------------------------------------- the case's whole story

def test_the_case_page_tells_the_whole_story_per_role(clients, factory, cases):
    case = db.session.get(m.Case, cases["a"])
    scheme = db.session.query(m.RiskScheme).filter_by(active=True).first()
    factory.add(m.Assessment(case_id=case.id, scheme_id=scheme.id, assessed_on=TODAY, score=61, level="中",
                             breakdown="[]", answers="{}"))
    factory.add(m.CaseProgress(case_id=case.id, entry_date=TODAY, content="召开第一次债权人会议"))
    matter = factory.matter(lead="县税务局", case=case)
    factory.add(m.CoordinationGroup(name="华兴机械领导协调组", case_id=case.id, status="active", setup_date=TODAY))
    _file_request(clients, cases)

    def kinds(username):
        rows = clients.api(username).get(f"/api/v1/case/{case.id}/timeline").json["result"]
        return {row["kind"] for row in rows}, rows

    office, rows = kinds("office")
    assert {"case", "request", "matter", "assessment", "group", "progress"} <= office
    trustee, rows = kinds("trustee")
    assert {"request", "matter", "progress"} <= trustee and not trustee & {"assessment", "group"}
    assert any(r["link"] == f"/matter/show/{matter.id}" for r in rows)
    judge, _ = kinds("judge")
    assert {"assessment", "group"} <= judge
    assert clients.api("tax").get(f"/api/v1/case/{case.id}/timeline").status_code == 200  # its matter's case
    assert clients.api("hr").get(f"/api/v1/case/{case.id}/timeline").status_code == 404
    page = clients.web("trustee").get(f"/caseview/show/{case.id}").get_data(as_text=True)
    assert 'id="case-story"' in page and "召开第一次债权人会议" in page and "风险评估" not in page.split('id="case-story"')[1]
    assert 'id="btn-new-check"' in page


def test_the_office_queue_counts_what_its_list_shows(clients, cases):
    _file_request(clients, cases)
    _file_request(clients, cases, username="judge", title="请公安机关协助查找法定代表人")
    assert clients.api("trustee").post("/api/v1/request/check", json={
        "case": cases["a"], "items": [{"item": _item("县税务局", "欠税及纳税申报情况").id}]}).status_code == 201
    home = clients.web("office").get("/").get_data(as_text=True)
    listed = clients.api("office").get("/api/v1/request/?q=(filters:!((col:status,opr:eq,value:submitted)))").json["count"]
    assert listed == 3 and f'id="stat-requests_waiting" data-value="{listed}"' in home
    assert clients.api("office").get("/api/v1/request/waiting").json["counts"] == {"coordination": 2, "check": 1}
    # the page behind the card shows the same requests
    page = clients.web("office").get("/request/list/?_flt_0_status=submitted").get_data(as_text=True)
    assert page.count("/request/show/") >= 3
    # the requests' API is described in the OpenAPI document
    spec = clients.api("admin").get("/api/v1/_openapi")
    assert spec.status_code == 200
    paths = spec.json["paths"]
    assert "/request/check" in str(paths) and "/request/{pk}/accept" in str(paths) and "/case/{pk}/timeline" in str(paths)


def test_the_requester_home(clients, cases):
    _file_request(clients, cases)
    home = clients.web("trustee").get("/").get_data(as_text=True)
    assert 'data-kind="cases"' in home and 'id="stat-my_cases" data-value="1"' in home
    assert 'id="stat-my_waiting" data-value="1"' in home and "协调办理华兴公司名下土地不动产登记" in home


def test_the_case_page_links_prefill_the_case(clients, factory, cases):
    """`?_flt_0_case=<id>` (the case page's buttons) fills the case of the new record; a case out of
    scope fills nothing."""
    office = clients.web("office")
    trustee = _user("trustee")
    response = office.post(f"/caseassignment/add?_flt_0_case={cases['b']}", data={"user": str(trustee.id),
                                                                                   "role": "administrator"})
    assert response.status_code == 302
    assert db.session.query(m.CaseAssignment).filter_by(case_id=cases["b"], user_id=trustee.id).count() == 1
    progress = clients.web("judge").post(f"/caseprogressview/add?_flt_0_case={cases['a']}",
                                         data={"entry_date": TODAY.isoformat(), "content": "债权人会议通过财产变价方案"})
    assert progress.status_code == 302
    assert db.session.query(m.CaseProgress).filter_by(case_id=cases["a"]).count() == 1
    hidden = clients.web("judge").post(f"/caseprogressview/add?_flt_0_case={cases['b']}",
                                       data={"entry_date": TODAY.isoformat(), "content": "越权进展"})
    assert hidden.status_code == 200
    assert db.session.query(m.CaseProgress).filter_by(case_id=cases["b"]).count() == 0


def test_the_case_page_shows_only_the_tabs_the_reader_may_open(clients, cases):
    trustee = clients.web("trustee").get(f"/caseview/show/{cases['a']}").get_data(as_text=True)
    judge = clients.web("judge").get(f"/caseview/show/{cases['a']}").get_data(as_text=True)
    assert "领导协调组" not in trustee and "案件承办人员" in trustee and "案件进展" in trustee
    assert "领导协调组" in judge


def test_the_judge_follows_the_meetings_and_minutes_about_their_case(clients, factory, cases):
    a, b = db.session.get(m.Case, cases["a"]), db.session.get(m.Case, cases["b"])
    about = factory.meeting(title="华兴机械专题会议", kind="special")
    factory.add(m.MeetingTopic(meeting_id=about.id, title="华兴机械职工安置", case_id=a.id))
    other = factory.meeting(title="另一案件专题会议", kind="special")
    issued = factory.minutes(about)
    draft = factory.minutes(about)
    elsewhere = factory.minutes(other)
    tax = _unit("县税务局")
    mine = factory.add(m.Decision(minutes_id=issued.id, seq=1, content="县人社局核实职工社保欠费", lead_unit_id=tax.id, case_id=a.id))
    sibling = factory.add(m.Decision(minutes_id=issued.id, seq=2, content="做好舆情应对", lead_unit_id=tax.id))
    hidden = factory.add(m.Decision(minutes_id=elsewhere.id, seq=1, content="另案事项", lead_unit_id=tax.id, case_id=b.id))
    for minutes, number in ((issued, "平府院联纪〔2026〕71号"), (elsewhere, "平府院联纪〔2026〕72号")):
        assert minutes.status == "draft"  # loaded: the rulebook judges the change from this state
        minutes.status, minutes.number = "issued", number  # issued with its decisions (the lock holds from now)
    db.session.commit()
    judge = clients.api("judge")
    assert judge.get("/api/v1/meeting/").json["ids"] == [about.id]
    assert judge.get("/api/v1/minutes/").json["ids"] == [issued.id]  # not the draft, not the other meeting's
    assert sorted(judge.get("/api/v1/decision/").json["ids"]) == sorted([mine.id, sibling.id])
    for url in (f"/api/v1/minutes/{draft.id}", f"/api/v1/minutes/{elsewhere.id}", f"/api/v1/decision/{hidden.id}",
                f"/api/v1/meeting/{other.id}"):
        assert judge.get(url).status_code == 404, url
    assert judge.get(f"/api/v1/minutes/{issued.id}/pdf").status_code == 200
    kinds = {row["kind"] for row in judge.get(f"/api/v1/case/{a.id}/timeline").json["result"]}
    assert {"meeting", "decision"} <= kinds
    trustee_kinds = {row["kind"] for row in clients.api("trustee").get(f"/api/v1/case/{a.id}/timeline").json["result"]}
    assert not trustee_kinds & {"meeting", "decision"}


def test_user_text_stays_text(clients, factory, cases):
    evil = "<script>alert(1)</script>土地&房产"
    created = clients.api("trustee").post("/api/v1/request/", json={"case": cases["a"], "title": evil, "needs": evil})
    assert created.status_code == 201
    for username in ("trustee", "office"):
        page = clients.web(username).get(f"/request/show/{created.json['id']}").get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;土地&amp;房产" in page
    home = clients.web("office").get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in home

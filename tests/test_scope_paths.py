"""Related records load inside the scope on every path (issue 11): FAB's `_flt_` prefill, relation
filters of lists and the API, and text derived from records (evaluation derivations, meeting and
follow-up pages, the case page). A hidden id answers exactly as a missing one.
"""
from __future__ import annotations

import datetime as dt

from app import models as m
from app.extensions import db

MISSING = 987654


def _hidden_matter(factory, **fields):
    """A matter of 县人社局's with its own case: 县税务局 (user `tax`) sees neither."""
    case = factory.case(enterprise_name="人社独有案件有限公司")
    return factory.matter(lead="县人社局", title="人社局内部核查事项", case=case, **fields), case


def test_prefill_cannot_link_a_hidden_record(clients, factory):
    matter, case = _hidden_matter(factory)
    web = clients.web("tax")
    response = web.post(f"/clue/add?_flt_0_matter={matter.id}&_flt_0_case={case.id}",
                        data={"title": "发现虚假债权线索", "description": "某债权人虚构借款"})
    assert response.status_code in (200, 302)
    db.session.expire_all()
    clue = db.session.query(m.ClueReport).filter_by(title="发现虚假债权线索").one()
    assert clue.matter_id is None and clue.case_id is None
    page = web.get(f"/clue/show/{clue.id}").get_data(as_text=True)
    assert "人社局内部核查事项" not in page and "人社独有案件" not in page
    # control: a matter the unit sees is linked through the same prefill
    own = factory.matter(lead="县税务局", title="税务局可见事项")
    web.post(f"/clue/add?_flt_0_matter={own.id}", data={"title": "可见事项的线索", "description": "描述"})
    db.session.expire_all()
    assert db.session.query(m.ClueReport).filter_by(title="可见事项的线索").one().matter_id == own.id
    # the draft matter's title is not reachable either
    draft = factory.matter(lead="县税务局", status="draft", title="尚未函告的草稿事项")
    web.post(f"/clue/add?_flt_0_matter={draft.id}", data={"title": "第二条线索", "description": "描述"})
    db.session.expire_all()
    assert db.session.query(m.ClueReport).filter_by(title="第二条线索").one().matter_id is None


def test_relation_filters_answer_alike_for_hidden_and_missing(clients, factory):
    meeting = factory.meeting(units=("县税务局",), status="minutes_issued")
    hidden = factory.minutes(meeting, distributed_to=("县人社局",), status="issued", number="平府院联纪〔2026〕90号")
    api = clients.api("tax")

    def listed(q):
        response = api.get("/api/v1/meeting/", query_string={"q": q})
        assert response.status_code == 200, response.json
        return response.json["count"], response.json["ids"]

    by_hidden = listed(f"(filters:!((col:minutes,opr:rel_m_m,value:{hidden.id})))")
    by_missing = listed(f"(filters:!((col:minutes,opr:rel_m_m,value:{MISSING})))")
    assert by_hidden == by_missing == (0, [])
    # the office, who sees those minutes, finds the meeting by them
    office = clients.api("office").get("/api/v1/meeting/", query_string={
        "q": f"(filters:!((col:minutes,opr:rel_m_m,value:{hidden.id})))"}).json
    assert office["ids"] == [meeting.id]

    matter, case = _hidden_matter(factory)
    own = factory.matter(lead="县税务局", case=factory.case())
    for value in (case.id, MISSING):
        response = api.get("/api/v1/item/", query_string={"q": f"(filters:!((col:case,opr:rel_o_m,value:{value})))"})
        assert response.json["count"] == 0
    not_hidden = api.get("/api/v1/item/", query_string={"q": f"(filters:!((col:case,opr:nrel_o_m,value:{case.id})))"})
    not_missing = api.get("/api/v1/item/", query_string={"q": f"(filters:!((col:case,opr:nrel_o_m,value:{MISSING})))"})
    assert not_hidden.json["ids"] == not_missing.json["ids"] == [own.id]


def test_evaluation_derivation_names_only_what_the_reader_sees(clients, factory):
    year = dt.date.today().year
    sent = dt.datetime(year, 1, 5, 9)
    hr_matter, _ = _hidden_matter(factory, sent_at=sent, letter_number=f"平府院函〔{year}〕77号")
    tax_matter = factory.matter(lead="县税务局", title="税务局自己的事项", sent_at=sent,
                                letter_number=f"平府院函〔{year}〕78号")
    office = clients.api("office")
    evaluation_id = office.post("/api/v1/evaluation/compute", json={"year": year}).json["id"]
    evaluation = db.session.get(m.Evaluation, evaluation_id)
    evaluation.status = "issued"  # every unit reads an issued evaluation
    db.session.commit()
    entries = {e.unit.name: e.id for e in evaluation.entries}

    hr_entry = clients.web("tax").get(f"/evaluationentry/show/{entries['县人社局']}").get_data(as_text=True)
    assert "人社局内部核查事项" not in hr_entry and "77号" not in hr_entry
    assert "无权查看" in hr_entry
    own_entry = clients.web("tax").get(f"/evaluationentry/show/{entries['县税务局']}").get_data(as_text=True)
    assert "税务局自己的事项" in own_entry
    rows = clients.api("tax").get(f"/api/v1/evaluation/{evaluation_id}/entries").json["result"]
    assert "人社局内部核查事项" not in str(rows) and "77号" not in str(rows)
    summary = clients.web("tax").get(f"/evaluation/show/{evaluation_id}").get_data(as_text=True)
    assert "人社局内部核查事项" not in summary
    # the office reads every name
    assert "人社局内部核查事项" in clients.web("office").get(
        f"/evaluationentry/show/{entries['县人社局']}").get_data(as_text=True)
    assert hr_matter.id and tax_matter.id


def test_meeting_pages_name_only_distributed_minutes(clients, factory):
    meeting = factory.meeting(units=("县税务局",), status="minutes_issued")
    factory.minutes(meeting, distributed_to=("县人社局",), status="issued", number="平府院联纪〔2026〕91号")
    other = factory.meeting(units=("县税务局",), status="held")
    factory.minutes(other, status="draft")
    web = clients.web("tax")
    page = web.get(f"/meeting/show/{meeting.id}").get_data(as_text=True)
    assert "91号" not in page
    assert "纪要草稿" not in web.get(f"/meeting/show/{other.id}").get_data(as_text=True)
    followup = web.get(f"/meeting/followup/{meeting.id}").get_data(as_text=True)
    assert "91号" not in followup
    # the office sees both
    assert "91号" in clients.web("office").get(f"/meeting/show/{meeting.id}").get_data(as_text=True)


def test_case_page_hides_the_assessment_from_who_may_not_read_it(clients, factory):
    case = factory.case(enterprise_name="评估测试有限公司")
    factory.matter(lead="县税务局", case=case)  # brings the case into 县税务局's scope
    scheme = db.session.query(m.RiskScheme).filter_by(active=True).first()
    factory.add(m.Assessment(case_id=case.id, scheme_id=scheme.id, assessed_on=dt.date(2026, 3, 1), score=88,
                             level="重大", breakdown="[]", answers="{}"))
    tax_page = clients.web("tax").get(f"/caseview/show/{case.id}").get_data(as_text=True)
    assert "评估测试有限公司" in tax_page and "88分" not in tax_page and "风险评估：" not in tax_page
    assert "88分" in clients.web("office").get(f"/caseview/show/{case.id}").get_data(as_text=True)

"""工作通报: drafting from a fixed data set gives the expected counts; editing, issuing (numbered,
locked, distributed), visibility to units, the PDF; the policy library search and attachments."""
from __future__ import annotations

import datetime as dt
import io
import json

import pdfplumber
import pytest

from app import models as m
from app.extensions import db

Q1 = {"kind": "quarter", "period_start": "2026-01-01", "period_end": "2026-03-31"}


@pytest.fixture
def frozen_today(monkeypatch):
    from app.services import calendar

    monkeypatch.setattr(calendar, "today", lambda: dt.date(2026, 4, 3))


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day + "T10:00:00")


def _period_data(factory):
    c1 = factory.case(enterprise_name="一号矿业公司", application_date=dt.date(2026, 1, 5),
                      acceptance_date=dt.date(2026, 1, 20), is_major_sensitive=True, monitoring_points="职工安置")
    c2 = factory.case(enterprise_name="二号建材公司", application_date=dt.date(2026, 2, 1),
                      acceptance_date=dt.date(2026, 3, 2), procedure_type="reorganization")
    factory.case(enterprise_name="三号食品公司", application_date=dt.date(2026, 3, 15), acceptance_date=None,
                 stage="application")
    factory.case(enterprise_name="四号化工公司", application_date=dt.date(2025, 10, 1), acceptance_date=dt.date(2025, 11, 1))
    factory.case(enterprise_name="五号纺织公司", application_date=dt.date(2025, 5, 1), acceptance_date=dt.date(2025, 6, 1),
                 closing_date=dt.date(2026, 2, 28), stage="concluded")
    for case, day, stage, text in [(c1, (1, 25), "claims", "债权申报开始"), (c1, (3, 10), "creditors_meeting", "召开第一次债权人会议"),
                                   (c2, (3, 5), "accepted", "裁定受理重整申请"), (c1, (2, 15), None, "职工安置方案报县政府"),
                                   (c1, (4, 2), None, "期外进展")]:
        factory.add(m.CaseProgress(case=case, entry_date=dt.date(2026, *day), stage=stage, content=text,
                                   unit=factory.unit("县人社局")))
    factory.matter(lead="县税务局", sent_at=_at("2025-12-10"), assigned_date=dt.date(2025, 12, 10),
                   deadline=dt.date(2026, 1, 10), status="closed", closed_at=_at("2026-01-08"), title="m0")
    factory.matter(lead="县税务局", co=("县人社局",), sent_at=_at("2026-01-10"), assigned_date=dt.date(2026, 1, 10),
                   deadline=dt.date(2026, 2, 10), status="closed", closed_at=_at("2026-02-20"), title="m1")
    factory.matter(lead="县税务局", sent_at=_at("2026-02-01"), assigned_date=dt.date(2026, 2, 1),
                   deadline=dt.date(2026, 2, 10), status="in_progress", title="m2 严重逾期的事项", letter_number="平府院函〔2026〕2号")
    factory.matter(lead="县人社局", sent_at=_at("2026-03-02"), assigned_date=dt.date(2026, 3, 2),
                   deadline=dt.date(2026, 3, 30), status="signed", title="m3")
    m4 = factory.matter(lead="县税务局", sent_at=_at("2026-03-01"), assigned_date=dt.date(2026, 3, 1),
                        deadline=dt.date(2026, 3, 20), status="replied", replied_at=_at("2026-03-19"), title="m4")
    m4.assignments[0].replied_at = _at("2026-03-19")
    m4.assignments[0].status = "replied"
    factory.matter(lead="县税务局", sent_at=_at("2026-02-01"), assigned_date=dt.date(2026, 2, 1),
                   deadline=dt.date(2026, 2, 5), status="cancelled", title="m5")
    factory.matter(lead="县税务局", status="draft", title="m6")
    for title, day in (("关于加强破产审判与府院联动的意见", dt.date(2026, 2, 1)),
                       ("某县重整成功典型案例", dt.date(2026, 3, 31)), ("期外文件", dt.date(2025, 12, 31))):
        factory.add(m.Policy(kind="policy", title=title, publish_date=day, issuer="县人民法院"))
    db.session.commit()


def _sections(res):
    return {s["heading"]: s for s in res.json["sections"]}


def test_drafting_from_a_fixed_data_set_gives_the_expected_counts(clients, factory, frozen_today):
    _period_data(factory)
    res = clients.api("office").post("/api/v1/bulletin/draft", json=Q1)
    assert res.status_code == 201, res.json
    assert res.json["title"] == "关于2026年第一季度企业破产处置府院联动工作情况的通报"
    s = _sections(res)
    assert list(s) == ["案件受理审理情况", "案件程序进展", "重大敏感案件进展", "协调事项办理情况", "严重逾期事项",
                       "政策文件与工作经验"]
    cases = s["案件受理审理情况"]["data"]
    assert {k: cases[k] for k in ("new_cases", "accepted_cases", "concluded_cases", "pending_cases", "pending_major")} == \
        {"new_cases": 3, "accepted_cases": 2, "concluded_cases": 1, "pending_cases": 3, "pending_major": 1}
    assert "其中破产清算1件、破产重整1件" in s["案件受理审理情况"]["body"]
    assert s["案件程序进展"]["data"] == {"stage_changes": 3, "cases": 2}
    assert s["重大敏感案件进展"]["data"] == {"major_cases": 1, "entries": 3}
    assert "监测评估重点：职工安置" in s["重大敏感案件进展"]["body"] and "期外进展" not in s["重大敏感案件进展"]["body"]
    matters = s["协调事项办理情况"]["data"]
    assert matters["totals"] == {"sent": 4, "closed": 2, "overdue": 2, "escalated": 1}
    assert matters["per_unit"] == {"县人社局": {"sent": 2, "closed": 1, "closed_late": 1, "overdue": 1},
                                   "县税务局": {"sent": 3, "closed": 2, "closed_late": 1, "overdue": 1}} or \
        matters["per_unit"] == {"县税务局": {"sent": 3, "closed": 2, "closed_late": 1, "overdue": 1},
                                "县人社局": {"sent": 2, "closed": 1, "closed_late": 1, "overdue": 1}}
    assert matters["table"]["headers"] == ["单位", "本期交办", "本期办结", "其中逾期办结", "期末逾期未办结"]
    assert sorted(matters["table"]["rows"]) == [["县人社局", "2", "1", "1", "1"], ["县税务局", "3", "2", "1", "1"]]
    assert s["严重逾期事项"]["data"]["escalated"] == 1
    assert "平府院函〔2026〕2号《m2 严重逾期的事项》" in s["严重逾期事项"]["body"]
    assert s["政策文件与工作经验"]["data"]["policies"] == 2
    assert "期外文件" not in s["政策文件与工作经验"]["body"]


def test_draft_refusals_and_permissions(clients, factory):
    api = clients.api("office")
    assert api.post("/api/v1/bulletin/draft", json={**Q1, "kind": "weekly"}).status_code == 422
    bad = api.post("/api/v1/bulletin/draft", json={**Q1, "period_end": "2025-12-31"})
    assert bad.status_code == 422 and "结束日期不能早于开始日期" in bad.json["message"]
    for user in ("convener", "tax", "viewer"):
        assert clients.api(user).post("/api/v1/bulletin/draft", json=Q1).status_code == 403, user
    assert db.session.query(m.Bulletin).count() == 0


def test_edit_issue_lock_distribute_and_print(clients, factory, frozen_today):
    _period_data(factory)
    office = clients.api("office")
    pk = office.post("/api/v1/bulletin/draft", json=Q1).json["id"]
    bulletin = db.session.get(m.Bulletin, pk)
    first = bulletin.sections[0]
    seen_version = first.version_id
    edited = office.put(f"/api/v1/bulletin/{pk}/sections/{first.id}",
                        json={"body": "本季度全县法院新收破产申请3件。<b>不是标记</b>", "version_id": seen_version})
    assert edited.status_code == 200, edited.json
    stale = office.put(f"/api/v1/bulletin/{pk}/sections/{first.id}", json={"body": "x", "version_id": seen_version})
    assert stale.status_code == 409
    # units do not see drafts
    assert clients.api("tax").get(f"/api/v1/bulletin/{pk}").status_code == 404
    assert clients.api("tax").get(f"/api/v1/bulletin/{pk}/pdf").status_code == 404
    # only office and convener issue
    assert clients.api("viewer").post(f"/api/v1/bulletin/{pk}/issue").status_code == 403
    issued = clients.api("convener").post(f"/api/v1/bulletin/{pk}/issue")
    assert issued.status_code == 200, issued.json
    members = db.session.query(m.Unit).filter(m.Unit.kind == "member", m.Unit.active.is_(True)).count()
    assert issued.json == {"message": "已印发 平府院通〔2026〕1号，已分发各成员单位", "result": {
        "id": pk, "number": "平府院通〔2026〕1号", "issue_label": "2026年第1期（总第1期）", "distributed_to": members}}
    # locked
    assert office.put(f"/api/v1/bulletin/{pk}/sections/{first.id}", json={"body": "改"}).status_code == 409
    assert office.put(f"/api/v1/bulletin/{pk}", json={"title": "改"}).status_code == 409
    assert office.post(f"/api/v1/bulletin/{pk}/issue").status_code == 409
    # distributed: the unit now sees it and prints it
    assert clients.api("tax").get(f"/api/v1/bulletin/{pk}").status_code == 200
    pdf = clients.api("tax").get(f"/api/v1/bulletin/{pk}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    with pdfplumber.open(io.BytesIO(pdf.data)) as doc:
        pages = [(p.extract_text() or "").replace(" ", "").replace("\n", "") for p in doc.pages]
    text = "".join(pages)
    for needle in ("平陆县企业破产处置府院联动工作通报", "2026年第1期（总第1期）", "平府院通〔2026〕1号",
                   "关于2026年第一季度企业破产处置府院联动工作情况的通报", "各成员单位", "一、案件受理审理情况",
                   "<b>不是标记</b>", "四、协调事项办理情况", "附表", "各成员单位协调事项办理情况统计表", "县税务局"):
        assert needle in text, needle
    assert "附表" in pages[-1] and "县人社局" in pages[-1]
    # the next bulletin continues both sequences
    pk2 = office.post("/api/v1/bulletin/draft", json={"kind": "special", "period_start": "2026-04-01",
                                                      "period_end": "2026-04-02"}).json["id"]
    second = office.post(f"/api/v1/bulletin/{pk2}/issue")
    assert (second.json["result"]["number"], second.json["result"]["issue_label"]) == ("平府院通〔2026〕2号", "2026年第2期（总第2期）")


def test_bulletin_pages(clients, factory, frozen_today):
    _period_data(factory)
    office = clients.web("office")
    assert clients.web("convener").get("/bulletinview/draft/").status_code == 403
    page = office.get("/bulletinview/draft/?kind=quarter")
    assert page.status_code == 200 and "按数据起草" in page.get_data(as_text=True)
    res = office.post("/bulletinview/draft/", data={**Q1, "title": ""})
    assert res.status_code == 302 and "/bulletinview/compose/" in res.headers["Location"]
    bulletin = db.session.query(m.Bulletin).one()
    html = office.get(f"/bulletinview/compose/{bulletin.id}").get_data(as_text=True)
    assert "协调事项办理情况" in html and "各成员单位协调事项办理情况统计表" in html
    section = bulletin.sections[2]
    form = {"title": bulletin.title, "recipients": "各成员单位", f"heading_{section.id}": "重大敏感案件进展情况",
            f"body_{section.id}": "改写后的正文", f"version_{section.id}": str(section.version_id),
            "new_heading": "下步工作安排", "new_body": "继续做好职工安置。"}
    assert office.post(f"/bulletinview/compose/{bulletin.id}", data=form).status_code == 302
    db.session.expire_all()
    bulletin = db.session.get(m.Bulletin, bulletin.id)
    assert [s.heading for s in bulletin.sections][2] == "重大敏感案件进展情况"
    assert bulletin.sections[-1].heading == "下步工作安排" and len(bulletin.sections) == 7
    assert json.loads(bulletin.sections[3].data)["totals"]["sent"] == 4  # data kept with the text
    show = office.get(f"/bulletinview/show/{bulletin.id}").get_data(as_text=True)
    assert "印发" in show
    assert office.post(f"/bulletinview/issue/{bulletin.id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(m.Bulletin, bulletin.id).status == "issued"
    pdf = clients.web("hr").get(f"/bulletinview/pdf/{bulletin.id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_policy_library_search_and_attachments(clients, factory):
    factory.add(m.Policy(kind="policy", title="关于企业破产处置府院联动的实施意见", summary="职工安置与税费处理",
                         content="破产企业欠缴社会保险费的处理办法……", publish_date=dt.date(2026, 1, 5)))
    factory.add(m.Policy(kind="typical_case", title="某化工企业重整典型案例", summary="引入战略投资人",
                         content="重整计划执行完毕", publish_date=dt.date(2026, 2, 5)))
    factory.add(m.Policy(kind="guide", title="破产财产网络拍卖操作指引", content="不动产登记与税费"))
    tax = clients.api("tax")
    found = tax.get("/api/v1/policy/search?q=社会保险费").json
    assert [r["title"] for r in found["result"]] == ["关于企业破产处置府院联动的实施意见"]
    assert {r["title"] for r in tax.get("/api/v1/policy/search?q=税费").json["result"]} == {
        "关于企业破产处置府院联动的实施意见", "破产财产网络拍卖操作指引"}
    assert tax.get("/api/v1/policy/search?q=重整&kind=typical_case").json["count"] == 1
    page = clients.web("viewer").get("/policyview/library/?q=拍卖").get_data(as_text=True)
    assert "破产财产网络拍卖操作指引" in page and "某化工企业重整典型案例" not in page

    policy = db.session.query(m.Policy).filter_by(kind="typical_case").one()
    office = clients.api("office")
    up = office.post(f"/api/v1/policy/{policy.id}/attachments",
                     data={"file": (io.BytesIO(b"%PDF-1.4 test"), "典型案例全文.pdf")}, content_type="multipart/form-data")
    assert up.status_code == 200, up.json
    assert up.json["message"] == "附件已上传" and up.json["result"]["filename"] == "典型案例全文.pdf"
    bad = office.post(f"/api/v1/policy/{policy.id}/attachments",
                      data={"file": (io.BytesIO(b"MZ"), "run.exe")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "类型不允许" in bad.json["message"]
    assert tax.post(f"/api/v1/policy/{policy.id}/attachments",
                    data={"file": (io.BytesIO(b"x"), "a.pdf")}, content_type="multipart/form-data").status_code == 403
    listed = tax.get(f"/api/v1/policy/{policy.id}/attachments").json["result"]
    assert [a["filename"] for a in listed] == ["典型案例全文.pdf"]
    got = tax.get(listed[0]["url"])
    assert got.status_code == 200 and got.data == b"%PDF-1.4 test"
    page = clients.web("hr").get(f"/policyview/show/{policy.id}").get_data(as_text=True)
    assert "典型案例全文.pdf" in page and "上传附件" not in page
    assert clients.web("hr").get(f"/policyview/file/{listed[0]['id']}").data == b"%PDF-1.4 test"
    assert clients.web("hr").get("/policyview/file/999999").status_code == 404

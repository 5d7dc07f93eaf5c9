"""重大敏感案件台账, case export/import, progress entries: scope per role, round trip, all-or-nothing import."""
from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

import pdfplumber
from openpyxl import load_workbook
from sqlalchemy import event

from app import models as m
from app.extensions import db
from app.services.case_import import CASE_COLUMNS, case_values
from app.services.excel_rows import write_workbook
from app.services.identifiers import make_valid_credit_code


RNG = random.Random(5)
CODES = [make_valid_credit_code(RNG) for _ in range(10)]
PAST, FUTURE = dt.date(2020, 1, 10), dt.date(2099, 12, 31)


def _ledger_data(factory):
    """A: major, a tax matter (overdue) and an hr matter (open); B: major, hr progress;
    C: not major, tax matter; D: major, no unit involved."""
    a = factory.case(case_number="（2026）晋0829破101号", enterprise_name="甲矿业有限公司", is_major_sensitive=True,
                     monitoring_points="职工安置", credit_code=CODES[0], risk_level="高")
    b = factory.case(case_number="（2026）晋0829破102号", enterprise_name="乙建材有限公司", is_major_sensitive=True,
                     credit_code=CODES[1])
    c = factory.case(case_number="（2026）晋0829破103号", enterprise_name="丙食品有限公司", credit_code=CODES[2])
    d = factory.case(case_number="（2026）晋0829破104号", enterprise_name="丁化工有限公司", is_major_sensitive=True,
                     credit_code=CODES[3], risk_level="重大")
    factory.matter(lead="县税务局", case=a, assigned_date=dt.date(2020, 1, 1), deadline=PAST, title="税务事项")
    factory.matter(lead="县人社局", case=a, assigned_date=dt.date(2020, 1, 1), deadline=FUTURE, title="人社事项")
    factory.matter(lead="县税务局", case=c, deadline=FUTURE)
    factory.matter(lead="县税务局", case=d, status="closed", deadline=PAST)  # closed: in tax's scope, not open
    factory.add(m.CaseProgress(case=b, entry_date=dt.date(2026, 3, 5), content="职工安置方案已报县政府",
                               unit=factory.unit("县人社局")))
    factory.add(m.CaseProgress(case=a, entry_date=dt.date(2026, 2, 1), content="第一次债权人会议召开", stage="creditors_meeting"))
    factory.add(m.CaseProgress(case=a, entry_date=dt.date(2026, 3, 1), content="财产变价方案表决通过"))
    return a, b, c, d


def test_ledger_scope_per_role(clients, factory):
    a, b, c, d = _ledger_data(factory)
    expect = {"office": {a.id, b.id, d.id}, "convener": {a.id, b.id, d.id}, "viewer": {a.id, b.id, d.id},
              "tax": {a.id, d.id}, "hr": {a.id, b.id}}
    for user, ids in expect.items():
        res = clients.api(user).get("/api/v1/case/ledger")
        assert res.status_code == 200, (user, res.json)
        assert {r["id"] for r in res.json["result"]} == ids, user
        page = clients.web(user).get("/caseview/ledger/").get_data(as_text=True)
        for case in (a, b, c, d):
            assert (case.case_number in page) == (case.id in ids), (user, case.case_number)
    # counts: office sees both of A's open matters, tax only its own (and it is overdue)
    office_rows = {r["id"]: r for r in clients.api("office").get("/api/v1/case/ledger").json["result"]}
    assert (office_rows[a.id]["open_matters"], office_rows[a.id]["overdue_matters"]) == (2, 1)
    assert (office_rows[d.id]["open_matters"], office_rows[d.id]["overdue_matters"]) == (0, 0)
    assert office_rows[a.id]["last_progress"] == "财产变价方案表决通过"
    tax_row = {r["id"]: r for r in clients.api("tax").get("/api/v1/case/ledger").json["result"]}[a.id]
    assert (tax_row["open_matters"], tax_row["overdue_matters"]) == (1, 1)
    # another unit's case answers 404 on the page and the API
    assert clients.web("tax").get(f"/caseview/show/{b.id}").status_code == 404
    assert clients.api("tax").get(f"/api/v1/case/{b.id}").status_code == 404
    # the xlsx export follows the same scope
    wb = load_workbook(io.BytesIO(clients.api("tax").get("/api/v1/case/ledger.xlsx").data))
    numbers = {row[0] for row in wb.active.iter_rows(min_row=2, values_only=True)}
    assert numbers == {a.case_number, d.case_number}


def test_ledger_filters_sorting_and_constant_queries(app, clients, factory):
    from app.security.scope import current_user  # noqa: F401
    from app.services.ledger import LedgerFilters, ledger_rows

    a, b, c, d = _ledger_data(factory)
    api = clients.api("office")
    rows = api.get("/api/v1/case/ledger?sort=risk_level&dir=desc").json["result"]
    assert [r["id"] for r in rows] == [d.id, a.id, b.id]
    assert [r["id"] for r in api.get("/api/v1/case/ledger?overdue=1").json["result"]] == [a.id]
    assert [r["id"] for r in api.get("/api/v1/case/ledger?q=乙建材").json["result"]] == [b.id]
    assert {r["id"] for r in api.get("/api/v1/case/ledger?scope=all").json["result"]} == {a.id, b.id, c.id, d.id}
    assert [r["id"] for r in api.get("/api/v1/case/ledger?risk_level=未评估").json["result"]] == [b.id]

    office = factory.user("office")

    def count_queries(n_extra):
        for i in range(n_extra):
            case = factory.case(is_major_sensitive=True, credit_code=CODES[4])
            factory.matter(lead="县税务局", case=case, deadline=PAST)
            factory.add(m.CaseProgress(case=case, entry_date=dt.date(2026, 1, 1 + i), content="进展"))
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        engine = db.engine
        with app.app_context(), app.test_request_context():  # a context of its own, as each request has
            user = db.session.get(m.AppUser, office.id)
            assert [r.name for r in user.roles] == ["Office"]  # load the user before counting
            event.listen(engine, "before_cursor_execute", listener)
            try:
                result = ledger_rows(db.session, user, LedgerFilters())
            finally:
                event.remove(engine, "before_cursor_execute", listener)
        return len(result), len(statements)

    n1, q1 = count_queries(0)
    n2, q2 = count_queries(6)
    assert (n1, n2) == (3, 9)
    assert q1 == q2, "the ledger must not issue a query per case"


def test_ledger_pdf_text(clients, factory):
    a, b, c, d = _ledger_data(factory)
    res = clients.web("viewer").get("/caseview/ledger/pdf")
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    with pdfplumber.open(io.BytesIO(res.data)) as pdf:
        text = "".join((page.extract_text() or "") for page in pdf.pages).replace(" ", "").replace("\n", "")
    assert "重大敏感案件台账" in text
    assert "甲矿业有限公司" in text and "丁化工有限公司" in text and "丙食品有限公司" not in text
    assert "职工安置" in text and "2/1" in text
    api = clients.api("tax").get("/api/v1/case/ledger.pdf")
    assert api.status_code == 200 and api.data.startswith(b"%PDF")


def test_export_import_round_trip(app, clients, factory):
    """Export every case, empty the database, import the file: the same cases come back."""
    factory.case(case_number="（2025）晋0829破7号", enterprise_name="平陆县某某矿业有限公司", credit_code=CODES[5],
                 enterprise_type="state_holding", industry="采矿业", procedure_type="reorganization",
                 stage="creditors_meeting", application_date=dt.date(2025, 10, 8), acceptance_date=dt.date(2025, 11, 3),
                 administrator="山西某律师事务所", administrator_contact="0359-1234567", judge="张某",
                 debt_amount=Decimal("123456789.12"), asset_amount=Decimal("9876543.21"), employee_count=320,
                 wage_arrears=Decimal("850000.00"), social_insurance_arrears=Decimal("120000.50"),
                 creditor_count=415, is_major_sensitive=True, monitoring_points="职工安置；非法集资线索",
                 is_zombie=True, is_capacity_reduction=False, notes="多行\n备注")
    factory.case(case_number="（2026）晋0829破申2号", enterprise_name="某某食品厂", credit_code=None,
                 stage="application", acceptance_date=None, employee_count=None, procedure_type="settlement")
    factory.case(case_number="（2026）晋0829破9号", enterprise_name="=HYPERLINK(\"x\")公司", credit_code=CODES[6],
                 closing_date=dt.date(2026, 9, 1), stage="concluded", is_capacity_reduction=True)
    before = {c.case_number: case_values(c) for c in db.session.query(m.Case)}
    exported = clients.api("convener").get("/api/v1/case/export.xlsx")
    assert exported.status_code == 200
    headers = [c.value for c in next(load_workbook(io.BytesIO(exported.data)).active.iter_rows(max_row=1))]
    assert headers[:4] == ["案号", "企业名称", "案件阶段", "风险等级"]
    assert {c.header for c in CASE_COLUMNS} <= set(headers)

    db.session.query(m.Matter).delete()
    db.session.query(m.Case).delete()
    db.session.commit()
    res = clients.api("office").post("/api/v1/case/import",
                                     data={"file": (io.BytesIO(exported.data), "cases.xlsx")},
                                     content_type="multipart/form-data")
    assert res.status_code == 201, res.json
    assert len(res.json["ids"]) == 3
    db.session.expire_all()
    after = {c.case_number: case_values(c) for c in db.session.query(m.Case)}
    assert after == before


def _xlsx(rows):
    return write_workbook(CASE_COLUMNS, rows, sheet_title="破产案件")


GOOD = {"case_number": "（2026）晋0829破21号", "enterprise_name": "好企业一", "credit_code": CODES[7],
        "procedure_type": "破产清算", "stage": "已受理", "acceptance_date": dt.date(2026, 3, 1)}


def test_import_refuses_a_file_with_one_bad_row(clients, factory):
    rows = [GOOD,
            {**GOOD, "case_number": "(2026)晋0829破22号", "enterprise_name": "好企业二", "credit_code": CODES[8]},
            {**GOOD, "case_number": "（2026）晋0829破23号", "enterprise_name": "坏企业",
             "credit_code": CODES[9][:-1] + ("0" if CODES[9][-1] != "0" else "1")}]
    res = clients.api("office").post("/api/v1/case/import", data={"file": (io.BytesIO(_xlsx(rows)), "x.xlsx")},
                                     content_type="multipart/form-data")
    assert res.status_code == 422
    assert res.json["errors"] == [{"row": 4, "column": "统一社会信用代码",
                                   "message": "统一社会信用代码校验位错误（第18位与前17位不符，请核对是否抄错）"}]
    assert "未导入任何案件" in res.json["message"]
    assert db.session.query(m.Case).count() == 0


def test_import_reports_every_bad_row_and_field(clients, factory):
    factory.case(case_number="（2026）晋0829破30号", credit_code=CODES[0])
    rows = [
        {**GOOD, "case_number": "（2026）晋0829破30号"},                       # exists in the database
        {**GOOD, "case_number": "（2026）晋0829破31号", "stage": "审理中"},     # unknown option
        {**GOOD, "case_number": "（2026）晋0829破31号"},                       # duplicate within the file
        {**GOOD, "case_number": "2026晋0829破32号", "enterprise_name": None},  # bad format, missing name
        {**GOOD, "case_number": "（2026）晋0829破33号", "application_date": dt.date(2026, 4, 1)},  # accepted before applied
    ]
    office = clients.web("office")
    page = office.post("/caseview/import/", data={"file": (io.BytesIO(_xlsx(rows)), "台账.xlsx")},
                    content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "未导入任何案件" in html
    for text in ("第2行", "已存在", "第3行", "应为以下之一", "第4行", "与第3行的案号重复", "第5行", "企业名称",
                 "必填项不能为空", "案号应以括号内的四位年份开头", "第6行", "受理日期不能早于申请日期"):
        assert text in html, text
    assert db.session.query(m.Case).count() == 1


def test_import_permissions_and_template(clients, factory):
    template = clients.api("office").get("/api/v1/case/import-template.xlsx")
    assert template.status_code == 200
    wb = load_workbook(io.BytesIO(template.data))
    assert [c.value for c in wb.worksheets[0][1]] == [c.header for c in CASE_COLUMNS]
    assert wb.sheetnames[1] == "填写说明"
    body = {"file": (io.BytesIO(_xlsx([GOOD])), "x.xlsx")}
    for user in ("convener", "tax", "viewer"):
        res = clients.api(user).post("/api/v1/case/import", data=dict(body), content_type="multipart/form-data")
        assert res.status_code == 403, user
        body = {"file": (io.BytesIO(_xlsx([GOOD])), "x.xlsx")}
    assert clients.web("tax").get("/caseview/import/").status_code == 403
    assert db.session.query(m.Case).count() == 0
    ok = clients.web("office").post("/caseview/import/", data={"file": (io.BytesIO(_xlsx([GOOD])), "x.xlsx")},
                                    content_type="multipart/form-data")
    assert ok.status_code == 302
    assert db.session.query(m.Case).one().case_number == GOOD["case_number"]
    # a unit may export (can_export), but only the cases in its scope: not the one just imported
    export = clients.api("tax").get("/api/v1/case/export.xlsx")
    assert export.status_code == 200
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(export.data)).worksheets[0].iter_rows()]
    assert GOOD["case_number"] not in str(rows)
    assert GOOD["case_number"] in str([[c.value for c in row] for row in load_workbook(io.BytesIO(
        clients.api("office").get("/api/v1/case/export.xlsx").data)).worksheets[0].iter_rows()])


def test_units_add_progress_only_on_their_cases(clients, factory):
    a, b, c, d = _ledger_data(factory)
    tax = clients.api("tax")
    hr_unit = factory.unit("县人社局")
    res = tax.post("/api/v1/progress/", json={"case": a.id, "entry_date": "2026-03-10", "content": "欠税申报已完成",
                                              "unit": hr_unit.id})
    assert res.status_code == 201, res.json
    entry = db.session.get(m.CaseProgress, res.json["id"])
    assert entry.unit.name == "县税务局"  # the unit comes from the user, not the body
    before = db.session.query(m.CaseProgress).count()
    refused = tax.post("/api/v1/progress/", json={"case": b.id, "entry_date": "2026-03-10", "content": "越权"})
    assert refused.status_code == 422
    tax_web = clients.web("tax")
    page = tax_web.post("/caseprogressview/add", data={"case": str(b.id), "entry_date": "2026-03-10",
                                                   "content": "越权", "stage": ""})
    assert page.status_code in (200, 302)
    assert db.session.query(m.CaseProgress).count() == before
    # the form's case select is filled as the user types, from the unit's cases only
    form = " ".join(r["text"] for r in tax_web.get("/caseview/choices").get_json()["results"])
    assert a.case_number in form and b.case_number not in form
    # still outside tax's scope afterwards
    assert tax.get(f"/api/v1/case/{b.id}").status_code == 404
    ok = tax_web.post("/caseprogressview/add", data={"case": str(a.id), "entry_date": "2026-03-11",
                                                 "content": "网页报送", "stage": ""})
    assert ok.status_code == 302
    assert db.session.query(m.CaseProgress).filter_by(content="网页报送").one().stage is None


def test_office_api_post_creates_the_record(clients, factory):
    """An unrestricted role's POST must be saved (not only validated and echoed back)."""
    office = clients.api("office")
    case = office.post("/api/v1/case/", json={"case_number": "(2026)晋0829破77号", "enterprise_name": "接口登记公司",
                                              "procedure_type": "liquidation", "stage": "application",
                                              "enterprise_type": "private", "credit_code": CODES[4]})
    assert case.status_code == 201 and case.json["id"], case.json
    assert db.session.get(m.Case, case.json["id"]).case_number == "（2026）晋0829破77号"
    policy = office.post("/api/v1/policy/", json={"kind": "guide", "title": "债权申报操作指引"})
    assert policy.status_code == 201 and db.session.get(m.Policy, policy.json["id"]).title == "债权申报操作指引"
    bad = office.post("/api/v1/case/", json={"case_number": "（2026）晋0829破78号", "enterprise_name": "错码公司",
                                             "procedure_type": "liquidation", "stage": "application",
                                             "enterprise_type": "private", "credit_code": "91350100M000100Y44"})
    assert bad.status_code == 422 and "统一社会信用代码" in bad.json["message"]
    assert db.session.query(m.Case).count() == 1

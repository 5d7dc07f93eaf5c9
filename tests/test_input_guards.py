"""Malformed input is the client's error in Chinese (400/404/413), never a server error (issue 11)."""
import pytest

from app.extensions import db
from app.services import excel_rows
from app.services.excel_rows import ColumnSpec, read_rows
from tests.test_excel_rows import _xlsx

BIG_KEY = "9999999999999999999"  # beyond 64 bits: no database can bind it


@pytest.mark.parametrize("query", ["(" * 3000 + ")" * 3000, "(a:" * 50 + "1" + ")" * 50, "5.7e16", "!(1,2)",
                                   "(page:0", "'text'"])
def test_a_query_that_cannot_be_a_filter_is_400(clients, query):
    response = clients.api("office").get("/api/v1/case/", query_string={"q": query})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "查询参数 q" in response.json["message"]


def test_an_ordinary_query_still_answers(clients, factory):
    factory.case()
    response = clients.api("office").get("/api/v1/case/", query_string={"q": "(page:0,page_size:5)"})
    assert response.status_code == 200 and response.json["count"] >= 1


def test_a_deep_json_body_is_400_and_writes_nothing(clients, factory):
    from app import models as m

    before = db.session.query(m.Case).count()
    body = "[" * 100_000 + "]" * 100_000
    response = clients.api("office").post("/api/v1/case/", data=body, content_type="application/json")
    assert response.status_code == 400 and response.json["message"] == "请求体嵌套过深"
    assert db.session.query(m.Case).count() == before


def test_nul_characters_are_400_on_every_path_and_write_nothing(app, clients, factory):
    """No database stores NUL (PostgreSQL refuses it): a body, a form or a query holding one is the
    client's error, said in Chinese, on both databases alike."""
    from app import models as m

    meeting = {"kind": "joint", "title": "含\u0000字符的会议", "start_at": "2026-03-10T09:00:00"}
    api = clients.api("office").post("/api/v1/meeting/", json=meeting)
    assert api.status_code == 400 and "NUL" in api.json["message"], api.json
    nested = clients.api("office").post("/api/v1/item/", json={"title": "事项", "co_units": [1], "x": {"\u0000": 1}})
    assert nested.status_code == 400
    page = clients.web("office").post("/meeting/add", data={**meeting, "start_at": "2026-03-10 09:00"})
    assert page.status_code == 400 and "NUL" in page.get_data(as_text=True)
    query = clients.api("office").get("/api/v1/case/ledger", query_string={"q": "平陆\x00"})
    assert query.status_code == 400
    assert db.session.query(m.Meeting).count() == 0
    # an ordinary body with an escaped backslash is not mistaken for one
    fine = clients.api("office").post("/api/v1/meeting/", json={**meeting, "title": "路径 C:\\u0000 不是 NUL"})
    assert fine.status_code == 201, fine.json


def test_a_body_beyond_the_upload_limit_is_413_in_chinese(app, clients):
    too_big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = clients.api("office").post("/api/v1/case/", data=too_big, content_type="application/json")
    assert response.status_code == 413 and "过大" in response.json["message"]


@pytest.mark.parametrize("url", [f"/api/v1/case/{BIG_KEY}", f"/caseview/show/{BIG_KEY}", "/api/v1/case/0",
                                 f"/api/v1/item/{BIG_KEY}"])
def test_a_key_no_row_can_have_is_404(clients, url):
    client = clients.api("office") if url.startswith("/api/") else clients.web("office")
    assert client.get(url).status_code == 404


def test_the_ledger_search_box_is_text_not_rison(clients):
    # pages use q as free text; only the API reads it as rison
    web = clients.web("office")
    assert web.get("/caseview/ledger/", query_string={"q": "((("}).status_code == 200
    assert web.get("/caseview/choices", query_string={"q": "((("}).status_code == 200


def test_an_import_stops_reading_after_a_long_run_of_blank_rows():
    columns = [ColumnSpec("name", "名称", required=True)]
    blank_rows = [[" "]] * (excel_rows.MAX_BLANK_RUN + 5)
    data = _xlsx([["甲公司"], *blank_rows, ["乙公司"]], ["名称"])
    rows, errors = read_rows(data, columns)
    assert [r["name"] for r in rows] == ["甲公司"] and not errors
    # blank rows inside the data are skipped, not taken as its end
    rows, errors = read_rows(_xlsx([["甲公司"], [" "], [" "], ["乙公司"]], ["名称"]), columns)
    assert [r["name"] for r in rows] == ["甲公司", "乙公司"]



def test_endpoints_of_our_own_read_q_as_text(clients):
    api = clients.api("office")
    assert api.get("/api/v1/case/ledger", query_string={"q": "((("}).status_code == 200
    assert api.get("/api/v1/policy/search", query_string={"q": "社保(欠费"}).status_code == 200

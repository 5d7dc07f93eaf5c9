"""`_info` says what the server enforces: required columns, allowed values, Chinese labels (issue 15)."""
import pytest

from app.views.base import ScopedApi


def _apis(app):
    return [view for view in app.appbuilder.baseviews if isinstance(view, ScopedApi)]


def test_every_api_describes_its_columns_in_chinese_without_the_catalogue_header(app, clients):
    office = clients.api("office")
    checked, english = 0, []
    for api in _apis(app):
        info = office.get(f"/api/v1/{api.resource_name}/_info")
        if info.status_code != 200:
            continue
        for section in ("add_columns", "edit_columns"):
            for column in info.json.get(section, []):
                assert "Project-Id-Version" not in column["description"], (api.resource_name, column)
                if column["label"].isascii():
                    english.append((api.resource_name, column["name"], column["label"]))
                checked += 1
    assert checked > 100 and not english, english


def test_required_and_allowed_values_match_what_the_server_refuses(clients):
    office = clients.api("office")
    columns = {c["name"]: c for c in office.get("/api/v1/meeting/_info").json["add_columns"]}
    assert columns["kind"]["required"] and columns["start_at"]["required"]
    assert columns["kind"]["enum"] == ["joint", "special"]
    missing = office.post("/api/v1/meeting/", json={"title": "第三次联席会议"})
    assert missing.status_code == 422
    assert set(missing.json["errors"]) == {"kind", "start_at"}
    wrong = office.post("/api/v1/meeting/", json={"title": "会议", "kind": "plenary", "start_at": "2026-12-10 09:00:00"})
    assert wrong.status_code == 422 and "可选" in wrong.json["errors"]["kind"][0]
    # what `_info` calls complete is accepted
    body = {name: None for name in ()}
    body.update(title="第三次联席会议", kind=columns["kind"]["enum"][0], start_at="2026-12-10 09:00:00")
    created = office.post("/api/v1/meeting/", json=body)
    assert created.status_code == 201, created.json


@pytest.mark.parametrize("resource,column", [("item", "source"), ("proposal", "kind"), ("bulletin", "kind")])
def test_coded_columns_list_their_values(clients, resource, column):
    info = clients.api("office").get(f"/api/v1/{resource}/_info")
    assert info.status_code == 200
    columns = {c["name"]: c for c in info.json["add_columns"]}
    assert column in columns and columns[column]["enum"], columns.get(column)
    assert all(not v["value"].isascii() for v in columns[column]["values"])

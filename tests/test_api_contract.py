"""`_info` says what the server enforces: required columns, allowed values, Chinese labels (issue 15)."""
import pytest

from app.views.base import ScopedApi
from tests.test_workflow_steps import _spec as _built_spec  # the spec as FAB builds it, outside the cache


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


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
@pytest.mark.parametrize("q, status", [("(page:0,page_size:5)", 200), ("(page:'one')", 400),
                                       ("(columns:!(title),order_column:title,order_direction:up)", 400),
                                       ("(keys:!(no_such_key))", 400), ("(keys:!(list_columns))", 200)])
def test_the_q_argument_is_checked_against_its_schema_on_every_read(clients, q, status):
    office = clients.api("office")
    answers = [office.get(f"/api/v1/meeting/?q={q}") for _ in range(2)]  # the second on the compiled validator
    assert [a.status_code for a in answers] == [status, status]
    if status == 400:
        assert answers[0].json == answers[1].json and answers[0].json["message"] == "请求参数不正确"


def test_compiled_validation_raises_what_jsonschema_raises():
    import jsonschema
    from flask_appbuilder.api.schemas import get_list_schema

    from app.views.rison import CompiledValidation

    compiled = CompiledValidation()
    for instance in ({"page": "x"}, {"order_direction": "up"}, {"filters": [{"col": 1}]}, {"page": 1, "page_size": 5}):
        try:
            jsonschema.validate(instance=instance, schema=get_list_schema)
            expected = None
        except jsonschema.ValidationError as exc:
            expected = exc.message
        try:
            compiled.validate(instance=instance, schema=get_list_schema)
            got = None
        except compiled.ValidationError as exc:
            got = exc.message
        assert got == expected
    assert len(compiled._validators) == 1


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_docstrings_parsed_once_give_fabs_spec(app, monkeypatch):
    import apispec.yaml_utils
    import flask_appbuilder.api as fab_api
    import yaml

    from app.views.openapi import ParsedOnce

    assert isinstance(fab_api.yaml, ParsedOnce) and fab_api.yaml_utils is fab_api.yaml
    ours = _built_spec(app)
    ParsedOnce._parsed.cache_clear()
    again = _built_spec(app)
    assert again == ours and ParsedOnce._parsed.cache_info().currsize > 50
    assert ParsedOnce._parsed.cache_info().hits > ParsedOnce._parsed.cache_info().currsize  # FAB asks twice and more
    monkeypatch.setattr(fab_api, "yaml", yaml)
    monkeypatch.setattr(fab_api, "yaml_utils", apispec.yaml_utils)
    assert _built_spec(app) == ours  # FAB's own parsing, every time in pure Python: the same document
    assert ours["paths"]["/api/v1/item/{pk}/extend"]["post"]["security"] == [{"jwt": []}, {"api_key": []}]


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_the_spec_is_built_once_and_each_user_gets_the_same(app, clients, monkeypatch):
    built = []
    original = ScopedApi.add_api_spec
    monkeypatch.setattr(ScopedApi, "add_api_spec", lambda self, spec: built.append(self) or original(self, spec))
    app.extensions.pop("fyld_openapi_specs", None)
    first = clients.api("office").get("/api/v1/_openapi")
    assert first.status_code == 200 and len(built) == len(_apis(app))
    again = clients.api("tax").get("/api/v1/_openapi")
    assert again.status_code == 200 and len(built) == len(_apis(app))  # not built a second time
    assert again.json == first.json and first.json["servers"] == [{"url": "http://localhost/"}]
    assert "/api/v1/item/{pk}/reply" in first.json["paths"]
    assert clients.api("office").get("/api/v2/_openapi").status_code == 404
    assert clients.web("admin").get("/swagger/v1").status_code == 200
    assert clients.web("office").get("/swagger/v1").status_code == 403

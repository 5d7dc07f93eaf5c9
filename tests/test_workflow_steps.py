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
    ({"content": "含\x00字符"}, "函复内容含有无效字符"),
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

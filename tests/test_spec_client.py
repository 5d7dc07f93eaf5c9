"""A client that knows only the OpenAPI spec: it finds each operation there, builds each body from
the operation's schema and `_info`, and checks each answer against the schema the spec declares.
It creates a meeting and a matter, sends, signs, replies and closes it — what an integrator's
generated client would do."""
from __future__ import annotations

import copy

import jsonschema
import pytest

from tests.supervision_support import frozen  # noqa: F401


def _nullable_to_json_schema(node):
    """OpenAPI 3.0's `nullable` in JSON Schema terms, so a standard validator reads the spec."""
    if isinstance(node, dict):
        node = {key: _nullable_to_json_schema(value) for key, value in node.items()}
        if node.pop("nullable", False):
            if "type" in node:
                node["type"] = [node["type"], "null"] if isinstance(node["type"], str) else [*node["type"], "null"]
            elif "$ref" in node or "allOf" in node:
                node = {"anyOf": [node, {"type": "null"}]}
        return node
    if isinstance(node, list):
        return [_nullable_to_json_schema(value) for value in node]
    return node


class SpecClient:
    def __init__(self, spec: dict, http):
        self.spec = _nullable_to_json_schema(copy.deepcopy(spec))
        self.http = http
        self.calls: list[str] = []

    def _operation(self, method: str, template: str) -> dict:
        assert template in self.spec["paths"], f"{template} is not in the spec"
        operation = self.spec["paths"][template].get(method)
        assert operation is not None, f"{method.upper()} {template} is not in the spec"
        return operation

    def _schema(self, schema: dict) -> dict:
        return {**schema, "components": self.spec["components"]}

    def validate(self, instance, schema: dict) -> None:
        jsonschema.Draft7Validator(self._schema(schema)).validate(instance)

    def body_schema(self, method: str, template: str) -> dict:
        operation = self._operation(method, template)
        return operation["requestBody"]["content"]["application/json"]["schema"]

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            schema = self.spec["components"]["schemas"][name]
        return schema

    def call(self, method: str, template: str, expect: int, body: dict | None = None, **path) -> dict:
        operation = self._operation(method, template)
        if body is not None:
            self.validate(body, self.body_schema(method, template))
        url = template.format(**path)
        response = getattr(self.http, method)(url, json=body) if body is not None else getattr(self.http, method)(url)
        self.calls.append(f"{method.upper()} {template} → {response.status_code}")
        assert response.status_code == expect, (url, response.get_json())
        declared = operation["responses"].get(str(expect))
        assert declared is not None, f"{expect} is not declared for {method.upper()} {template}"
        declared = self._response(declared)
        schema = declared.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            self.validate(response.get_json(), schema)
        return response.get_json()

    def _response(self, declared: dict) -> dict:
        if "$ref" in declared:
            return self.spec["components"]["responses"][declared["$ref"].rsplit("/", 1)[1]]
        return declared

    def choices(self, resource: str, column: str) -> dict[str, object]:
        """The values `_info` offers for an add column: {text: id}."""
        info = self.call("get", f"/api/v1/{resource}/_info", 200)
        field = next(f for f in info["add_columns"] if f["name"] == column)
        return {str(v["value"]): v["id"] for v in field.get("values", [])}


def _fill(client: SpecClient, schema: dict, known: dict) -> dict:
    """A body with every required property, taking values from `known` or the schema's enum."""
    schema = client.resolve(schema)
    body = {}
    for name in schema.get("required", []):
        prop = client.resolve(schema["properties"][name])
        if name in known:
            body[name] = known[name]
        elif "enum" in prop:
            body[name] = prop["enum"][0]
        else:
            raise AssertionError(f"the spec requires {name} and the test has no value for it")
    return {**body, **{k: v for k, v in known.items() if k in schema["properties"]}}


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_generated_client_walks_a_matter_to_closed(app, clients, frozen):
    office_http, tax_http = clients.api("office"), clients.api("tax")
    spec = office_http.get("/api/v1/_openapi")
    assert spec.status_code == 200, spec.get_json()
    office, tax = SpecClient(spec.get_json(), office_http), SpecClient(spec.get_json(), tax_http)

    meeting_body = _fill(office, office.body_schema("post", "/api/v1/meeting/"),
                         {"title": "2026年第一次府院联席会议", "start_at": "2026-03-10T09:00:00"})
    meeting = office.call("post", "/api/v1/meeting/", 201, meeting_body)
    assert meeting["id"]

    units = office.choices("item", "lead_unit")
    matter_body = _fill(office, office.body_schema("post", "/api/v1/item/"),
                        {"title": "关于协助申报税收债权的函", "lead_unit": units["县税务局"],
                         "deadline": "2026-03-20", "content": "请依法申报税收债权。",
                         "co_units": [units["县人社局"]]})
    pk = office.call("post", "/api/v1/item/", 201, matter_body)["id"]

    step = "/api/v1/item/{pk}/"
    sent = office.call("post", step + "send", 200, {}, pk=pk)
    assert sent["result"]["status"] == "sent" and sent["result"]["letter_number"]
    assert tax.call("post", step + "sign", 200, {}, pk=pk)["result"]["status"] == "signed"
    reply = _fill(tax, tax.body_schema("post", step + "reply"), {"content": "已依法申报，债权金额见附表。"})
    assert tax.call("post", step + "reply", 200, reply, pk=pk)["result"]["status"] == "replied"
    closed = office.call("post", step + "close", 200, {}, pk=pk)
    assert closed["result"]["status"] == "closed"
    assert [(a["unit"], a["role"], a["status"]) for a in closed["result"]["assignments"]] == [
        ("县税务局", "lead", "replied"), ("县人社局", "co", "pending")]

    # a refusal is declared too: closing again is 409 with the Refusal schema
    office.call("post", step + "close", 409, {}, pk=pk)
    shown = tax.call("get", "/api/v1/item/{pk}", 200, pk=pk)
    assert shown["result"]["status"] == "closed"

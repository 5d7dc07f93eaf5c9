"""The API keeps the promises of its own OpenAPI spec (issue 15), checked by schemathesis.

The spec is read the way an integrator reads it (`GET /api/v1/_openapi` with their token) and every
generic resource is exercised with data the spec calls valid: list, record and `_info` of every
resource, adds and edits of a handful, and every workflow step (`POST /<resource>/<id>/<step>`), as
the office and as a member unit (税务局). Each answer must be no server error, a status code the spec
declares, a body matching the declared schema, and — except for the steps, which the record's state
may refuse — no 400/422 for data the spec allows (schemathesis's `positive_data_acceptance`).

Bounded for `make test`: a few derandomized examples per operation (the same requests every run),
no shrinking, SQLite only (about 25 s a user on CI's two cores; a second backend would double it) —
the generated requests exercise the views, the spec and the input guards, which do not depend on the
database; the databases' own refusals have their tests (test_input_guards, test_faults).
"""
from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (positive_data_acceptance, response_schema_conformance,
                                               status_code_conformance)

from app.views.base import ScopedApi

EXAMPLES = 4
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, positive_data_acceptance]
# A workflow step may be refused for the record's state (409) or a related record that does not exist
# or is hidden (422), which no schema can say: its answers must still be declared and conform.
STEP_CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Adds and edits on a handful of resources (workflow steps have their own body schemas and tests).
WRITTEN = ("meeting", "item", "progress", "policy", "decision")


def _dataset(factory) -> dict[str, int]:
    """A few records of each main kind, some of them the tax bureau's, and their keys."""
    from app import models as m

    cases = [factory.case() for _ in range(2)]
    matters = [factory.matter(lead="县税务局", case=cases[0]), factory.matter(lead="县人社局", co=("县税务局",)),
               factory.matter(lead="县人社局")]
    meetings = [factory.meeting(units=("县税务局",)), factory.meeting(kind="special")]
    factory.minutes(meetings[0], distributed_to=("县税务局",))
    factory.add(m.CaseProgress(case=cases[0], unit=factory.unit("县税务局"), entry_date=dt.date(2026, 3, 2),
                               content="已核对欠税情况。"))
    return {"case": cases[0].id, "item": matters[0].id, "meeting": meetings[0].id}


def _operations(schema, resources):
    for result in schema.get_all_operations():
        operation = result.ok()
        resource = operation.path.split("/")[3]
        if resource not in resources:
            continue
        tail = operation.path.split("/", 4)[4] if operation.path.count("/") > 3 else ""
        if operation.method.upper() == "GET" and tail in ("", "_info", "{pk}"):
            yield operation
        elif operation.method.upper() in ("POST", "PUT") and resource in WRITTEN and tail in ("", "{pk}"):
            yield operation
        elif operation.method.upper() == "POST" and tail.startswith("{pk}/"):
            yield operation  # a workflow step (send, sign, issue, approve …)


def _choices(api, resource: str) -> dict[str, list[int]]:
    """The related records this user may name in a body, as `_info` offers them (a matter's
    co-units are chosen from the same units as its lead unit)."""
    info = api.get(f"/api/v1/{resource}/_info").json or {}
    choices = {column["name"]: [v["id"] for v in column["values"]]
               for column in info.get("add_columns", []) + info.get("edit_columns", [])
               if "count" in column and column.get("values")}
    if "lead_unit" in choices:
        choices["co_units"] = choices["lead_unit"]
    return choices


# Dates whose order the rules require, by resource (a matter's deadline not before its assigned date)
DATE_ORDER = {"item": (("assigned_date", "deadline"),)}


def _with_existing_references(choices, resource: str):
    """What no schema can say: a related record must exist and be in the user's scope (a generated
    key is replaced by one `_info` offers) and two dates may have to be in order (they are swapped).
    Everything else stays as generated."""
    def fix(case):
        if isinstance(case.body, dict):
            for name, ids in choices.items():
                value = case.body.get(name)
                if isinstance(value, list):
                    case.body[name] = ids[: len(value)]
                elif value is not None:
                    case.body[name] = ids[value % len(ids)]
            for first, then in DATE_ORDER.get(resource, ()):
                if isinstance(case.body.get(then), str) and case.body.get(first) is None:
                    case.body[first] = case.body[then]  # absent, the first date is today
                if isinstance(case.body.get(first), str) and isinstance(case.body.get(then), str):
                    if case.body[then] < case.body[first]:
                        case.body[first], case.body[then] = case.body[then], case.body[first]
        return case
    return fix


def _exercise(app, operation, headers, known_pk, choices):
    failures = {}
    strategy = operation.as_strategy()
    if "{pk}" in operation.path and known_pk:
        strategy = st.one_of(strategy, operation.as_strategy(path_parameters={"pk": known_pk}))
    if operation.method.upper() in ("POST", "PUT"):
        strategy = strategy.map(_with_existing_references(choices, operation.path.split("/")[3]))

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        response = case.call(app=app, headers=headers)
        checks = STEP_CHECKS if "{pk}/" in operation.path else CHECKS
        try:
            case.validate_response(response, checks=checks, headers=headers, transport_kwargs={"app": app})
        except (Failure, FailureGroup) as exc:  # keep going: one report of every kind of failure
            found = exc.exceptions if isinstance(exc, FailureGroup) else (exc,)
            for failure in found:
                key = (operation.label, failure.code)
                if key not in failures:
                    failures[key] = f"{operation.label} [{response.status_code}] {failure.title}: {failure.message}\n{case.as_curl_command()}"

    run()
    return failures


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
@pytest.mark.parametrize("username", ["office", "tax"])
def test_the_generic_api_keeps_the_promises_of_its_spec(app, clients, factory, username):
    keys = _dataset(factory)
    api = clients.api(username)
    spec = api.get("/api/v1/_openapi")
    assert spec.status_code == 200, spec.get_data(as_text=True)
    schema = schemathesis.openapi.from_dict(spec.json, config=SchemathesisConfig())
    resources = {view.resource_name for view in app.appbuilder.baseviews if isinstance(view, ScopedApi)}
    failures, choices = {}, {}
    for operation in _operations(schema, resources):
        resource = operation.path.split("/")[3]
        if resource in WRITTEN and resource not in choices:  # once per resource, not per operation
            choices[resource] = _choices(api, resource)
        failures.update(_exercise(app, operation, api.headers, keys.get(resource), choices.get(resource, {})))
    assert not failures, "\n\n".join(failures.values()) + f"\n\n({len(failures)} kinds of failure)"

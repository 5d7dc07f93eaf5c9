"""Role × resource × action, through pages and the API, and unit A guessing unit B's records.

The expected matrix below is the specification (DESIGN.md "Who uses it"); the app must match it.
L list, S show, A add, E edit, D delete. Roles: Admin, Office, Convener, UnitStaff (tax), Viewer, and the
two of issue 14: Judge (承办法官) and Trustee (破产管理人, outside the government: nothing confidential).
"""
from __future__ import annotations

import pytest

ROLE_USERS = {"Admin": "admin", "Office": "office", "Convener": "convener", "UnitStaff": "tax", "Viewer": "viewer",
              "Judge": "judge", "Trustee": "trustee"}
MATRIX = {
    # api resource: (page view route, {role: allowed actions})
    "unit": ("unitview", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "LS", "Viewer": "LS", "Judge": "LS", "Trustee": "LS"}),
    "case": ("caseview", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "LS", "Viewer": "LS", "Judge": "LS", "Trustee": "LS"}),
    "item": ("matter", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "LS", "Viewer": "LS", "Judge": "LS", "Trustee": "LS"}),
    "meeting": ("meeting", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LSAE", "UnitStaff": "LS", "Viewer": "LS", "Judge": "LS", "Trustee": ""}),
    "minutes": ("minutes", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "LS", "Viewer": "LS", "Judge": "LS", "Trustee": ""}),
    "decision": ("decision", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "LS", "Viewer": "LS", "Judge": "LS", "Trustee": ""}),
    "bulletin": ("bulletinview", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "LS", "Viewer": "LS", "Judge": "", "Trustee": ""}),
    "policy": ("policyview", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "LS", "Viewer": "LS", "Judge": "LS", "Trustee": "LS"}),
    "assessment": ("assessmentview", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "", "Viewer": "LS", "Judge": "LS", "Trustee": ""}),
    "plan": ("planview", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "LS", "Viewer": "LS", "Judge": "LS", "Trustee": ""}),
    "research": ("research", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "LS", "Viewer": "LS", "Judge": "", "Trustee": ""}),
    "proposal": ("proposal", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "LS", "Viewer": "LS", "Judge": "", "Trustee": ""}),
    "group": ("group", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "LS", "Viewer": "LS", "Judge": "LS", "Trustee": ""}),
    "evaluation": ("evaluation", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "LS", "Viewer": "LS", "Judge": "", "Trustee": ""}),
    "clue": ("clue", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "LSA", "Viewer": "", "Judge": "", "Trustee": ""}),
    "audit": ("audit", {"Admin": "LS", "Office": "LS", "Convener": "", "UnitStaff": "", "Viewer": "", "Judge": "", "Trustee": ""}),
    # issue 14: requests are filed and amended by their requesters, decided by the office
    "request": ("request", {"Admin": "LSAED", "Office": "LS", "Convener": "LS", "UnitStaff": "", "Viewer": "LS",
                            "Judge": "LSAE", "Trustee": "LSAE"}),
    "checkline": ("checkline", {"Admin": "LSAED", "Office": "LS", "Convener": "LS", "UnitStaff": "", "Viewer": "LS",
                                "Judge": "LSAED", "Trustee": "LSAED"}),
    "checkitem": ("checkitem", {"Admin": "LSAED", "Office": "LS", "Convener": "LS", "UnitStaff": "LS", "Viewer": "LS",
                                "Judge": "LS", "Trustee": "LS"}),
    "caseassignment": ("caseassignment", {"Admin": "LSAED", "Office": "LSAED", "Convener": "LS", "UnitStaff": "",
                                          "Viewer": "LS", "Judge": "LS", "Trustee": "LS"}),
}
CASES = [(resource, role) for resource in MATRIX for role in ROLE_USERS]
READ_ONLY = {"audit"}  # no add / edit / delete route at all, for anybody: 405


def refused(resource: str) -> int:
    return 405 if resource in READ_ONLY else 403


def rows_of(app, resource: str) -> int:
    """How many rows the model behind the API resource holds."""
    from app.extensions import db

    api = next(v for v in app.appbuilder.baseviews if getattr(v, "resource_name", None) == resource)
    with app.app_context():
        return db.session.query(api.datamodel.obj).count()


# The role × resource matrix is FAB's permission tables, the same on both databases: it runs on SQLite;
# PostgreSQL runs the scope tests below (unit A guessing unit B's records), where the SQL differs.
@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
@pytest.mark.parametrize("resource,role", CASES)
def test_api_list_and_write_permissions(app, clients, resource, role):
    allowed = MATRIX[resource][1][role]
    api = clients.api(ROLE_USERS[role])
    listed = api.get(f"/api/v1/{resource}/")
    assert listed.status_code == (200 if "L" in allowed else 403), listed.status_code
    before = rows_of(app, resource)
    created = api.post(f"/api/v1/{resource}/", json={})
    # with the permission: the empty body is refused as invalid; without: refused before reading it
    assert created.status_code == (422 if "A" in allowed else refused(resource)), created.get_data(as_text=True)
    for method, letter in (("put", "E"), ("delete", "D")):
        response = getattr(api, method)(f"/api/v1/{resource}/999999", json={})
        # with the permission: the (absent) record is 404; without: 403 (405 for read-only resources)
        assert response.status_code == (404 if letter in allowed else refused(resource)), (method, response.status_code)
    assert rows_of(app, resource) == before  # nothing written either way


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
@pytest.mark.parametrize("resource,role", CASES)
def test_page_list_and_add_permissions(app, clients, resource, role):
    route, expected = MATRIX[resource]
    allowed = expected[role]
    web = clients.web(ROLE_USERS[role])
    listed = web.get(f"/{route}/list/")
    assert listed.status_code == (200 if "L" in allowed else 403), listed.status_code
    add = web.get(f"/{route}/add")
    if "A" in allowed:
        if route == "bulletinview":  # the list's + opens the data-driven 起草 page (issue 13, 10)
            assert add.status_code == 302 and add.headers["Location"].endswith("/bulletinview/draft/")
            add = web.get("/bulletinview/draft/")
        assert add.status_code == 200
    else:
        assert add.status_code == (404 if resource in READ_ONLY else 403), add.status_code


def test_viewer_and_convener_cannot_change_anything_through_pages(app, clients, factory):
    case = factory.case()
    for username in ("viewer", "convener"):
        web = clients.web(username)
        before = case.enterprise_name
        response = web.post(f"/caseview/edit/{case.id}", data={"enterprise_name": "改名公司"})
        assert response.status_code == 403, (username, response.status_code)
        response = web.post(f"/caseview/delete/{case.id}")
        assert response.status_code == 403, (username, response.status_code)
        from app.extensions import db
        from app.models import Case

        db.session.expire_all()
        assert db.session.get(Case, case.id).enterprise_name == before


# --- unit A guessing unit B's records ----------------------------------------------------------------

@pytest.fixture
def two_units(factory):
    """A matter and a case of 县人社局 (hr) that 县税务局 (tax) must never see, and tax's own."""
    hr_case = factory.case()
    tax_case = factory.case()
    hr_matter = factory.matter(lead="县人社局", case=hr_case)
    tax_matter = factory.matter(lead="县税务局", case=tax_case)
    return {"hr_case": hr_case.id, "tax_case": tax_case.id, "hr_matter": hr_matter.id, "tax_matter": tax_matter.id}


def test_unit_sees_own_matter_not_other(clients, two_units):
    web = clients.web("tax")
    assert web.get(f"/matter/show/{two_units['tax_matter']}").status_code == 200
    assert web.get(f"/matter/show/{two_units['hr_matter']}").status_code == 404
    api = clients.api("tax")
    assert api.get(f"/api/v1/item/{two_units['tax_matter']}").status_code == 200
    assert api.get(f"/api/v1/item/{two_units['hr_matter']}").status_code == 404
    ids = [row["id"] for row in api.get("/api/v1/item/").json["result"]]
    assert two_units["tax_matter"] in ids and two_units["hr_matter"] not in ids
    html = web.get("/matter/list/").get_data(as_text=True)
    assert f"/matter/show/{two_units['hr_matter']}" not in html


def test_unit_cases_scope(clients, two_units):
    api = clients.api("tax")
    assert api.get(f"/api/v1/case/{two_units['tax_case']}").status_code == 200
    assert api.get(f"/api/v1/case/{two_units['hr_case']}").status_code == 404
    assert clients.web("tax").get(f"/caseview/show/{two_units['hr_case']}").status_code == 404
    listed = api.get("/api/v1/case/").json
    assert listed["count"] == 1


def test_guessed_pk_on_other_units_actions_and_forms(app, clients, two_units):
    web = clients.web("tax")
    # FAB's action routes fetch by pk without filters unless guarded: must be 404 for others' rows
    assert web.post(f"/matter/action/anything/{two_units['hr_matter']}").status_code == 404
    assert web.post("/matter/action_post", data={"action": "x", "rowid": [two_units["hr_matter"]]}).status_code == 404
    # related-field choices of the progress form (a searchable select filled from /caseview/choices)
    # list only cases in the unit's scope
    form = " ".join(r["text"] for r in web.get("/caseview/choices").get_json()["results"])
    with app.app_context():
        from app.extensions import db
        from app.models import Case

        hr_number = db.session.get(Case, two_units["hr_case"]).case_number
        tax_number = db.session.get(Case, two_units["tax_case"]).case_number
    assert tax_number in form and hr_number not in form


def test_unit_cannot_write_progress_onto_other_units_case(app, clients, two_units):
    api = clients.api("tax")
    refused = api.post("/api/v1/progress/", json={"case": two_units["hr_case"], "entry_date": "2026-03-02",
                                                 "content": "越权进展"})
    # another unit's case is not one tax may name: refused as invalid input, nothing written
    assert refused.status_code == 422 and "字段 case 引用了不存在或无权使用的记录" in refused.json["message"], refused.json
    accepted = api.post("/api/v1/progress/", json={"case": two_units["tax_case"], "entry_date": "2026-03-02",
                                                  "content": "本单位进展"})
    assert accepted.status_code == 201, accepted.get_data(as_text=True)
    with app.app_context():
        from app.extensions import db
        from app.models import CaseProgress, Unit

        entries = db.session.query(CaseProgress).all()
        assert [e.content for e in entries] == ["本单位进展"]
        assert entries[0].unit_id == db.session.query(Unit.id).filter(Unit.name == "县税务局").scalar()


def test_unit_cannot_claim_progress_for_another_unit(app, clients, two_units):
    """A write that names another unit is overridden by the user's own unit (ownership from the user)."""
    with app.app_context():
        from app.extensions import db
        from app.models import Unit

        hr_id = db.session.query(Unit.id).filter(Unit.name == "县人社局").scalar()
        tax_id = db.session.query(Unit.id).filter(Unit.name == "县税务局").scalar()
    response = clients.api("tax").post("/api/v1/progress/", json={
        "case": two_units["tax_case"], "entry_date": "2026-03-02", "content": "冒名", "unit": hr_id})
    assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context():
        from app.extensions import db
        from app.models import CaseProgress

        rows = db.session.query(CaseProgress.content, CaseProgress.unit_id).all()
    assert [tuple(row) for row in rows] == [("冒名", tax_id)]


def test_info_endpoint_related_choices_are_scoped(app, clients, two_units):
    info = clients.api("tax").get("/api/v1/progress/_info?q=(keys:!(add_columns))").json
    case_field = next(c for c in info["add_columns"] if c["name"] == "case")
    ids = {v["id"] for v in case_field["values"]}
    assert two_units["tax_case"] in ids and two_units["hr_case"] not in ids

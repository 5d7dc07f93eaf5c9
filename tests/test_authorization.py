"""Roles are data (issue 11): what a user may do — every workflow step, every export, and whether they
see one unit's records or all — follows the permissions on the roles page, never the role's name.

Each test changes roles the way an administrator would (FAB's security manager, as the roles page
does) and restores them afterwards.
"""
from __future__ import annotations

import datetime as dt

import pytest

from app import models as m
from app.extensions import db
from tests.conftest import PASSWORD, ApiClient


@pytest.fixture
def roles(app, factory):
    """grant/revoke on roles, new roles and users; everything undone after the test."""
    sm = app.appbuilder.sm
    undo: list = []

    class Roles:
        def _pv(self, permission, resource):
            pv = sm.find_permission_view_menu(permission, resource)
            assert pv is not None, (permission, resource)
            return pv

        def grant(self, role_name, permission, resource):
            role, pv = sm.find_role(role_name), self._pv(permission, resource)
            if pv not in role.permissions:
                sm.add_permission_role(role, pv)
                undo.append(lambda: sm.del_permission_role(sm.find_role(role_name), pv))

        def revoke(self, role_name, permission, resource):
            role, pv = sm.find_role(role_name), self._pv(permission, resource)
            if pv in role.permissions:
                sm.del_permission_role(role, pv)
                undo.append(lambda: sm.add_permission_role(sm.find_role(role_name), pv))

        def create(self, name, grants, like=None):
            role = sm.add_role(name)
            if like:
                for pv in sm.find_role(like).permissions:
                    sm.add_permission_role(role, pv)
            for permission, resource in grants:
                sm.add_permission_role(role, self._pv(permission, resource))
            undo.append(lambda: _drop_role(sm, name))
            return role

        def user(self, username, role, unit=None):
            from app.services.users import create_user

            create_user(username=username, password=PASSWORD, role=role, unit_name=unit, full_name=username)
            return ApiClient(app, username)

    yield Roles()
    for step in reversed(undo):
        step()
    db.session.commit()


def _drop_role(sm, name):
    role = sm.find_role(name)
    if role is not None:
        for user in db.session.query(m.AppUser).filter(m.AppUser.roles.contains(role)):
            user.roles.remove(role)
        role.permissions = []
        db.session.delete(role)
        db.session.commit()


def _draft(clients, factory) -> int:
    body = {"title": "关于协助核查欠税的函", "lead_unit": factory.unit("县税务局").id,
            "deadline": (dt.date.today() + dt.timedelta(days=30)).isoformat()}
    response = clients.api("office").post("/api/v1/item/", json=body)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_a_granted_step_works_for_any_role(clients, factory, roles):
    """Granting Convener can_send on the roles page lets conveners send; revoking it stops them."""
    convener = clients.api("convener")
    pk = _draft(clients, factory)
    assert convener.post(f"/api/v1/item/{pk}/send").status_code == 403
    roles.grant("Convener", "can_send", "Matter")
    assert convener.post(f"/api/v1/item/{pk}/send").status_code == 200
    db.session.expire_all()
    assert db.session.get(m.Matter, pk).status == "sent"


def test_a_revoked_step_stops_even_the_office(clients, factory, roles):
    pk = _draft(clients, factory)
    roles.revoke("Office", "can_send", "Matter")
    assert clients.api("office").post(f"/api/v1/item/{pk}/send").status_code == 403
    page = clients.web("office").post(f"/matter/send/{pk}")
    assert page.status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(m.Matter, pk).status == "draft"


def test_exports_follow_can_export(clients, factory, roles):
    factory.case(is_major_sensitive=True)
    viewer = clients.api("viewer")
    assert viewer.get("/api/v1/case/ledger.xlsx").status_code == 200
    assert clients.web("viewer").get("/caseview/ledger/xlsx").status_code == 200
    roles.revoke("Viewer", "can_export", "Case")
    assert viewer.get("/api/v1/case/ledger.xlsx").status_code == 403
    assert viewer.get("/api/v1/case/ledger.pdf").status_code == 403
    assert clients.web("viewer").get("/caseview/ledger/xlsx").status_code == 403
    page = clients.web("viewer").get("/caseview/ledger/").get_data(as_text=True)
    assert "导出 Excel" not in page  # the ledger itself stays readable, without the export buttons


def test_an_admin_made_role_reads_clues_across_units(clients, factory, roles):
    """A 纪委监委 role of the admin's own: reads every unit's clues, changes nothing, needs no code."""
    for username in ("tax", "hr"):
        assert clients.api(username).post("/api/v1/clue/", json={
            "title": f"{username}发现的线索", "description": "涉嫌虚假申报债权"}).status_code == 201
    roles.create("纪委监委", [("can_list", "Clue"), ("can_show", "Clue"), ("can_all_units", "DataScope")])
    inspector = roles.user("jiwei", "纪委监委")
    listed = inspector.get("/api/v1/clue/")
    assert listed.status_code == 200 and listed.json["count"] == 2
    clue_id = listed.json["ids"][0]
    assert inspector.get(f"/api/v1/clue/{clue_id}").status_code == 200
    assert inspector.put(f"/api/v1/clue/{clue_id}", json={"status": "closed"}).status_code == 403
    assert inspector.get("/api/v1/item/").status_code == 403  # nothing else was granted


def test_the_data_scope_is_a_permission(clients, factory, roles):
    """Without a data-scope permission a role sees no business rows; with 本单位 only its unit's."""
    tax_matter = factory.matter(lead="县税务局")
    hr_matter = factory.matter(lead="县人社局")
    roles.revoke("Viewer", "can_all_units", "DataScope")
    listed = clients.api("viewer").get("/api/v1/item/")
    assert listed.status_code == 200 and listed.json["count"] == 0
    assert clients.api("viewer").get(f"/api/v1/item/{tax_matter.id}").status_code == 404
    # a second liaison role made by the admin, limited to its own unit
    roles.create("税务联络员", [("can_own_unit", "DataScope"), ("can_list", "Matter"), ("can_show", "Matter"),
                            ("can_sign", "Matter")])
    liaison = roles.user("tax2", "税务联络员", unit="县税务局")
    assert liaison.get(f"/api/v1/item/{tax_matter.id}").status_code == 200
    assert liaison.get(f"/api/v1/item/{hr_matter.id}").status_code == 404
    assert liaison.post(f"/api/v1/item/{tax_matter.id}/sign").status_code == 200
    assert liaison.post(f"/api/v1/item/{tax_matter.id}/reply", json={"content": "已办结"}).status_code == 403


def test_a_second_office_works_without_code(clients, factory, roles):
    roles.create("第二办公室", [], like="Office")
    second = roles.user("office2", "第二办公室", unit="平陆县企业破产处置府院联动机制办公室")
    pk = _draft(clients, factory)
    assert second.post(f"/api/v1/item/{pk}/send").status_code == 200
    home = clients.web("office").get("/").get_data(as_text=True)
    assert home  # the office home still renders


def test_a_role_bound_to_one_unit_needs_a_unit(app, factory, roles):
    from app.services.errors import BusinessError
    from app.services.users import create_user

    roles.create("乡镇联络员", [("can_own_unit", "DataScope"), ("can_list", "Matter")])
    with pytest.raises(BusinessError, match="必须用 --unit"):
        create_user(username="town1", password=PASSWORD, role="乡镇联络员")


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_the_menu_follows_a_role_edit_on_the_next_page(app, clients, roles):
    """The navbar's HTML is kept per set of visible entries (app/views/navbar.py): an edited role
    must still see its new menu on the very next page, and users of other roles theirs."""
    viewer, office = clients.web("viewer"), clients.web("office")

    def menu(client):
        page = client.get("/").get_data(as_text=True)
        return page.split('<ul class="nav navbar-nav">', 1)[1].split("</ul>\n            <ul", 1)[0]

    before, office_before = menu(viewer), menu(office)
    assert "会议日程</a>" in before and "会议日程</a>" in office_before
    roles.revoke("Viewer", "menu_access", "会议日程")
    after = menu(viewer)
    assert "会议日程</a>" not in after and "会议纪要</a>" in after
    assert menu(office) == office_before  # another role's menu is its own
    roles.grant("Viewer", "menu_access", "会议日程")
    assert menu(viewer) == before

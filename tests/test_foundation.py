"""Migrations, seed data, CLI and the bad inputs every user will eventually type."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, inspect, select

from app import models as m


# --- migrations -----------------------------------------------------------------------------------

def test_models_and_migrations_agree(app):
    """autogenerate against the migrated database finds no difference."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_appbuilder import Model

    from app.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Model.metadata)
    assert diff == []


def test_upgrade_from_empty_and_downgrade_back(app, tmp_path):
    """A fresh database goes to head and back to empty (on SQLite and on PostgreSQL)."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import create_engine

    from tests.conftest import _create_pg_database, build_test_app

    if app.config["DB_BACKEND"] == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'migrate.db'}", (lambda: None)
    else:
        url, drop = _create_pg_database()
    try:
        fresh = build_test_app(url)
        with fresh.app_context():
            upgrade()
            engine = create_engine(url)
            tables = set(inspect(engine).get_table_names())
            assert {"matter", "meeting", "minutes", "bankruptcy_case", "audit_log", "unit", "ab_user"} <= tables
            downgrade(revision="base")
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            engine.dispose()
            from app.extensions import db

            db.engine.dispose()
    finally:
        drop()


# --- seed -----------------------------------------------------------------------------------------

def _snapshot(session):
    units = session.execute(select(m.Unit.name, m.Unit.responsibilities).order_by(m.Unit.name)).all()
    categories = session.execute(select(m.Category.name).order_by(m.Category.name)).all()
    links = session.execute(select(func.count()).select_from(m.category_unit)).scalar()
    settings = session.execute(select(m.Setting.key, m.Setting.value).order_by(m.Setting.key)).all()
    role_perms = session.execute(select(func.count()).select_from(
        m.Model.metadata.tables["ab_permission_view_role"])).scalar()
    return units, categories, links, settings, role_perms


def test_seed_load_twice_changes_nothing(app, runner, db_session):
    before = _snapshot(db_session)
    result = runner.invoke(args=["seed", "load"])
    assert result.exit_code == 0, result.output
    assert "单位 0" in result.output and "新授权限 0" in result.output
    db_session.expire_all()
    assert _snapshot(db_session) == before


def test_seed_has_the_nineteen_member_units_with_responsibilities(db_session):
    members = db_session.query(m.Unit).filter(m.Unit.kind == "member").order_by(m.Unit.sort_order).all()
    assert len(members) == 19
    names = [u.name for u in members]
    assert names[0] == "县人民法院" and names[-1] == "运城市生态环境局平陆分局"
    assert "县税务局" in names and "县行政审批服务管理局" in names
    tax = next(u for u in members if u.name == "县税务局")
    assert tax.responsibilities.startswith("落实破产企业税费优惠政策")
    assert db_session.query(m.Unit).filter(m.Unit.kind == "office").count() == 1


def test_category_suggests_units_from_responsibilities(db_session):
    by_name = {c.name: [u.name for u in c.suggested_units] for c in db_session.query(m.Category)}
    assert by_name["税收申报"] == ["县税务局"]
    assert by_name["职工安置"][0] == "县人社局"
    assert "运城市生态环境局平陆分局" in by_name["环保手续"]


def test_roles_exist_and_admin_edits_survive_sync(app, db_session, runner):
    sm = app.appbuilder.sm
    for name in ("Admin", "Convener", "Office", "UnitStaff", "Viewer"):
        assert sm.find_role(name) is not None
    viewer = sm.find_role("Viewer")
    removed = next(pv for pv in viewer.permissions if pv.permission.name == "can_list" and pv.view_menu.name == "Case")
    viewer.permissions.remove(removed)
    db_session.commit()
    runner.invoke(args=["roles", "sync"])
    db_session.expire_all()
    assert removed not in sm.find_role("Viewer").permissions  # the admin's change is kept
    runner.invoke(args=["roles", "sync", "--reset"])
    db_session.expire_all()
    assert any(pv.id == removed.id for pv in sm.find_role("Viewer").permissions)


def test_role_sync_is_one_transaction_and_falls_back_when_fab_rolls_back(app, db_session, monkeypatch):
    """FAB's ~730 commits become one; if FAB meets an error and rolls back mid-way, the sync runs
    again row by row and the roles end as the defaults say, nothing half-granted."""
    from app.security.roles import sync_roles

    appbuilder, sm = app.appbuilder, app.appbuilder.sm
    viewer = sm.find_role("Viewer")
    removed = next(pv for pv in viewer.permissions if pv.permission.name == "can_list" and pv.view_menu.name == "Case")
    viewer.permissions.remove(removed)
    admin = sm.find_role("Admin")
    admin.permissions.remove(removed)  # so that FAB's own pass has work to do
    db_session.commit()
    commits = []
    real_add, calls = appbuilder.add_permissions, []

    def add_permissions_then_fail_once(**kwargs):
        real_add(**kwargs)
        calls.append(kwargs)
        if len(calls) == 1:
            db_session.rollback()  # what FAB does when one of its inserts fails

    monkeypatch.setattr(appbuilder, "add_permissions", add_permissions_then_fail_once)
    from sqlalchemy import event

    session, count = db_session(), lambda s: commits.append(1)
    event.listen(session, "after_commit", count)
    try:
        sync_roles(appbuilder, reset=True)
        assert len(calls) == 2  # the batch, then the row-by-row path
        db_session.expire_all()
        assert any(pv.id == removed.id for pv in sm.find_role("Viewer").permissions)
        assert any(pv.id == removed.id for pv in sm.find_role("Admin").permissions)
        # and without a failure: one commit for the whole sync
        admin = sm.find_role("Admin")
        admin.permissions.remove(removed)
        db_session.commit()
        commits.clear()
        monkeypatch.setattr(appbuilder, "add_permissions", real_add)
        sync_roles(appbuilder, reset=True)
        assert len(commits) == 1 and len(calls) == 2
    finally:
        event.remove(session, "after_commit", count)


def _permission_rows(db_session):
    from sqlalchemy import text

    return (set(db_session.execute(text("SELECT id, permission_id, view_menu_id FROM ab_permission_view"))),
            set(db_session.execute(text("SELECT role_id, permission_view_id FROM ab_permission_view_role"))))


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_role_sync_leaves_fab_alone_when_every_permission_is_in_place(app, db_session, monkeypatch):
    """An installed system's `seed load` (every `make run`) checks the permissions in two queries
    instead of FAB's pass over every resource; whenever that pass would change something, it runs."""
    from app.security.roles import ROLE_NAMES, _permissions_in_place, sync_roles
    from tests.test_query_counts import StatementCounter

    appbuilder, sm = app.appbuilder, app.appbuilder.sm
    before = _permission_rows(db_session)
    assert _permissions_in_place(appbuilder)
    appbuilder.add_permissions(update_perms=True)  # FAB's own pass, for comparison: it changes nothing
    db_session.commit()
    assert _permission_rows(db_session) == before
    fab_passes = []
    real_add = appbuilder.add_permissions
    monkeypatch.setattr(appbuilder, "add_permissions", lambda **kw: fab_passes.append(kw) or real_add(**kw))
    with app.app_context():
        from app.extensions import db

        with StatementCounter(db.engine) as counter:
            assert sync_roles(appbuilder) == {name: 0 for name in ROLE_NAMES}
    assert not fab_passes and len(counter.statements) < 30 and _permission_rows(db_session) == before

    # each thing FAB's pass would put right sends the sync through it
    admin = sm.find_role("Admin")
    lost = next(pv for pv in admin.permissions if pv.view_menu.name == "Matter" and pv.permission.name == "can_inbox")
    admin.permissions.remove(lost)  # the Admin role lacks a permission
    db_session.commit()
    assert not _permissions_in_place(appbuilder)
    sync_roles(appbuilder)
    assert len(fab_passes) == 1 and _permission_rows(db_session) == before and _permissions_in_place(appbuilder)

    menu = sm.find_permission_view_menu("menu_access", "督办台")  # a menu entry lacks its menu_access
    for role in sm.get_all_roles():
        if menu in role.permissions:
            role.permissions.remove(menu)
    db_session.delete(menu)
    db_session.commit()
    assert not _permissions_in_place(appbuilder)
    sync_roles(appbuilder)
    assert len(fab_passes) == 2 and sm.find_permission_view_menu("menu_access", "督办台") is not None
    assert _permissions_in_place(appbuilder)

    stray = sm.add_permission_view_menu("can_stray", "Matter")  # a permission no view has any more
    db_session.commit()
    assert not _permissions_in_place(appbuilder)
    sync_roles(appbuilder)
    assert len(fab_passes) == 3 and sm.find_permission_view_menu("can_stray", "Matter") is None
    assert stray is not None and _permissions_in_place(appbuilder)


# --- CLI --------------------------------------------------------------------------------------------

def test_users_add_for_a_unit(runner, db_session):
    result = runner.invoke(args=["users", "add", "--username", "tax2", "--password", "平陆县税务局联络人的长密码",
                                 "--role", "UnitStaff", "--unit", "县税务局"])
    assert result.exit_code == 0, result.output
    user = db_session.query(m.AppUser).filter_by(username="tax2").one()
    assert user.unit.name == "县税务局" and [r.name for r in user.roles] == ["UnitStaff"]


@pytest.mark.parametrize("args,message", [
    (["--role", "UnitStaff", "--unit", "县税局"], "未知单位"),
    (["--role", "UnitStaff"], "必须用 --unit"),
    (["--role", "Boss"], "未知角色"),
])
def test_users_add_refuses_bad_input(runner, db_session, args, message):
    result = runner.invoke(args=["users", "add", "--username", "bad", "--password", "a long enough password"] + args)
    assert result.exit_code != 0 and message in result.output
    assert db_session.query(m.AppUser).filter_by(username="bad").count() == 0


def test_users_add_refuses_short_and_common_passwords(runner, db_session):
    for password in ("short", "123456789012", "password1234"):
        result = runner.invoke(args=["users", "add", "--username", "weak", "--password", password, "--role", "Viewer"])
        assert result.exit_code != 0
    assert db_session.query(m.AppUser).filter_by(username="weak").count() == 0


# --- bad input through pages and API ------------------------------------------------------------------

CASE_BODY = {"case_number": "（2026）晋0829破101号", "enterprise_name": "山西某某煤业有限公司",
             "credit_code": "91350100M000100Y43", "procedure_type": "reorganization", "stage": "application",
             "enterprise_type": "private"}


def test_case_with_bad_credit_code_is_refused(clients, db_session):
    body = dict(CASE_BODY, credit_code="91350100M000100Y44")
    response = clients.api("office").post("/api/v1/case/", json=body)
    assert response.status_code == 422
    assert "统一社会信用代码" in response.json["message"]
    assert db_session.query(m.Case).count() == 0


def test_case_number_half_width_is_normalised_and_duplicates_refused(clients, db_session):
    api = clients.api("office")
    first = api.post("/api/v1/case/", json=dict(CASE_BODY, case_number="(2026)晋0829破101号"))
    assert first.status_code == 201, first.get_data(as_text=True)
    assert db_session.query(m.Case.case_number).scalar() == "（2026）晋0829破101号"
    duplicate = api.post("/api/v1/case/", json=dict(CASE_BODY, enterprise_name="另一家公司"))
    assert duplicate.status_code == 422 and "已存在" in duplicate.json["message"]
    assert db_session.query(m.Case).count() == 1


def test_case_page_form_shows_chinese_error_and_saves_nothing(clients, db_session):
    form = {k: v for k, v in CASE_BODY.items()}
    form["credit_code"] = "123"
    response = clients.web("office").post("/caseview/add", data=form, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "统一社会信用代码无效" in html
    assert db_session.query(m.Case).count() == 0


def test_over_long_text_is_refused_with_field_name(clients, db_session):
    response = clients.api("office").post("/api/v1/case/", json=dict(CASE_BODY, enterprise_name="长" * 201))
    assert response.status_code == 422
    assert db_session.query(m.Case).count() == 0


def test_deadline_before_assignment_is_refused(clients, db_session):
    tax = db_session.query(m.Unit).filter_by(name="县税务局").one()
    response = clients.api("office").post("/api/v1/item/", json={
        "title": "税收债权申报", "lead_unit": tax.id, "assigned_date": "2026-03-20", "deadline": "2026-03-10"})
    assert response.status_code == 422
    assert "办理期限不能早于交办日期" in response.json["message"]
    assert db_session.query(m.Matter).count() == 0


def test_stale_edit_through_api_is_refused(clients, factory, db_session):
    case = factory.case(enterprise_name="原名称公司")
    api = clients.api("office")
    version = api.get(f"/api/v1/case/{case.id}").json["result"]["version_id"]
    first = api.put(f"/api/v1/case/{case.id}", json={"enterprise_name": "第一位编辑", "version_id": version})
    assert first.status_code == 200, first.get_data(as_text=True)
    second = api.put(f"/api/v1/case/{case.id}", json={"enterprise_name": "第二位编辑", "version_id": version})
    assert second.status_code == 409 and "已被他人修改" in second.json["message"]
    db_session.expire_all()
    assert db_session.get(m.Case, case.id).enterprise_name == "第一位编辑"


def test_stale_edit_through_pages_is_refused(clients, factory, db_session):
    case = factory.case(enterprise_name="原名称公司")
    office = clients.web("office")
    form_html = office.get(f"/caseview/edit/{case.id}").get_data(as_text=True)
    assert 'name="lock_version"' in form_html
    data = {k: (v if v is not None else "") for k, v in {
        "case_number": case.case_number, "enterprise_name": "第一位编辑", "procedure_type": case.procedure_type,
        "stage": case.stage, "enterprise_type": case.enterprise_type, "credit_code": case.credit_code,
        "lock_version": str(case.version_id)}.items()}
    assert office.post(f"/caseview/edit/{case.id}", data=data).status_code == 302
    data["enterprise_name"] = "第二位编辑"  # same, now stale, lock_version
    response = office.post(f"/caseview/edit/{case.id}", data=data, follow_redirects=True)
    assert "已被他人修改" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(m.Case, case.id).enterprise_name == "第一位编辑"


def test_concurrent_update_loses_nothing(app, factory):
    """Two sessions load the same version; the second UPDATE matches no row and is refused."""
    from sqlalchemy.orm import Session
    from sqlalchemy.orm.exc import StaleDataError

    from app.extensions import db

    case = factory.case(enterprise_name="原名称公司")
    with Session(db.engine) as first, Session(db.engine) as second:
        a = first.get(m.Case, case.id)
        b = second.get(m.Case, case.id)
        a.enterprise_name = "第一位编辑"
        first.commit()
        b.enterprise_name = "第二位编辑"
        with pytest.raises(StaleDataError):
            second.commit()
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).enterprise_name == "第一位编辑"


# --- admin creates a UnitStaff user for 县税务局 on the user page ---------------------------------

def test_admin_creates_unit_staff_user_who_sees_only_that_unit(app, clients, factory, db_session):
    tax = db_session.query(m.Unit).filter_by(name="县税务局").one()
    role = app.appbuilder.sm.find_role("UnitStaff")
    response = clients.web("admin").post("/users/add", data={
        "first_name": "王税务", "last_name": "联络人", "username": "wang", "email": "wang@example.cn",
        "unit": str(tax.id), "roles": [str(role.id)], "active": "y",
        "password": "平陆县税务局联络人登录口令", "conf_password": "平陆县税务局联络人登录口令"}, follow_redirects=True)
    assert response.status_code == 200
    user = db_session.query(m.AppUser).filter_by(username="wang").one()
    assert user.unit_id == tax.id
    own = factory.matter(lead="县税务局")
    other = factory.matter(lead="县人社局")
    web = app.test_client()
    assert web.post("/login/", data={"username": "wang", "password": "平陆县税务局联络人登录口令"}).status_code == 302
    assert web.get(f"/matter/show/{own.id}").status_code == 200
    assert web.get(f"/matter/show/{other.id}").status_code == 404


def test_user_form_requires_unit_for_unit_staff(app, clients, db_session):
    role = app.appbuilder.sm.find_role("UnitStaff")
    response = clients.web("admin").post("/users/add", data={
        "first_name": "无单位", "last_name": "x", "username": "nounit", "email": "nounit@example.cn",
        "roles": [str(role.id)], "active": "y", "password": "没有单位的联络人的登录口令", "conf_password": "没有单位的联络人的登录口令"},
        follow_redirects=True)
    assert "必须选择所属单位" in response.get_data(as_text=True)
    assert db_session.query(m.AppUser).filter_by(username="nounit").count() == 0


def test_audit_log_records_changes_without_password(app, clients, db_session, factory):
    case = factory.case(enterprise_name="审计前公司")
    clients.api("office").put(f"/api/v1/case/{case.id}", json={"enterprise_name": "审计后公司"})
    row = db_session.query(m.AuditLog).filter_by(table_name="bankruptcy_case", action="update").one()
    assert json.loads(row.before)["enterprise_name"] == "审计前公司"
    assert json.loads(row.after)["enterprise_name"] == "审计后公司"
    assert row.username == "office"
    for entry in db_session.query(m.AuditLog).filter_by(table_name="ab_user"):
        assert "password" not in (entry.after or "") and "pbkdf2" not in (entry.after or "")



def _compile_into(root):
    from pathlib import Path

    from app.i18n import compile_catalogs

    compile_catalogs(Path(root), force=True)


def test_catalogues_compile_in_several_workers_at_once(tmp_path):
    """gunicorn's workers (and the test workers) compile the .po at start together: none may crash
    (a shared temporary name let one rename the other's file away)."""
    import multiprocessing
    import shutil

    from app.i18n import TRANSLATIONS

    shutil.copytree(TRANSLATIONS, tmp_path, dirs_exist_ok=True)
    for _ in range(4):  # a race: a few rounds make a regression show
        workers = [multiprocessing.get_context("fork").Process(target=_compile_into, args=(str(tmp_path),))
                   for _ in range(6)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert [w.exitcode for w in workers] == [0] * 6
    assert list(tmp_path.rglob("*.mo")) and not list(tmp_path.rglob("*.tmp"))

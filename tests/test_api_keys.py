"""API keys for integrations (issue 15): issued and revoked by the admin on 系统管理 → API 密钥 (or the
CLI), stored hashed, scoped exactly like their account, refused at once when revoked, audited on use."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.conftest import PASSWORD

KEY = re.compile(r"fyld_[A-Za-z0-9_-]{40,}")


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def make_account(app, username, role, unit=None):
    from app.services.users import create_user

    with app.app_context():
        return create_user(username=username, password=PASSWORD, role=role, unit_name=unit, full_name=username).id


def issue(app, username, name="测试集成", expires_on=None):
    """A key for `username` through the service the page and the CLI call; returns (id, secret)."""
    from app.extensions import db
    from app.models import AppUser
    from app.security.api_keys import create_key

    with app.test_request_context():
        account = db.session.query(AppUser).filter_by(username=username).one()
        key, secret = create_key(db.session, None, account, name, expires_on)
        db.session.commit()
        return key.id, secret


def key_row(app, key_id):
    from app.extensions import db
    from app.models import ApiCredential

    with app.app_context():
        db.session.expire_all()
        row = db.session.get(ApiCredential, key_id)
        db.session.expunge(row)
        return row


def draft_body(app, title):
    """A matter draft as the API takes it (lead unit, deadline)."""
    from app.extensions import db
    from app.models import Unit

    with app.app_context():
        lead = db.session.query(Unit.id).filter(Unit.name == "县税务局").scalar()
    deadline = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    return {"title": title, "content": "由外部系统报送。", "lead_unit": lead, "deadline": deadline}


def ids(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(row["id"] if "id" in row else None for row in response.json["result"])


# --- the page -------------------------------------------------------------------------------------

def test_admin_issues_a_key_on_the_page_and_sees_the_secret_once(app, clients):
    from app.extensions import db
    from app.models import ApiCredential, AuditLog

    account_id = make_account(app, "court-feed", "Office")
    admin = clients.admin
    page = admin.get("/apikeys/add")
    assert page.status_code == 200 and "签发密钥" in page.get_data(as_text=True)
    # refused: the error beside the field, the other input kept
    response = admin.post("/apikeys/add", data={"name": "", "account": str(account_id), "expires_on": "2099-01-01"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="error-name"' in html and "请填写密钥名称" in html
    assert f'value="{account_id}" selected' in html and 'value="2099-01-01"' in html
    response = admin.post("/apikeys/add", data={"name": "法院立案系统", "account": str(account_id), "expires_on": "今天"})
    assert 'id="error-expires_on"' in response.get_data(as_text=True) and "法院立案系统" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(ApiCredential).count() == 0

    response = admin.post("/apikeys/add", data={"name": "法院立案系统", "account": str(account_id), "expires_on": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "只显示这一次" in html
    secret = KEY.search(html).group(0)
    assert "no-store" in response.headers["Cache-Control"]
    with app.app_context():
        key = db.session.query(ApiCredential).one()
        stored = " ".join(str(v) for v in (key.key_hash, key.lookup_hash, key.key_prefix, key.name))
        assert secret not in stored and key.key_prefix == secret[:13] and key.created_by == "admin"
        audit = " ".join(f"{r.before} {r.after} {r.summary}" for r in db.session.query(AuditLog))
        assert secret not in audit and key.key_hash not in audit and key.lookup_hash not in audit
        assert db.session.query(AuditLog).filter_by(table_name="ab_api_key", action="create").count() == 1
        key_id = key.id
    # never again: not on the list, not on the key's page, not in the flash of a redirect
    for url in ("/apikeys/list/", f"/apikeys/show/{key_id}"):
        html = admin.get(url).get_data(as_text=True)
        assert secret not in html and secret[:13] in html and "法院立案系统" in html, url
    assert app.test_client().get("/api/v1/item/", headers=bearer(secret)).status_code == 200


def test_only_the_admin_manages_keys(app, clients):
    make_account(app, "feed-a", "Office")
    key_id, _ = issue(app, "feed-a")
    for username in ("office", "convener", "viewer", "tax"):
        client = clients.web(username)
        assert client.get("/apikeys/list/").status_code == 403, username
        assert client.post("/apikeys/add", data={"name": "x", "account": "1"}).status_code == 403, username
        assert client.post(f"/apikeys/action/revoke/{key_id}").status_code in (302, 403), username
        assert "API 密钥" not in client.get("/").get_data(as_text=True), username
    assert key_row(app, key_id).revoked_on is None
    assert "API 密钥" in clients.admin.get("/").get_data(as_text=True)  # the menu entry under 系统管理


def test_revoking_on_the_page_refuses_the_key_at_once(app, clients):
    make_account(app, "feed-b", "Office")
    key_id, secret = issue(app, "feed-b")
    api = app.test_client()
    assert api.get("/api/v1/item/", headers=bearer(secret)).status_code == 200
    response = clients.admin.post(f"/apikeys/action/revoke/{key_id}")
    assert response.status_code == 302
    row = key_row(app, key_id)
    assert row.revoked_on is not None and row.revoked_by == "admin" and row.status_label == "已吊销"
    response = api.get("/api/v1/item/", headers=bearer(secret))
    assert response.status_code == 401 and "已吊销" in response.json["message"]
    # several at once from the list
    other_id, other = issue(app, "feed-b", "第二个")
    third_id, third = issue(app, "feed-b", "第三个")
    clients.admin.post("/apikeys/action_post", data={"action": "revoke", "rowid": [str(other_id), str(third_id)]})
    assert all(api.get("/api/v1/item/", headers=bearer(s)).status_code == 401 for s in (other, third))


# --- scope: exactly the account's -----------------------------------------------------------------

def test_a_unit_key_sees_what_its_unit_sees_and_gets_404_elsewhere(app, factory):
    from tests.conftest import ApiClient

    own = factory.matter(status="sent", lead="县税务局", title="税务局牵头的事项")
    foreign = factory.matter(status="sent", lead="县人社局", title="人社局牵头的事项")
    make_account(app, "tax-feed", "UnitStaff", "县税务局")
    _, secret = issue(app, "tax-feed", "税务征管系统")
    key = app.test_client()
    by_key = ids(key.get("/api/v1/item/?q=(page_size:100)", headers=bearer(secret)))
    by_person = ids(ApiClient(app, "tax").get("/api/v1/item/?q=(page_size:100)"))
    assert by_key == by_person and own.id in by_key and foreign.id not in by_key
    assert key.get(f"/api/v1/item/{own.id}", headers=bearer(secret)).status_code == 200
    response = key.get(f"/api/v1/item/{foreign.id}", headers=bearer(secret))
    assert response.status_code == 404 and response.json["message"]
    assert key.get(f"/api/v1/item/{foreign.id}/parts", headers=bearer(secret)).status_code == 404
    # the same permissions as the account's role: a member unit cannot draft matters
    response = key.post("/api/v1/item/", headers=bearer(secret), json={"title": "伪造", "content": "x"})
    assert response.status_code == 403


def test_a_key_follows_its_accounts_role_at_the_next_request(app):
    from flask_appbuilder.security.sqla.models import Role

    from app.extensions import db
    from app.models import AppUser

    make_account(app, "viewer-feed", "Viewer")
    _, secret = issue(app, "viewer-feed")
    body = draft_body(app, "接口报送的事项")
    api = app.test_client()
    assert api.post("/api/v1/item/", headers=bearer(secret), json=body).status_code == 403
    with app.app_context():
        user = db.session.query(AppUser).filter_by(username="viewer-feed").one()
        user.roles = [db.session.query(Role).filter_by(name="Office").one()]
        db.session.commit()
    response = api.post("/api/v1/item/", headers=bearer(secret), json=body)
    assert response.status_code == 201, response.json


def test_writes_through_a_key_are_audited_as_its_account(app):
    from app.extensions import db
    from app.models import AuditLog

    make_account(app, "court-writer", "Office")
    _, secret = issue(app, "court-writer", "法院立案系统")
    response = app.test_client().post("/api/v1/item/", headers=bearer(secret), json=draft_body(app, "法院推送的协调事项"))
    assert response.status_code == 201
    with app.app_context():
        row = (db.session.query(AuditLog).filter_by(table_name="matter", action="create")
               .order_by(AuditLog.id.desc()).first())
        assert row.username == "court-writer" and row.record_id == str(response.json["id"])


def test_a_key_opens_no_pages_and_is_no_token(app):
    make_account(app, "feed-c", "Office")
    _, secret = issue(app, "feed-c")
    client = app.test_client()
    response = client.get("/matter/list/", headers=bearer(secret))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/api/v1/security/refresh", headers=bearer(secret)).status_code == 401
    assert client.get("/api/v1/item/", headers={"X-API-Key": secret}).status_code == 401  # one documented header


# --- refusals -------------------------------------------------------------------------------------

def test_wrong_expired_and_deactivated_keys_are_refused_in_chinese(app):
    from app.extensions import db
    from app.models import AppUser

    make_account(app, "feed-d", "Office")
    _, secret = issue(app, "feed-d")
    _, expired = issue(app, "feed-d", "过期的", expires_on=dt.datetime.now() + dt.timedelta(seconds=1))
    with app.app_context():  # the expiry passes (without waiting): move it into the past
        from app.models import ApiCredential

        db.session.query(ApiCredential).filter_by(name="过期的").update({"expires_on": dt.datetime(2020, 1, 1)})
        db.session.commit()
    api = app.test_client()
    tampered = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    for bad in (tampered, expired, "fyld_", "fyld_" + "x" * 500):
        response = api.get("/api/v1/item/", headers=bearer(bad))
        assert response.status_code == 401 and "API 密钥无效" in response.json["message"], bad[:20]
    assert api.get("/api/v1/item/", headers=bearer(secret)).status_code == 200
    with app.app_context():
        user = db.session.query(AppUser).filter_by(username="feed-d").one()
        user.active = False
        db.session.commit()
    assert api.get("/api/v1/item/", headers=bearer(secret)).status_code == 401
    with app.app_context():  # reactivated: the keys stay revoked (deactivation revoked them)
        user = db.session.query(AppUser).filter_by(username="feed-d").one()
        user.active = True
        db.session.commit()
    assert api.get("/api/v1/item/", headers=bearer(secret)).status_code == 401


def test_forced_password_change_blocks_the_accounts_keys(app):
    from app.extensions import db
    from app.models import AppUser

    make_account(app, "feed-e", "Office")
    _, secret = issue(app, "feed-e")
    with app.app_context():
        db.session.query(AppUser).filter_by(username="feed-e").one().must_change_password = True
        db.session.commit()
    response = app.test_client().get("/api/v1/item/", headers=bearer(secret))
    assert response.status_code == 403 and "修改密码" in response.json["message"]


# --- audited on use -------------------------------------------------------------------------------

def test_use_is_recorded_with_time_address_and_an_audit_event(app, clients, monkeypatch):
    from app.extensions import db
    from app.models import AuditLog

    make_account(app, "feed-f", "Office")
    key_id, secret = issue(app, "feed-f", "税务系统")
    assert key_row(app, key_id).last_used_on is None
    api = app.test_client()
    for _ in range(3):
        assert api.get("/api/v1/item/", headers=bearer(secret), environ_base={"REMOTE_ADDR": "10.8.0.5"}).status_code == 200
    row = key_row(app, key_id)
    assert row.last_used_from == "10.8.0.5" and (dt.datetime.now() - row.last_used_on).total_seconds() < 60

    def events():
        with app.app_context():
            return db.session.query(AuditLog).filter_by(action="api_key_used").order_by(AuditLog.id).all()

    assert len(events()) == 1  # at most once a minute per key…
    first = events()[0]
    assert first.username == "feed-f" and "税务系统" in first.summary and first.ip == "10.8.0.5"
    api.get("/api/v1/item/", headers=bearer(secret), environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert len(events()) == 2 and key_row(app, key_id).last_used_from == "10.9.9.9"  # …but at once from elsewhere
    import app.security.api_keys as api_keys

    later = dt.datetime.now() + dt.timedelta(minutes=2)
    monkeypatch.setattr(api_keys, "_now", lambda: later.replace(microsecond=0))
    api.get("/api/v1/item/", headers=bearer(secret), environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert len(events()) == 3
    audit_page = clients.admin.get("/audit/list/").get_data(as_text=True)
    assert "API密钥调用" in audit_page and "税务系统" in audit_page


def test_a_key_request_checks_the_key_and_loads_the_account_in_one_statement(app):
    from app.extensions import db
    from tests.test_query_counts import StatementCounter

    make_account(app, "feed-g", "UnitStaff", "县税务局")
    _, secret = issue(app, "feed-g")
    client = app.test_client()
    client.get("/api/v1/item/", headers=bearer(secret))  # first use: slow hash check and the use recorded
    with app.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        assert client.get("/api/v1/item/", headers=bearer(secret)).status_code == 200
    statements = counter.statements
    credential = [s for s in statements if "ab_api_key" in s or "FROM ab_user" in s]
    assert len(credential) == 1 and "ab_api_key" in credential[0], credential


# --- the CLI --------------------------------------------------------------------------------------

def test_cli_creates_lists_and_revokes(app, runner):
    make_account(app, "feed-h", "Office")
    result = runner.invoke(args=["apikeys", "create", "--user", "feed-h", "--name", "法院系统", "--expires", "2099-12-31"])
    assert result.exit_code == 0, result.output
    secret = KEY.search(result.output).group(0)
    assert app.test_client().get("/api/v1/item/", headers=bearer(secret)).status_code == 200
    listing = runner.invoke(args=["apikeys", "list"]).output
    assert secret[:13] in listing and secret not in listing and "feed-h" in listing and "法院系统" in listing
    assert runner.invoke(args=["apikeys", "create", "--user", "nobody", "--name", "x"]).exit_code != 0
    result = runner.invoke(args=["apikeys", "revoke", secret[:13]])
    assert result.exit_code == 0 and "已吊销" in result.output, result.output
    assert app.test_client().get("/api/v1/item/", headers=bearer(secret)).status_code == 401
    assert "已吊销" in runner.invoke(args=["apikeys", "list", "--all"]).output
    assert runner.invoke(args=["apikeys", "revoke", secret[:13]]).exit_code != 0  # already revoked


def test_revocation_on_one_server_refuses_the_key_on_another_at_once(app, clients):
    from tests.conftest import build_test_app

    other = build_test_app(app.config["SQLALCHEMY_DATABASE_URI"])
    make_account(app, "feed-i", "Office")
    key_id, secret = issue(app, "feed-i")
    assert other.test_client().get("/api/v1/item/", headers=bearer(secret)).status_code == 200
    assert clients.admin.post(f"/apikeys/action/revoke/{key_id}").status_code == 302
    assert other.test_client().get("/api/v1/item/", headers=bearer(secret)).status_code == 401
    with other.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()


def test_the_spec_documents_keys_and_token_sessions(app, clients):
    spec = clients.api("admin").get("/api/v1/_openapi").json
    schemes = spec["components"]["securitySchemes"]
    assert "fyld_" in schemes["api_key"]["description"] and schemes["api_key"]["scheme"] == "bearer"
    assert {"jwt": []} in spec["paths"]["/api/v1/item/"]["get"]["security"]
    assert {"api_key": []} in spec["paths"]["/api/v1/item/"]["get"]["security"]
    for path in ("login", "refresh", "logout"):
        operation = spec["paths"][f"/api/v1/security/{path}"]["post"]
        assert re.search(r"[\u4e00-\u9fff]", operation["description"]) and "200" in operation["responses"], path


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_a_key_is_hashed_with_fabs_settings(app, monkeypatch):
    """FAB_API_KEY_HASH_METHOD, else FAB_PASSWORD_HASH_METHOD (as FAB's own keys): one setting tunes
    the cost of both, and a key issued under either still opens the API."""
    make_account(app, "feed-hash", "Office")
    key_id, secret = issue(app, "feed-hash")
    assert key_row(app, key_id).key_hash.startswith(app.config["FAB_PASSWORD_HASH_METHOD"] + "$")
    monkeypatch.setitem(app.config, "FAB_API_KEY_HASH_METHOD", "pbkdf2:sha256:2")
    key_id, other = issue(app, "feed-hash", name="第二个")
    assert key_row(app, key_id).key_hash.startswith("pbkdf2:sha256:2$")
    for raw in (secret, other):
        assert app.test_client().get("/api/v1/item/", headers=bearer(raw)).status_code == 200

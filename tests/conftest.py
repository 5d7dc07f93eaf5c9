"""Fixtures in the flaskr style: an app per database backend, clients logged in per role.

Every test that takes `app` runs on SQLite and, when a PostgreSQL server is reachable
(TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test), on PostgreSQL too — in a
database created for this run and dropped afterwards, so parallel runs never collide.
"""
from __future__ import annotations

import os
import tempfile
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery staple"
USERS = {  # username: (role, unit)
    "admin": ("Admin", None),
    "office": ("Office", "平陆县企业破产处置府院联动机制办公室"),
    "convener": ("Convener", None),
    "viewer": ("Viewer", None),
    "tax": ("UnitStaff", "县税务局"),
    "hr": ("UnitStaff", "县人社局"),
    "judge": ("Judge", None),
    "trustee": ("Trustee", None),
}
_TMP = tempfile.mkdtemp(prefix="fyld-tests-")
os.environ.setdefault("INSTANCE_PATH", _TMP)
os.environ.setdefault("SECRET_KEY", "test-secret-" + uuid.uuid4().hex)


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        if os.environ.get("CI"):
            raise
        return False


def _create_pg_database() -> tuple[str, callable]:
    name = f"fyld_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url, drop


BACKENDS = ["sqlite", "postgresql"]


def build_test_app(database_url: str, **overrides):
    from app import create_app

    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "AUTH_RATE_LIMITED": False,
        "UPLOAD_FOLDER": os.path.join(_TMP, "uploads"),
        "SERVER_NAME": None,
        # date arithmetic in tests is explicit: each test enters the holidays it relies on
        "STATE_COUNCIL_HOLIDAYS": False,
    }
    config.update(overrides)
    application = create_app(config)

    @application.teardown_request
    def _end_of_request(exc):
        # Tests keep an app context pushed (fixtures), which requests then share; in production each
        # request has its own session. Roll back whatever a request left uncommitted, as production would.
        from flask import g

        from app.extensions import db

        db.session.rollback()
        # ... and forget who was logged in: with a shared app context, Flask-Login would otherwise
        # reuse the previous request's user (g._login_user) for the next client.
        for name in ("_login_user", "user", "_session_user"):
            g.pop(name, None)

    return application


def prepare_database(app) -> None:
    """Migrate from empty to head, load reference data, create one user per role."""
    from flask_migrate import upgrade

    from app.services.seeding import load_reference_data
    from app.services.users import create_user

    with app.app_context():
        upgrade()
        load_reference_data(app.appbuilder)
        for username, (role, unit) in USERS.items():
            create_user(username=username, password=PASSWORD, role=role, unit_name=unit, full_name=username)


@pytest.fixture(scope="session")
def backend_apps():
    apps: dict[str, object] = {}
    cleanups = []

    def get(backend: str):
        if backend in apps:
            return apps[backend]
        if backend == "sqlite":
            url = f"sqlite:///{os.path.join(_TMP, 'test-' + uuid.uuid4().hex[:6] + '.db')}"
        else:
            if not _pg_available():
                pytest.skip("PostgreSQL is not reachable (set TEST_DATABASE_URL)")
            url, drop = _create_pg_database()
            cleanups.append(drop)
        app = build_test_app(url)
        prepare_database(app)
        apps[backend] = app
        return app

    yield get
    for app in apps.values():
        with app.app_context():
            from app.extensions import db

            db.session.remove()
            db.engine.dispose()
    for drop in cleanups:
        drop()


# Tables holding reference data, users and permissions: kept between tests.
KEPT_TABLES = {"unit", "category", "category_unit", "setting", "risk_scheme", "check_item", "alembic_version"}


def clean_business_data(app) -> None:
    from flask_appbuilder import Model

    from app.extensions import db

    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(Model.metadata.sorted_tables):
                if table.name in KEPT_TABLES or table.name.startswith("ab_"):
                    continue
                conn.execute(table.delete())
            # users created by a test (not the fixture users) go too
            keep = ",".join(f"'{u}'" for u in USERS)
            conn.execute(text(f"DELETE FROM ab_user_role WHERE user_id IN (SELECT id FROM ab_user WHERE username NOT IN ({keep}))"))
            conn.execute(text(f"DELETE FROM ab_user WHERE username NOT IN ({keep})"))
        from app.services import calendar, settings

        calendar.invalidate()
        settings.invalidate()


@pytest.fixture(params=BACKENDS)
def app(request, backend_apps):
    application = backend_apps(request.param)
    application.config["DB_BACKEND"] = request.param
    yield application
    clean_business_data(application)


@pytest.fixture
def sqlite_app(backend_apps):
    """For tests whose behaviour does not depend on the database (PDFs, pure rendering)."""
    application = backend_apps("sqlite")
    yield application
    clean_business_data(application)


@pytest.fixture
def db_session(app):
    from app.extensions import db

    with app.app_context():
        yield db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class RoleClients:
    """`clients.office` is a test client logged in as the office user, and so on; `.api(name)` a JWT client."""

    def __init__(self, app):
        self.app = app
        self._cache = {}

    def __getattr__(self, username):
        if username.startswith("_"):
            raise AttributeError(username)
        return self.web(username)

    def web(self, username):
        if ("web", username) not in self._cache:
            client = self.app.test_client()
            response = client.post("/login/", data={"username": username, "password": PASSWORD})
            assert response.status_code == 302, f"login failed for {username}"
            self._cache[("web", username)] = client
        return self._cache[("web", username)]

    def api(self, username):
        if ("api", username) not in self._cache:
            self._cache[("api", username)] = ApiClient(self.app, username)
        return self._cache[("api", username)]


class ApiClient:
    def __init__(self, app, username):
        self.client = app.test_client()
        response = self.client.post("/api/v1/security/login",
                                    json={"username": username, "password": PASSWORD, "provider": "db"})
        assert response.status_code == 200, response.get_data(as_text=True)
        self.headers = {"Authorization": f"Bearer {response.json['access_token']}"}

    def get(self, url, **kw):
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url, **kw):
        return self.client.post(url, headers=self.headers, **kw)

    def put(self, url, **kw):
        return self.client.put(url, headers=self.headers, **kw)

    def delete(self, url, **kw):
        return self.client.delete(url, headers=self.headers, **kw)


@pytest.fixture
def clients(app):
    return RoleClients(app)


@pytest.fixture
def factory(app):
    """Builders of business records for tests (kept in tests/factories.py)."""
    from tests.factories import Factory

    with app.app_context():
        yield Factory(app)

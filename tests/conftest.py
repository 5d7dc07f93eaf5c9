"""Fixtures in the flaskr style: an app per database backend, clients logged in per role.

Every test that takes `app` runs on SQLite and, when a PostgreSQL server is reachable
(TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test), on PostgreSQL too — in a
database created for this run and dropped afterwards, so parallel runs never collide.

Setup is paid once per run: the seeded database (migrated, reference data, one user per role) is built
once per backend — even across pytest-xdist workers, under a file lock — and every app gets a copy (SQLite:
a file copy; PostgreSQL: CREATE DATABASE … TEMPLATE). Passwords are hashed with one PBKDF2 round under
test (production keeps FAB's scrypt), since every client logs in.

Each request runs in a context of its own, as in production: the app context a test keeps pushed for its
own database work (`factory`, `db_session`, `with app.app_context():`) is never shared with the requests
its clients make, so no `g` (Flask-Login's cached user, the CSP nonce…) and no session leaks between them.
"""
from __future__ import annotations

import contextlib
import contextvars
import fcntl
import os
import shutil
import tempfile
import time
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
# One id per run, shared by the xdist workers (they inherit the environment of the process that started
# them): the seeded databases of the run live under it. The process that chose it cleans up.
_RUN_OWNER = "FYLD_TEST_RUN" not in os.environ
RUN_ID = os.environ.setdefault("FYLD_TEST_RUN", uuid.uuid4().hex[:10])
_SHARED = os.path.join(tempfile.gettempdir(), f"fyld-tests-run-{RUN_ID}")
SEED_TEMPLATE = f"fyld_seed_{RUN_ID}"
# Cheap hashing under test (one PBKDF2 round); FAB's default in production is scrypt.
TEST_HASH_METHOD = "pbkdf2:sha256:1"


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


def _create_pg_database(template: str | None = None) -> tuple[str, callable]:
    name = f"fyld_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url, drop


BACKENDS = ["sqlite", "postgresql"]


def build_test_app(database_url: str, **overrides):
    from werkzeug.security import generate_password_hash

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
        "FAB_PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
        # the hash FAB checks for unknown users, of the same (test) cost as the users' own
        "AUTH_DB_FAKE_PASSWORD_HASH_CHECK": generate_password_hash("password", method=TEST_HASH_METHOD),
    }
    if make_url(database_url).get_backend_name() == "postgresql":
        # a test database need not survive a server crash: commits do not wait for the WAL flush
        from config import Config

        config["SQLALCHEMY_ENGINE_OPTIONS"] = {**Config.SQLALCHEMY_ENGINE_OPTIONS,  # pool_pre_ping and all
                                               "connect_args": {"options": "-c synchronous_commit=off"}}
    config.update(overrides)
    application = create_app(config)
    application.wsgi_app = _own_context(application, application.wsgi_app)
    return application


def _own_context(application, wsgi_app):
    """Run each request in an empty context, as a server does, so that Flask pushes a fresh app context
    (own `g`, own database session) instead of reusing the one a test holds. Afterwards the test's own
    session forgets what it had loaded (the request may have changed it)."""
    from flask import current_app, has_app_context

    def run(environ, start_response):
        test_holds_context = has_app_context() and current_app._get_current_object() is application
        try:
            return contextvars.Context().run(wsgi_app, environ, start_response)
        finally:
            if test_holds_context:
                from app.extensions import db

                db.session.rollback()

    return run


def seed_database(app) -> None:
    """Migrate from empty to head, load reference data, create one user per role."""
    from flask_migrate import upgrade

    from app.services.seeding import load_reference_data
    from app.services.users import create_user

    with app.app_context():
        upgrade()
        load_reference_data(app.appbuilder)
        for username, (role, unit) in USERS.items():
            create_user(username=username, password=PASSWORD, role=role, unit_name=unit, full_name=username)


def _dispose(app) -> None:
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextlib.contextmanager
def _run_lock(name: str):
    """Held while one process of the run builds a seeded database (the others wait, then copy it)."""
    os.makedirs(_SHARED, exist_ok=True)
    with open(os.path.join(_SHARED, f"{name}.lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def seeded_sqlite_file() -> str:
    """The run's seeded SQLite database, built by the first process that asks."""
    path = os.path.join(_SHARED, "seeded.db")
    with _run_lock("sqlite"):
        if not os.path.exists(path):
            building = f"{path}.{os.getpid()}"
            app = build_test_app(f"sqlite:///{building}")
            seed_database(app)
            _dispose(app)
            os.replace(building, path)
    return path


def seeded_pg_template() -> str:
    """The run's seeded PostgreSQL database, a template for the tests' databases (CREATE … TEMPLATE)."""
    marker = os.path.join(_SHARED, "postgresql-template")
    with _run_lock("postgresql"):
        if not os.path.exists(marker):
            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{SEED_TEMPLATE}"'))
                conn.execute(text(f'CREATE DATABASE "{SEED_TEMPLATE}"'))
            admin.dispose()
            app = build_test_app(make_url(PG_ADMIN_URL).set(database=SEED_TEMPLATE).render_as_string(hide_password=False))
            seed_database(app)
            _dispose(app)  # a template must have no connections
            with open(marker, "w") as handle:
                handle.write(SEED_TEMPLATE)
    return SEED_TEMPLATE


def prepare_database(app) -> None:
    """Give `app`'s new SQLite database the seeded content (a copy of the run's seeded database)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        seed_database(app)
        return
    source = seeded_sqlite_file()
    _dispose(app)
    shutil.copyfile(source, url.database)
    if app.config.get("STATE_COUNCIL_HOLIDAYS", True):  # seeded without them (build_test_app's default)
        from app.extensions import db
        from app.services.holidays import load_state_council_holidays

        with app.app_context():
            load_state_council_holidays(db.session)
            db.session.commit()


# The longest files first, so that pytest-xdist (`--dist loadfile`: a whole file per worker) does not
# leave one worker running a long file alone at the end (measured: a 40 s tail). Others keep their order.
LONGEST_FIRST = ("test_journeys.py", "test_journeys_clerk.py", "test_api_schemathesis.py", "test_permissions.py",
                 "test_query_counts.py", "test_foundation.py", "test_pdf_layout.py", "test_security.py",
                 "test_requests.py", "test_api_keys.py", "test_rulebook.py", "test_workflow_steps.py")


def pytest_collection_modifyitems(session, config, items):
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file's tests keep their order


def pytest_sessionfinish(session, exitstatus):
    """The process that chose the run id drops the run's seeded databases (after xdist's workers end).

    Every process first freezes its heap for the garbage collector: what is left is torn down by the
    exit, and pytest's final collections and the interpreter's over several app instances cost each
    worker 3–4 s that the run waits for (measured). (pytest's last look for exceptions raised in
    finalizers of unreachable objects then finds none: they are not collected any more.)"""
    import gc

    gc.freeze()
    if not _RUN_OWNER or not os.path.isdir(_SHARED):
        return
    if os.path.exists(os.path.join(_SHARED, "postgresql-template")):
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{SEED_TEMPLATE}"'))
        admin.dispose()
    shutil.rmtree(_SHARED, ignore_errors=True)


def seeded_app(backend: str, **overrides):
    """A new app on a database of its own holding the seeded content; returns (app, cleanup)."""
    if backend == "sqlite":
        url = f"sqlite:///{os.path.join(_TMP, 'test-' + uuid.uuid4().hex[:6] + '.db')}"
        shutil.copyfile(seeded_sqlite_file(), make_url(url).database)
        drop = None
    else:
        if not _pg_available():
            pytest.skip("PostgreSQL is not reachable (set TEST_DATABASE_URL)")
        url, drop = _create_pg_database(template=seeded_pg_template())
    application = build_test_app(url, **overrides)

    def cleanup():
        _dispose(application)
        if drop is not None:
            drop()

    return application, cleanup


@pytest.fixture(scope="session", autouse=True)
def _seed_backends_side_by_side():
    """Under pytest-xdist the second worker builds the PostgreSQL seed while the first builds the SQLite
    one (5–7 s each), instead of both waiting for SQLite's and later again for PostgreSQL's."""
    if os.environ.get("PYTEST_XDIST_WORKER") == "gw1" and _pg_available():
        seeded_pg_template()


@pytest.fixture(scope="session")
def backend_apps():
    apps: dict[str, object] = {}
    cleanups = []

    def get(backend: str):
        if backend not in apps:
            apps[backend], cleanup = seeded_app(backend)
            cleanups.append(cleanup)
        return apps[backend]

    yield get
    for cleanup in cleanups:
        cleanup()


# Tables holding reference data, users and permissions: kept between tests.
KEPT_TABLES = {"unit", "category", "category_unit", "setting", "risk_scheme", "check_item", "alembic_version"}


def clean_business_data(app) -> None:
    from flask_appbuilder import Model

    from app.extensions import db

    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            saved_sids = [sid for _, sid, _, _ in _saved_logins(app).values()]
            for table in reversed(Model.metadata.sorted_tables):
                if table.name in KEPT_TABLES or table.name.startswith("ab_"):
                    continue
                if table.name == "login_session" and saved_sids:  # the fixture users' saved sign-ins stay
                    conn.execute(table.delete().where(table.c.sid.not_in(saved_sids)))
                    continue
                conn.execute(table.delete())
            # users created by a test (not the fixture users) go too
            keep = ",".join(f"'{u}'" for u in USERS)
            conn.execute(text(f"DELETE FROM ab_user_role WHERE user_id IN (SELECT id FROM ab_user WHERE username NOT IN ({keep}))"))
            conn.execute(text(f"DELETE FROM ab_user WHERE username NOT IN ({keep})"))
            # ... and the fixture users get back the name they were made with (a test may rename one)
            conn.execute(text(f"UPDATE ab_user SET first_name = username WHERE username IN ({keep})"))
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
    """`clients.office` is a test client logged in as the office user, and so on; `.api(name)` a JWT client.

    A fixture user signs in once per app and the resulting cookie or token is handed to the next
    tests for as long as its login session is open (`saved_login`): a sign-in costs ~20 ms and a run
    makes thousands. A test that ends the session (logout, a password or role change) makes the next
    one sign in again; tests of signing in itself use their own clients."""

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
            cookie = saved_login(self.app, "web", username) if username in USERS else None
            if cookie is not None:
                client.set_cookie("session", cookie)
            else:
                response = client.post("/login/", data={"username": username, "password": PASSWORD})
                assert response.status_code == 302, f"login failed for {username}"
                if username in USERS:
                    with client.session_transaction() as session:
                        sid, user_id = session["_sid"], session["_user_id"]
                    save_login(self.app, "web", username, client.get_cookie("session").value, sid, user_id)
            self._cache[("web", username)] = client
        return self._cache[("web", username)]

    def api(self, username):
        if ("api", username) not in self._cache:
            self._cache[("api", username)] = ApiClient(self.app, username, reuse=username in USERS)
        return self._cache[("api", username)]


class ApiClient:
    def __init__(self, app, username, reuse=False):
        self.client = app.test_client()
        token = saved_login(app, "api", username) if reuse else None
        if token is None:
            response = self.client.post("/api/v1/security/login",
                                        json={"username": username, "password": PASSWORD, "provider": "db"})
            assert response.status_code == 200, response.get_data(as_text=True)
            token = response.json["access_token"]
            if reuse:
                claims = _unverified_claims(token)
                save_login(app, "api", username, token, claims["sid"], claims["sub"])
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url, **kw):
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url, **kw):
        return self.client.post(url, headers=self.headers, **kw)

    def put(self, url, **kw):
        return self.client.put(url, headers=self.headers, **kw)

    def delete(self, url, **kw):
        return self.client.delete(url, headers=self.headers, **kw)


def _unverified_claims(token: str) -> dict:
    import base64
    import json

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _saved_logins(app) -> dict:
    return app.extensions.setdefault("test_saved_logins", {})


def save_login(app, kind: str, username: str, credential: str, sid: str, user_id) -> None:
    _saved_logins(app)[(kind, username)] = (credential, sid, user_id, time.time())


def saved_login(app, kind: str, username: str) -> str | None:
    """The cookie or token of an earlier sign-in of `username`, if its login session is still open
    (checked as the app checks it on every request) and well within the idle and token lifetimes."""
    saved = _saved_logins(app).get((kind, username))
    if saved is None:
        return None
    credential, sid, user_id, at = saved
    margin = min(app.config["SESSION_IDLE_MINUTES"] * 60, app.config["JWT_ACCESS_TOKEN_EXPIRES"]) / 2
    if time.time() - at > margin:
        return None

    def still_open():
        from app.extensions import db
        from app.security.sessions import user_of_open_session

        with app.app_context():
            try:
                return user_of_open_session(db.session, sid, user_id, kind=kind) is not None
            finally:
                db.session.remove()

    if not contextvars.Context().run(still_open):  # outside any context the test holds
        del _saved_logins(app)[(kind, username)]
        return None
    return credential


@pytest.fixture
def clients(app):
    return RoleClients(app)


@pytest.fixture
def factory(app):
    """Builders of business records for tests (kept in tests/factories.py)."""
    from tests.factories import Factory

    with app.app_context():
        yield Factory(app)

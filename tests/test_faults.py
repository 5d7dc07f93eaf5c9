"""Faults: the database going away and coming back, an exception in the middle of a workflow step,
a PDF or Excel builder failing. The user gets a Chinese message, nothing is half-written, and the
app recovers without a restart."""
from __future__ import annotations

import contextlib
from pathlib import Path
import re

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN_URL

TRACE = re.compile(r"Traceback|psycopg|sqlite3|OperationalError|SELECT |connection refused", re.I)


def snapshot(app) -> dict:
    """Row counts of every table and the letter counter: "nothing changed" made checkable."""
    from flask_appbuilder import Model

    from app.extensions import db

    with app.app_context():
        db.session.remove()
        with db.engine.connect() as conn:
            counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                      for t in Model.metadata.sorted_tables if t.name not in ("audit_log", "login_session")}
            counts["doc_counter.last"] = conn.execute(text("SELECT COALESCE(SUM(last_number), 0) FROM doc_counter")).scalar_one()
    return counts


@contextlib.contextmanager
def database_down(app):
    """Stop the database for this app: PostgreSQL refuses new connections and every existing one
    is terminated (as a server restart does); SQLite cannot be opened. Restored on exit."""
    from app.extensions import db

    with app.app_context():
        engine = db.engine
        db.session.remove()
    if engine.dialect.name == "postgresql":
        name = make_url(str(engine.url)).database
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
        try:
            yield
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            admin.dispose()
    else:
        import sqlite3

        def refuse(dialect, conn_rec, cargs, cparams):
            raise sqlite3.OperationalError("unable to open database file")

        engine.dispose()  # pooled connections go, as they would with the file gone
        event.listen(engine, "do_connect", refuse)
        try:
            yield
        finally:
            event.remove(engine, "do_connect", refuse)


def test_database_down_gives_a_chinese_503_and_the_app_recovers_by_itself(app, clients, factory):
    matter = factory.matter(status="draft", title="数据库恢复后仍在")
    office_web, office_api = clients.web("office"), clients.api("office")
    assert office_web.get("/matter/list/").status_code == 200
    with database_down(app):
        for attempt in range(2):  # stays down: every request answers 503, none hangs or 500s
            response = office_web.get("/matter/list/")
            html = response.get_data(as_text=True)
            assert response.status_code == 503, (attempt, html[:500])
            assert "数据库暂时无法连接" in html and not TRACE.search(html)
            assert response.headers["Content-Type"].startswith("text/html")
            response = office_api.get("/api/v1/item/")
            assert response.status_code == 503 and "数据库暂时无法连接" in response.json["message"]
            assert not TRACE.search(str(response.json))
        response = app.test_client().get("/login/")
        assert response.status_code in (200, 503)  # the login page itself needs no database
    # back: the very next requests work, with the same sessions and tokens (pool_pre_ping reconnects)
    response = office_web.get("/matter/list/")
    assert response.status_code == 200 and "数据库恢复后仍在" in response.get_data(as_text=True)
    assert office_api.get(f"/api/v1/item/{matter.id}").status_code == 200


def test_connections_killed_under_the_app_are_replaced_transparently(app, clients):
    """A database restart between two requests (existing connections dead, server up again):
    pool_pre_ping notices and the user never sees an error."""
    office = clients.web("office")
    assert office.get("/matter/list/").status_code == 200
    with database_down(app):
        pass
    assert office.get("/matter/list/").status_code == 200
    assert office.get("/meeting/list/").status_code == 200


def test_a_failing_workflow_step_leaves_no_half_written_record(app, clients, factory, monkeypatch):
    """send_matter numbers the letter, changes the status, logs an event and notifies the first
    unit — then notifying the second unit fails. Page and API: a Chinese 500, nothing written."""
    import app.services.notifications as notifications

    matter = factory.matter(status="draft", co=("县市场监管局",), deadline=__import__("datetime").date(2099, 1, 1))
    matter_id, version = matter.id, matter.version_id
    before = snapshot(app)
    real, calls = notifications.notify_unit, []

    def notify_then_fail(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("mail relay exploded")
        return real(*args, **kwargs)

    monkeypatch.setattr(notifications, "notify_unit", notify_then_fail)
    response = clients.web("office").post(f"/matter/send/{matter_id}", data={"note": "请办理"})
    assert response.status_code == 500 and "系统错误" in response.get_data(as_text=True)
    assert "mail relay" not in response.get_data(as_text=True)
    assert len(calls) == 2  # the failure really came after partial changes
    calls.clear()
    response = clients.api("office").post(f"/api/v1/item/{matter_id}/send", json={"note": "请办理"})
    assert response.status_code == 500 and "已记录" in response.json["message"]
    assert len(calls) == 2
    assert snapshot(app) == before
    from app.extensions import db
    from app.models import Matter

    db.session.remove()
    stored = db.session.get(Matter, matter_id)
    assert stored.status == "draft" and stored.letter_number in (None, "") and stored.version_id == version
    # the step works once the fault is gone, and takes the first number (none was burnt)
    monkeypatch.setattr(notifications, "notify_unit", real)
    response = clients.api("office").post(f"/api/v1/item/{matter_id}/send", json={"note": "请办理"})
    assert response.status_code == 200, response.json
    db.session.remove()
    assert db.session.get(Matter, matter_id).status == "sent"
    assert snapshot(app)["doc_counter.last"] == before["doc_counter.last"] + 1


@pytest.mark.parametrize("target,url", [
    ("app.pdf.build_letter", "/matter/letter/{matter}"),
    ("app.pdf.build_minutes", "/minutes/pdf/{minutes}"),
    ("app.services.ledger.write_workbook", "/caseview/ledger/xlsx"),
    ("app.services.ledger.write_workbook", "/caseview/export/xlsx"),
])
def test_a_failing_pdf_or_excel_builder_changes_nothing(sqlite_app, target, url, monkeypatch):
    from tests.conftest import RoleClients
    from tests.factories import Factory

    app = sqlite_app
    with app.app_context():
        f = Factory(app)
        case = f.case(is_major_sensitive=True)
        matter = f.matter(status="sent", case_id=case.id)
        minutes = f.minutes(f.meeting(units=("县税务局",), status="held"), distributed_to=("县税务局",))
        ids = {"matter": matter.id, "minutes": minutes.id}
    url = url.format(**ids)
    office = RoleClients(app).web("office")
    assert office.get(url).status_code == 200  # works before
    before = snapshot(app)

    def broken(*args, **kwargs):
        raise MemoryError("renderer ran out of memory at /srv/secret/path")

    monkeypatch.setattr(target, broken)
    response = office.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "系统错误" in html and "secret" not in html
    assert response.mimetype == "text/html"
    assert snapshot(app) == before


KILLED_WORKER = r'''
import os, signal, sys
sys.path.insert(0, os.getcwd())
from tests.conftest import build_test_app
from app.extensions import db
from app import models as m
from app.services import matters

app = build_test_app(sys.argv[1])
with app.app_context():
    matter = db.session.get(m.Matter, int(sys.argv[2]))
    office = db.session.query(m.AppUser).filter_by(username="office").one()
    matters.send_matter(db.session, matter, office, "请办理")
    db.session.flush()  # numbered, status changed, events and notifications written — not committed
    print("flushed", matter.letter_number, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # the worker dies mid-request
'''


def test_a_worker_killed_mid_request_leaves_no_half_written_record(app, factory, tmp_path):
    """A separate process does a workflow step up to the flush and is SIGKILLed before the commit:
    the database holds none of it, is not left locked, and the step then succeeds normally."""
    import datetime as dt
    import subprocess
    import sys

    from app.extensions import db
    from app.models import Matter

    matter = factory.matter(status="draft", deadline=dt.date(2099, 1, 1))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    before = snapshot(app)
    script = tmp_path / "worker.py"
    script.write_text(KILLED_WORKER)
    done = subprocess.run([sys.executable, str(script), url, str(matter.id)], capture_output=True, text=True,
                          timeout=120, cwd=str(Path(__file__).resolve().parent.parent))
    assert done.returncode == -9, done.stderr[-2000:]
    assert "flushed" in done.stdout
    assert snapshot(app) == before
    db.session.remove()
    stored = db.session.get(Matter, matter.id)
    assert stored.status == "draft" and not stored.letter_number
    from app.services import matters

    office = db.session.query(__import__("app.models", fromlist=["AppUser"]).AppUser).filter_by(username="office").one()
    matters.send_matter(db.session, stored, office, "请办理")
    db.session.commit()  # no lock left behind by the dead worker
    assert snapshot(app)["doc_counter.last"] == before["doc_counter.last"] + 1

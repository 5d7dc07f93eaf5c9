"""`flask backup create` / `flask backup restore`: data made, backed up, restored into an EMPTY
database (and an empty uploads folder) of a fresh app — every row of every table comes back, and
the restored app serves the records. SQLite through the online backup API; PostgreSQL through
pg_dump -Fc / pg_restore (when they are on PATH)."""
from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import _TMP, PASSWORD, _create_pg_database, build_test_app


def table_rows(app) -> dict[str, list[tuple]]:
    from flask_appbuilder import Model

    from app.extensions import db

    with app.app_context():
        db.session.remove()
        with db.engine.connect() as conn:
            return {t.name: sorted(tuple(str(v) for v in row) for row in conn.execute(select(t)))
                    for t in Model.metadata.sorted_tables}


def make_business_data(app, factory) -> dict:
    from app.extensions import db
    from app.models import Attachment

    case = factory.case(enterprise_name="备份恢复测试有限公司")
    matter = factory.matter(title="备份后必须还在的事项", case_id=case.id, co=("县市场监管局",))
    meeting = factory.meeting(units=("县税务局",), title="备份测试会议")
    factory.minutes(meeting, distributed_to=("县税务局",))
    uploads = Path(app.config["UPLOAD_FOLDER"])
    stored = f"backup-test/{uuid.uuid4().hex}.pdf"
    (uploads / stored).parent.mkdir(parents=True, exist_ok=True)
    (uploads / stored).write_bytes(b"%PDF-1.4 backup test")
    columns = {c.key for c in Attachment.__table__.columns}
    values = {"owner_type": "matter", "owner_id": matter.id, "filename": "回函.pdf", "stored_name": stored,
              "size": 20, "content_type": "application/pdf"}
    attachment = Attachment(**{k: v for k, v in values.items() if k in columns})
    try:
        factory.add(attachment)
    except Exception:  # the attachment model names its columns differently: the file alone is enough
        db.session.rollback()
    return {"matter": matter.id, "title": matter.title, "file": stored}


def _restore_target(backend):
    """A fresh app on an EMPTY database and an empty uploads folder."""
    uploads = tempfile.mkdtemp(prefix="restored-uploads-", dir=_TMP)
    if backend == "sqlite":
        url, drop = f"sqlite:///{os.path.join(_TMP, 'restored-' + uuid.uuid4().hex[:6] + '.db')}", None
    else:
        url, drop = _create_pg_database()
    return build_test_app(url, UPLOAD_FOLDER=uploads), drop


def test_backup_and_restore_into_an_empty_database(app, factory, tmp_path):
    backend = app.config["DB_BACKEND"]
    if backend == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore not on PATH")
    made = make_business_data(app, factory)
    before = table_rows(app)
    assert before["matter"] and before["minutes"] and before["bankruptcy_case" if "bankruptcy_case" in before else "case"]

    output = tmp_path / ("fyld-test.db" if backend == "sqlite" else "fyld-test.dump")
    result = app.test_cli_runner().invoke(args=["backup", "create", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert output.is_file() and (tmp_path / "fyld-test-uploads.tar.gz").is_file()
    assert "数据库备份" in result.output

    target, drop = _restore_target(backend)
    try:
        with target.app_context():
            from app.extensions import db

            assert db.inspect(db.engine).get_table_names() == []  # really empty
        with target.app_context():  # the test holds the source app's context: name the target's
            result = target.test_cli_runner().invoke(args=["backup", "restore", str(output), "--yes"])
        assert result.exit_code == 0, result.output
        assert "恢复完成" in result.output
        after = table_rows(target)
        assert after == before  # every row of every table, users and permissions included
        restored_file = Path(target.config["UPLOAD_FOLDER"]) / made["file"]
        assert restored_file.read_bytes() == b"%PDF-1.4 backup test"
        client = target.test_client()
        assert client.post("/login/", data={"username": "office", "password": PASSWORD}).status_code == 302
        page = client.get(f"/matter/show/{made['matter']}")
        assert page.status_code == 200 and made["title"] in page.get_data(as_text=True)
    finally:
        with target.app_context():
            from app.extensions import db

            db.session.remove()
            db.engine.dispose()
        if drop:
            drop()


def _sqlite_matter(app, title):
    from tests.factories import Factory

    with app.app_context():
        Factory(app).matter(title=title)


def test_sqlite_backup_is_consistent_while_the_app_writes(sqlite_app, tmp_path):
    """The online backup copes with WAL: a record committed just before is in the copy."""
    from app.cli.backup import check_sqlite_backup, sqlite_backup
    from app.extensions import db

    _sqlite_matter(sqlite_app, "刚刚提交的事项")
    with sqlite_app.app_context():
        source = Path(db.engine.url.database)
    target = tmp_path / "copy.db"
    sqlite_backup(source, target)
    assert check_sqlite_backup(target)
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("SELECT count(*) FROM matter WHERE title = '刚刚提交的事项'").fetchone()[0] == 1
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    finally:
        conn.close()


def test_restore_refuses_a_bad_file_and_asks_before_overwriting(sqlite_app, tmp_path):
    _sqlite_matter(sqlite_app, "不能被覆盖的事项")
    before = table_rows(sqlite_app)
    runner = sqlite_app.test_cli_runner()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    result = runner.invoke(args=["backup", "restore", str(junk), "--yes"])
    assert result.exit_code != 0 and "不是有效的" in result.output
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    result = runner.invoke(args=["backup", "restore", str(other), "--yes"])
    assert result.exit_code != 0 and "不是本系统" in result.output
    result = runner.invoke(args=["backup", "restore", str(tmp_path / "missing.db"), "--yes"])
    assert result.exit_code != 0
    good = tmp_path / "good.db"
    assert runner.invoke(args=["backup", "create", "--output", str(good)]).exit_code == 0
    result = runner.invoke(args=["backup", "restore", str(good)], input="n\n")
    assert result.exit_code != 0  # answered no: aborted
    assert table_rows(sqlite_app) == before


def test_default_backup_name_and_place(sqlite_app):
    result = sqlite_app.test_cli_runner().invoke(args=["backup", "create"])
    assert result.exit_code == 0, result.output
    backups = Path(sqlite_app.instance_path) / "backups"
    files = sorted(backups.glob("fyld-*.db"))
    assert files and files[-1].name[5:13].isdigit() and files[-1].name[13] == "-"
    assert Path(str(files[-1])[:-3] + "-uploads.tar.gz").is_file()
    for path in backups.glob("fyld-*"):
        path.unlink()

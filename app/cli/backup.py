"""`flask backup create [--output FILE]` / `flask backup restore FILE [--yes]`.

SQLite: the online backup API (a consistent copy while the app keeps running, WAL included) to
instance/backups/fyld-YYYYmmdd-HHMMSS.db, plus the uploads folder as fyld-…-uploads.tar.gz next to it.
PostgreSQL: `pg_dump -Fc` to a .dump file when pg_dump is on PATH (else the command prints the
procedure), restored with `pg_restore --clean --if-exists`. docs/operations.md documents both.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

backup_group = click.Group("backup", help="备份与恢复（数据库和上传文件）")


def _database_url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _sqlite_path(url) -> Path:
    if not url.database or url.database == ":memory:":
        raise click.ClickException("内存数据库无法备份")
    return Path(url.database).resolve()


def uploads_archive_for(backup_file: Path) -> Path:
    name = backup_file.name
    for suffix in (".db", ".dump"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return backup_file.with_name(name + "-uploads.tar.gz")


def sqlite_backup(source: Path, target: Path) -> None:
    """Copy a live SQLite database page by page (sqlite3.Connection.backup): consistent even while
    other connections write, unlike copying the file (which would miss the -wal file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(partial)
    try:
        with dst:
            src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        dst.close()
        src.close()
    os.replace(partial, target)


def check_sqlite_backup(path: Path) -> str:
    """Refuse anything that is not an intact backup of this product; returns its schema revision."""
    if not path.is_file():
        raise click.ClickException(f"备份文件不存在：{path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            status = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone() if "alembic_version" in tables else None
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"不是有效的 SQLite 备份文件：{exc}")
    if status != "ok":
        raise click.ClickException(f"备份文件已损坏（integrity_check: {status}）")
    if revision is None or not {"ab_user", "matter"} <= tables:
        raise click.ClickException("该文件不是本系统的数据库备份（缺少 alembic_version / ab_user / matter）")
    return revision[0]


def sqlite_restore(backup: Path, target: Path) -> None:
    """Replace the live database's content with the backup's, through the backup API (page copy under
    SQLite's own locking: other connections wait, never read a half-copied file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def archive_uploads(folder: Path, archive: Path) -> int:
    count = 0
    with tarfile.open(archive, "w:gz") as tar:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    tar.add(path, arcname=str(path.relative_to(folder)))
                    count += 1
    return count


def extract_uploads(archive: Path, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        tar.extractall(folder, members=members, filter="data")  # no absolute paths, no "..", no links
    return len(members)


def _default_output(kind: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(current_app.instance_path) / "backups" / f"fyld-{stamp}.{kind}"


PG_PROCEDURE = """PostgreSQL 备份与恢复：
  备份：pg_dump -Fc -f fyld-YYYYmmdd-HHMMSS.dump "$DATABASE_URL"
  恢复：pg_restore --clean --if-exists --no-owner -d "$DATABASE_URL" fyld-YYYYmmdd-HHMMSS.dump
  上传文件：tar -czf fyld-…-uploads.tar.gz -C "$UPLOAD_FOLDER" .（恢复：tar -xzf … -C "$UPLOAD_FOLDER"）"""


def _pg_url(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@backup_group.command("create")
@click.option("--output", "output", type=click.Path(dir_okay=False), help="备份文件路径（默认 instance/backups/fyld-时间.db）")
@with_appcontext
def create_command(output):
    """备份数据库和上传文件。"""
    url = _database_url()
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    if url.get_backend_name() == "sqlite":
        target = Path(output) if output else _default_output("db")
        sqlite_backup(_sqlite_path(url), target)
    elif url.get_backend_name() == "postgresql":
        target = Path(output) if output else _default_output("dump")
        if shutil.which("pg_dump") is None:
            click.echo(PG_PROCEDURE)
            raise click.ClickException("未找到 pg_dump：请按上述步骤手工备份")
        target.parent.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(target), _pg_url(url)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise click.ClickException(f"pg_dump 失败：{result.stderr.strip()}")
    else:
        raise click.ClickException(f"不支持的数据库：{url.get_backend_name()}")
    files = archive_uploads(uploads, uploads_archive_for(target))
    click.echo(f"数据库备份：{target}")
    click.echo(f"上传文件（{files} 个）：{uploads_archive_for(target)}")


@backup_group.command("restore")
@click.argument("backup_file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="不再确认，直接覆盖当前数据库")
@with_appcontext
def restore_command(backup_file, yes):
    """用备份替换当前数据库（和上传文件）。"""
    from app.extensions import db

    url = _database_url()
    backup = Path(backup_file)
    backend = url.get_backend_name()
    if backend == "sqlite":
        revision = check_sqlite_backup(backup)
        click.echo(f"备份有效（数据库版本 {revision}）")
    elif backend == "postgresql":
        if not backup.is_file():
            raise click.ClickException(f"备份文件不存在：{backup}")
        if shutil.which("pg_restore") is None:
            click.echo(PG_PROCEDURE)
            raise click.ClickException("未找到 pg_restore：请按上述步骤手工恢复")
        listing = subprocess.run(["pg_restore", "--list", str(backup)], capture_output=True, text=True)
        if listing.returncode != 0 or "alembic_version" not in listing.stdout:
            raise click.ClickException("该文件不是本系统的 pg_dump -Fc 备份")
    else:
        raise click.ClickException(f"不支持的数据库：{backend}")
    if not yes:
        click.confirm(f"将用 {backup} 覆盖当前数据库 {url.render_as_string(hide_password=True)}，继续？", abort=True)
    db.session.remove()
    db.engine.dispose()  # no pooled connection keeps the old content open
    if backend == "sqlite":
        sqlite_restore(backup, _sqlite_path(url))
    else:
        result = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                                 "-d", _pg_url(url), str(backup)], capture_output=True, text=True)
        if result.returncode != 0:
            raise click.ClickException(f"pg_restore 失败：{result.stderr.strip()}")
    archive = uploads_archive_for(backup)
    if archive.is_file():
        files = extract_uploads(archive, Path(current_app.config["UPLOAD_FOLDER"]))
        click.echo(f"已恢复上传文件 {files} 个")
    from app.services import calendar, settings

    calendar.invalidate()
    settings.invalidate()
    click.echo("恢复完成。")

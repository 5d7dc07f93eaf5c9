"""Speed at scale: build a database of N demo cases, then time every main page in-process.

    .venv/bin/python bench/run_bench.py --cases 20000 --db sqlite|postgresql|both [--reuse] [--repeat 15]
    .venv/bin/python bench/run_bench.py --cases 100000 --db both --seed-only     (time `seed demo` alone)
    make bench                                                                  (BENCH_CASES, BENCH_DB)

For each page of PAGES it reports the median and p95 server time over repeated requests (Flask test
client: the whole WSGI stack, no network), the number of SQL statements per request (a
`before_cursor_execute` listener on the engine), and the page's *floor*: its slowest SELECT, captured
with its parameters and re-run alone on the same database. A page far above its floor spends its time
in Python (templates, N+1 loading, serialisation); a page near its floor needs a better query or index.
Results go to bench/results/latest-<db>.md (the latest run is committed, the machine described).

The database is made the way an installation makes it — `flask db upgrade`, `seed load`, `seed demo
--cases N`, `users add` — in subprocesses, so this process holds only the app, like a web worker.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
WORK = Path(os.environ.get("BENCH_DIR", "/tmp/fyld-bench"))
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL") or os.environ.get("TEST_DATABASE_URL") or \
    "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "correct horse battery staple"
USERS = [("bench_admin", "Admin", None), ("bench_office", "Office", None), ("bench_convener", "Convener", None),
         ("bench_viewer", "Viewer", None), ("bench_tax", "UnitStaff", "县税务局")]
ROLE_USER = {"admin": "bench_admin", "office": "bench_office", "convener": "bench_convener",
             "viewer": "bench_viewer", "unit": "bench_tax"}

# Targets (issue 8) by kind of page: median ms, max ratio to the floor, max queries.
TARGETS = {
    "list": (100, 3.0, 10), "dashboard": (100, 3.0, 10), "matter": (50, None, 10),
    "minutes_pdf": (150, None, None), "letter_pdf": (50, None, None), "export": (5000, None, None),
}


@dataclass
class Page:
    """One measured page. `url` may name {matter} and {minutes} (resolved from the data);
    `api` pages use a JWT client. Pages other branches build: fix their URL here when they land."""

    name: str
    role: str
    url: str
    kind: str
    api: bool = False
    repeat: int | None = None


PAGES = [
    Page("事项列表（第1页，默认排序）", "office", "/matter/list/", "list"),
    Page("事项列表（筛选：办理中＋标题含“职工”）", "office", "/matter/list/?_flt_3_status=in_progress&_flt_2_title=职工", "list"),
    Page("事项列表（成员单位视角）", "unit", "/matter/list/", "list"),
    Page("单位收件箱（本单位待办）", "unit", "/matter/inbox", "list"),
    Page("督办台", "office", "/matter/supervise", "list"),
    Page("案件列表", "office", "/caseview/list/", "list"),
    Page("重大敏感案件台账", "office", "/caseview/ledger/", "list"),
    Page("会议列表", "office", "/meeting/list/", "list"),
    Page("纪要列表", "office", "/minutes/list/", "list"),
    Page("API 事项列表", "office", "/api/v1/item/?q=(page_size:20)", "list", api=True),
    Page("API 事项列表（成员单位）", "unit", "/api/v1/item/?q=(page_size:20)", "list", api=True),
    Page("API 案件列表", "office", "/api/v1/case/?q=(page_size:20)", "list", api=True),
    *[Page(f"工作台（{role}）", role, "/", "dashboard") for role in ("admin", "office", "convener", "viewer", "unit")],
    Page("事项页（含办理记录）", "office", "/matter/show/{matter}", "matter"),
    Page("纪要 PDF（约10页）", "office", "/api/v1/minutes/{minutes}/pdf", "minutes_pdf", api=True),
    Page("函告 PDF", "office", "/api/v1/item/{matter}/letter", "letter_pdf", api=True),
    Page("案件台账 Excel 导出", "office", "/api/v1/case/ledger.xlsx", "export", api=True, repeat=3),
]


# --- databases ---------------------------------------------------------------------------------
def database_url(db: str, cases: int) -> str:
    if db == "sqlite":
        WORK.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{WORK / f'bench-{cases}.db'}"
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN_URL).set(database=f"fyld_bench_{cases}").render_as_string(hide_password=False)


def drop_and_create(db: str, url: str, create: bool = True) -> None:
    if db == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        if create:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def flask(url: str, *args: str) -> float:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-secret"),
           "INSTANCE_PATH": str(WORK / "instance")}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "flask", "--app", "run", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.PIPE if args[0] == "users" else None)
    return time.perf_counter() - started


def build_database(db: str, cases: int, reuse: bool) -> dict:
    """Fresh database of `cases` demo cases (or the one from an earlier run with --reuse)."""
    url = database_url(db, cases)
    marker = WORK / f"bench-{db}-{cases}.json"
    if reuse and marker.exists():
        flask(url, "db", "upgrade")  # a kept database gets the migrations added since it was built
        analyze(db, url)
        return json.loads(marker.read_text())
    drop_and_create(db, url)
    info = {"url": url, "cases": cases}
    info["upgrade_s"] = flask(url, "db", "upgrade")
    info["seed_load_s"] = flask(url, "seed", "load")
    info["seed_demo_s"] = flask(url, "seed", "demo", "--cases", str(cases))
    for username, role, unit in USERS:
        flask(url, "users", "add", "--username", username, "--password", PASSWORD, "--role", role,
              *(["--unit", unit] if unit else []))
    analyze(db, url)
    WORK.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(info))
    return info


def analyze(db: str, url: str) -> None:
    """Planner statistics and the visibility map for every table, as autovacuum keeps them on a
    server in use (bulk loads by COPY leave some tables without statistics — PostgreSQL then picks
    bad plans — and without a visibility map, so no index-only scans)."""
    if db != "postgresql":
        return
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")
    engine.dispose()


# --- measuring -----------------------------------------------------------------------------------
@dataclass
class Capture:
    active: bool = False
    statements: list = field(default_factory=list)

    def install(self, engine) -> None:
        from sqlalchemy import event

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            conn.info["_bench_t0"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            if self.active:
                self.statements.append((time.perf_counter() - conn.info.get("_bench_t0", time.perf_counter()),
                                        statement, parameters))


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def make_clients(app):
    web, api = {}, {}

    def web_client(role):
        if role not in web:
            client = app.test_client()
            response = client.post("/login/", data={"username": ROLE_USER[role], "password": PASSWORD})
            assert response.status_code == 302, f"login failed for {role}"
            web[role] = client
        return web[role]

    def api_client(role):
        if role not in api:
            client = app.test_client()
            response = client.post("/api/v1/security/login",
                                   json={"username": ROLE_USER[role], "password": PASSWORD, "provider": "db"})
            assert response.status_code == 200, response.get_data(as_text=True)
            api[role] = (client, {"Authorization": f"Bearer {response.json['access_token']}"})
        return api[role]

    return web_client, api_client


def resolve_ids(app) -> dict:
    """A busy matter (most timeline entries, with a letter) and the longest issued minutes."""
    from sqlalchemy import func, select

    from app import models as m
    from app.extensions import db

    with app.app_context():
        matter = db.session.execute(
            select(m.MatterEvent.matter_id).join(m.Matter, m.Matter.id == m.MatterEvent.matter_id)
            .where(m.Matter.status == "closed").group_by(m.MatterEvent.matter_id)
            .order_by(func.count().desc(), m.MatterEvent.matter_id).limit(1)).scalar()
        minutes = db.session.execute(select(m.Minutes.id).where(m.Minutes.status == "issued")
                                     .order_by(func.length(m.Minutes.body).desc()).limit(1)).scalar()
        return {"matter": matter, "minutes": minutes}


def floor_of(app, statement: str, parameters, repeat: int) -> float:
    """The statement alone, with the same parameters, on a pooled connection: median ms."""
    from app.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                conn.exec_driver_sql(statement, parameters).fetchall()
                times.append((time.perf_counter() - t0) * 1000)
            conn.rollback()
    return statistics.median(times)


def measure(app, capture: Capture, pages: list[Page], repeat: int) -> list[dict]:
    web_client, api_client = make_clients(app)
    ids = resolve_ids(app)
    results = []
    for page in pages:
        url = page.url.format(**ids)
        row = {"name": page.name, "role": page.role, "url": url, "kind": page.kind}
        if page.api:
            client, headers = api_client(page.role)
        else:
            client, headers = web_client(page.role), {}
        n = page.repeat or repeat
        t0 = time.perf_counter()
        response = client.get(url, headers=headers)  # warm-up (caches, first compile)
        if (time.perf_counter() - t0) > 1.0:
            n = min(n, 3)  # a page taking seconds is measured a few times only
        if response.status_code != 200:
            row["status"] = (f"missing ({response.status_code})" if response.status_code in (404, 405)
                             else f"HTTP {response.status_code}")
            results.append(row)
            print(f"{page.name:<40} {row['status']}", flush=True)
            continue
        times, queries, per_statement, last = [], [], {}, {}
        for _ in range(n):
            capture.statements.clear()
            capture.active = True
            t0 = time.perf_counter()
            response = client.get(url, headers=headers)
            response.get_data()
            elapsed = (time.perf_counter() - t0) * 1000
            capture.active = False
            times.append(elapsed)
            queries.append(len(capture.statements))
            for index, (seconds, statement, parameters) in enumerate(capture.statements):
                if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                    per_statement.setdefault((index, statement), []).append(seconds)
                    last[(index, statement)] = parameters
        # The floor: the SELECT with the largest median time over the repeats (robust to one-off stalls).
        repeated = {key: statistics.median(v) for key, v in per_statement.items() if len(v) == n}
        slowest = None
        if repeated:
            key = max(repeated, key=repeated.get)
            slowest = (repeated[key], key[1], last[key])
        row.update(status="ok", median=statistics.median(times), p95=percentile(times, 0.95),
                   queries=max(queries), queries_min=min(queries), bytes=len(response.get_data()))
        if page.kind == "minutes_pdf":
            row["pdf_pages"] = pdf_pages(response.get_data())
        if slowest is not None:
            row["floor"] = floor_of(app, slowest[1], slowest[2], max(5, min(n, 15)))
            row["floor_sql"] = re.sub(r"\s+", " ", slowest[1])[:300]
            row["ratio"] = row["median"] / row["floor"] if row["floor"] > 0 else None
        row["verdict"] = verdict(row)
        results.append(row)
        print(f"{page.name:<40} median {row['median']:8.1f} ms  p95 {row['p95']:8.1f}  queries {row['queries']:3}"
              f"  floor {row.get('floor', 0):7.1f} ms  ×{row.get('ratio') or 0:5.1f}  {row['verdict']}", flush=True)
    return results


def pdf_pages(data: bytes):
    try:
        import io

        from pypdf import PdfReader

        return len(PdfReader(io.BytesIO(data)).pages)
    except Exception:  # pragma: no cover - not a PDF
        return None


def verdict(row: dict) -> str:
    limit_ms, limit_ratio, limit_queries = TARGETS[row["kind"]]
    misses = []
    if row["median"] > limit_ms:
        misses.append(f"> {limit_ms} ms")
    if limit_ratio and row.get("ratio") and row["ratio"] > limit_ratio:
        misses.append(f"> {limit_ratio:g}× floor")
    if limit_queries and row["queries"] > limit_queries:
        misses.append(f"> {limit_queries} queries")
    if row["queries"] != row["queries_min"]:
        misses.append("query count varies")
    return "ok" if not misses else "MISS: " + ", ".join(misses)


# --- the report -----------------------------------------------------------------------------------
def machine(url: str) -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform(), "cores": os.cpu_count()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = re.search(r"model name\s*:\s*(.*)", cpuinfo).group(1)
        mem = Path("/proc/meminfo").read_text()
        info["ram_gb"] = round(int(re.search(r"MemTotal:\s*(\d+)", mem).group(1)) / 1024 / 1024, 1)
        info["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    except (OSError, AttributeError):
        pass
    info["sqlite"] = sqlite3.sqlite_version
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.connect() as conn:
            info["postgresql"] = conn.execute(text("SHOW server_version")).scalar()
        engine.dispose()
    import flask_appbuilder
    import sqlalchemy

    info["sqlalchemy"], info["fab"] = sqlalchemy.__version__, flask_appbuilder.__version__
    return info


def row_counts(app) -> dict:
    from sqlalchemy import func, select

    from app import models as m
    from app.extensions import db

    with app.app_context():
        return {label: db.session.scalar(select(func.count()).select_from(model)) for label, model in
                [("cases", m.Case), ("matters", m.Matter), ("assignments", m.MatterAssignment),
                 ("timeline", m.MatterEvent), ("meetings", m.Meeting), ("minutes", m.Minutes)]}


def rss_mb() -> float | None:
    try:
        return int(re.search(r"VmRSS:\s*(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024
    except (OSError, AttributeError):
        return None


def write_report(db: str, info: dict, mach: dict, counts: dict, results: list[dict], rss: float | None) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    lines = [f"# Bench — {db}, {info['cases']} demo cases", "",
             f"Run {dt.datetime.now():%Y-%m-%d %H:%M}. Machine: {mach.get('cpu')}, {mach.get('cores')} cores, "
             f"{mach.get('ram_gb')} GB RAM, Python {mach['python']}, SQLite {mach['sqlite']}"
             + (f", PostgreSQL {mach['postgresql']}" if "postgresql" in mach else "")
             + f", SQLAlchemy {mach['sqlalchemy']}, Flask-AppBuilder {mach['fab']}. "
             f"Load average at start {' '.join(mach.get('loadavg', []))} (the machine is shared: timings are noisy).",
             "", "Rows: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + ".", ""]
    if info.get("seed_demo_s"):
        lines += [f"`flask seed demo --cases {info['cases']}`: {info['seed_demo_s']:.1f} s "
                  f"(`db upgrade` {info['upgrade_s']:.1f} s, `seed load` {info['seed_load_s']:.1f} s).", ""]
    lines += ["Server time in-process (Flask test client), median and p95 over repeated requests; queries = SQL "
              "statements per request; floor = the page's slowest SELECT re-run alone with the same parameters.", "",
              "| page | role | URL | median ms | p95 ms | queries | floor ms | × floor | verdict |",
              "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for r in results:
        if r.get("status") != "ok":
            lines.append(f"| {r['name']} | {r['role']} | `{r['url']}` | | | | | | {r['status']} |")
            continue
        extra = f" ({r['pdf_pages']} pages)" if r.get("pdf_pages") else ""
        lines.append(f"| {r['name']}{extra} | {r['role']} | `{r['url']}` | {r['median']:.1f} | {r['p95']:.1f} | "
                     f"{r['queries']} | {r.get('floor', 0):.1f} | {r.get('ratio') or 0:.1f} | {r['verdict']} |")
    if rss:
        lines += ["", f"Resident memory of this process (the app, as one worker, after the load): {rss:.0f} MB."]
    lines += ["", "Slowest statement per page (the floor):", ""]
    for r in results:
        if r.get("floor_sql"):
            lines.append(f"- {r['name']}: `{r['floor_sql']}`")
    path = RESULTS / f"latest-{db}.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (RESULTS / f"{db}-{info['cases']}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")  # per size
    return path


def run_one(db: str, cases: int, reuse: bool, repeat: int) -> Path:
    print(f"== {db}: building a database of {cases} cases" + (" (reusing)" if reuse else ""), flush=True)
    info = build_database(db, cases, reuse)
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    os.environ.setdefault("INSTANCE_PATH", str(WORK / "instance"))
    from app import create_app
    from app.extensions import db as sqla

    app = create_app({"SQLALCHEMY_DATABASE_URI": info["url"], "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "AUTH_RATE_LIMITED": False})
    capture = Capture()
    with app.app_context():
        capture.install(sqla.engine)
    mach = machine(info["url"])
    counts = row_counts(app)
    print(f"== {db}: measuring ({counts})", flush=True)
    results = measure(app, capture, PAGES, repeat)
    path = write_report(db, info, mach, counts, results, rss_mb())
    with app.app_context():
        sqla.session.remove()
        sqla.engine.dispose()
    print(f"== written {path.relative_to(ROOT)}", flush=True)
    return path


def seed_only(db: str, cases: int) -> None:
    url = database_url(db, cases)
    drop_and_create(db, url)
    flask(url, "db", "upgrade")
    flask(url, "seed", "load")
    seconds = flask(url, "seed", "demo", "--cases", str(cases))
    mach = machine(url)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"seed-{db}.md"
    path.write_text(
        f"# `flask seed demo --cases {cases}` on {db}\n\n{seconds:.1f} s ({seconds / 60:.1f} min; target < 10 min) on "
        f"{mach.get('cpu')}, {mach.get('cores')} cores, {mach.get('ram_gb')} GB RAM, Python {mach['python']}"
        + (f", PostgreSQL {mach['postgresql']}" if "postgresql" in mach else f", SQLite {mach['sqlite']}")
        + f"; load average before the run {' '.join(mach.get('loadavg', []))}. Run {dt.datetime.now():%Y-%m-%d %H:%M}.\n",
        encoding="utf-8")
    print(f"== {db}: seed demo --cases {cases}: {seconds:.1f} s → {path.relative_to(ROOT)}", flush=True)
    drop_and_create(db, url, create=False)  # a province-sized database is not kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=15, help="requests per page (after one warm-up)")
    parser.add_argument("--reuse", action="store_true", help="reuse the database of an earlier run of the same size")
    parser.add_argument("--seed-only", action="store_true", help="only time `flask seed demo --cases N`")
    args = parser.parse_args()
    for db in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        if args.seed_only:
            seed_only(db, args.cases)
        else:
            run_one(db, args.cases, args.reuse, args.repeat)


if __name__ == "__main__":
    main()

"""Load test: the app under gunicorn (several workers) on PostgreSQL or SQLite, dozens of clients.

    python bench/load_test.py --db sqlite|postgresql|both [--workers 4] [--clients 40] [--duration 60]

Loopback only, bounded in time (--duration, plus the matters in flight) and in requests
(--max-requests). For each database it:
  1. creates a throwaway database (SQLite file in a temp dir; PostgreSQL `fyld_load_*` on
     127.0.0.1:5432, dropped afterwards), migrates it, loads the reference data, creates users;
  2. starts `gunicorn --workers N run:app` on 127.0.0.1:PORT;
  3. runs reader threads (web sessions with CSRF login: home, lists, inbox, 督办台, matter pages,
     letter PDFs; JWT API lists) and workflow threads that carry matters through
     create → send → remind → sign → reply → close over the API with a JWT per role. Each step that
     must happen once is fired twice at the same instant (double send, double sign): exactly one
     may be accepted;
  4. checks: zero 5xx and zero connection errors; every matter's final state equals what its
     accepted requests imply (status, letter number, lead unit's part replied, reminders counted =
     accepted 催办 requests); letter numbers of the year are 1..N without gap or duplicate;
  5. writes bench/results/load-<db>.md and .json, prints a summary, and reports each gunicorn
     worker's resident memory (VmRSS from /proc) at the end.
Exit status 1 when a check fails.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
PG_ADMIN_URL = os.environ.get("LOAD_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "load test password for every role"
UNITS = ["县税务局", "县人社局", "县市场监管局", "县自然资源局", "县住建局", "县公安局"]
STEP_STATUS = {"create": "draft", "send": "sent", "sign": "signed", "reply": "replied", "close": "closed"}

SETUP = r"""
import json, sys
from app import create_app
from app.extensions import db
from app.models.org import Unit
from app.services.seeding import load_reference_data
from app.services.users import create_user
from flask_migrate import upgrade
app = create_app()
with app.app_context():
    upgrade()
    load_reference_data(app.appbuilder)
    users = json.loads(sys.argv[1])
    for name, role, unit in users:
        create_user(username=name, password=sys.argv[2], role=role, unit_name=unit, full_name=name)
    ids = {u.name: u.id for u in db.session.query(Unit)}
    print("UNITS=" + json.dumps(ids, ensure_ascii=False))
"""


# --------------------------------------------------------------------------- HTTP

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)      # kind → seconds
        self.status = Counter()               # HTTP status → count
        self.errors = Counter()               # connection errors by type
        self.server_errors = []               # (method, path, status, body excerpt)
        self.total = 0

    def record(self, kind, method, path, status, seconds, body=b""):
        with self.lock:
            self.total += 1
            self.latency[kind].append(seconds)
            self.status[status] += 1
            if status >= 500 and len(self.server_errors) < 20:
                self.server_errors.append((method, path, status, body[:200].decode("utf-8", "replace")))


class Budget:
    """Stops the run at the deadline or after max requests, whichever comes first."""

    def __init__(self, seconds: float, max_requests: int):
        self.deadline = time.monotonic() + seconds
        self.left = max_requests
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True

    def open(self) -> bool:
        return time.monotonic() < self.deadline and self.left > 0


class Client:
    """One user's HTTP client: a session cookie (pages) or a JWT (API). Loopback only."""

    def __init__(self, port: int, stats: Stats, budget: Budget):
        self.port, self.stats, self.budget = port, stats, budget
        self.cookies: dict[str, str] = {}
        self.token = None

    def request(self, method, path, *, kind="page", json_body=None, form=None, budget=True):
        if budget and not self.budget.take():
            raise BudgetSpent()
        headers = {"Host": f"{HOST}:{self.port}", "Connection": "close"}
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        started = time.monotonic()
        conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            with self.stats.lock:
                self.stats.errors[type(exc).__name__] += 1
            raise
        finally:
            conn.close()
        for value in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        self.stats.record(kind, method, path, response.status, time.monotonic() - started, data)
        return response.status, data

    def login_page(self, username):
        status, html = self.request("GET", "/login/", kind="login", budget=False)
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"', html)
        assert token, "no CSRF token on the login page"
        csrf = (token.group(1) or token.group(2)).decode()
        status, _ = self.request("POST", "/login/", kind="login", budget=False,
                                 form={"username": username, "password": PASSWORD, "csrf_token": csrf})
        assert status == 302, f"page login of {username}: HTTP {status}"
        return self

    def login_api(self, username):
        status, data = self.request("POST", "/api/v1/security/login", kind="login", budget=False,
                                    json_body={"username": username, "password": PASSWORD, "provider": "db"})
        assert status == 200, f"API login of {username}: HTTP {status} {data[:200]!r}"
        self.token = json.loads(data)["access_token"]
        return self


class BudgetSpent(Exception):
    pass


# --------------------------------------------------------------------------- the run

class Run:
    def __init__(self, port, unit_ids, stats, budget, seed):
        self.port, self.unit_ids, self.stats, self.budget = port, unit_ids, stats, budget
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.matters: dict[int, dict] = {}    # id → {"unit", "steps": [accepted], "reminds", "double": {...}}
        self.matter_ids: list[int] = []
        self.anomalies: list[str] = []

    def note(self, text):
        with self.lock:
            if len(self.anomalies) < 50:
                self.anomalies.append(text)

    # --- readers ---------------------------------------------------------------------------
    def reader(self, username, pages, rng):
        web = Client(self.port, self.stats, self.budget).login_page(username)
        api = Client(self.port, self.stats, self.budget).login_api(username)
        while self.budget.open():
            choice = rng.random()
            ids = self.matter_ids
            try:
                if choice < 0.15 and ids:
                    api.request("GET", "/api/v1/item/?" + urlencode({"q": json.dumps({"page_size": 20, "page": 0})}),
                                kind="api-read")
                elif choice < 0.45 and ids:
                    status, _ = web.request("GET", f"/matter/show/{rng.choice(ids)}")
                    if status not in (200, 404):  # 404: another unit's matter, for unit users
                        self.note(f"{username} matter page HTTP {status}")
                elif choice < 0.48 and ids:
                    web.request("GET", f"/matter/letter/{rng.choice(ids)}", kind="pdf")
                else:
                    path = rng.choice(pages)
                    status, _ = web.request("GET", path)
                    if status != 200:
                        self.note(f"{username} {path} HTTP {status}")
            except BudgetSpent:
                return
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)

    # --- workflow ----------------------------------------------------------------------------
    def worker(self, n, office: Client, units: dict[str, Client], rng):
        deadline = (dt.date.today() + dt.timedelta(days=20)).isoformat()
        pool = ThreadPoolExecutor(max_workers=3)
        try:
            while self.budget.open():
                unit = rng.choice(list(units))
                try:
                    self.one_matter(n, office, units[unit], unit, deadline, pool, rng)
                except BudgetSpent:
                    return
                except (OSError, http.client.HTTPException) as exc:
                    self.note(f"worker {n}: {type(exc).__name__}")
        finally:
            pool.shutdown(wait=True)

    def _twice(self, pool, client, path, kind):
        """The same step fired twice at once (a double click, a retry): at most one may be accepted."""
        futures = [pool.submit(client.request, "POST", path, kind=kind, json_body={}) for _ in range(2)]
        return [f.result()[0] for f in futures]

    def one_matter(self, n, office, unit_client, unit, deadline, pool, rng):
        title = f"负载测试事项 w{n}-{uuid.uuid4().hex[:8]}"
        status, data = office.request("POST", "/api/v1/item/", kind="api-write", json_body={
            "title": title, "lead_unit": self.unit_ids[unit], "deadline": deadline,
            "content": "负载测试：请签收并函复。", "source": "office"})
        if status != 201:
            self.note(f"create HTTP {status}: {data[:120]!r}")
            return
        pk = json.loads(data)["id"]
        record = {"unit": unit, "title": title, "steps": ["create"], "reminds": 0, "double": {}}
        with self.lock:
            self.matters[pk] = record
            self.matter_ids.append(pk)

        def step(name, statuses):
            ok = statuses.count(200)
            if ok:
                record["steps"].append(name)
            return ok

        codes = self._twice(pool, office, f"/api/v1/item/{pk}/send", "api-write")
        record["double"]["send"] = sorted(codes)
        if step("send", codes) != 1:
            self.note(f"matter {pk}: double send answered {codes}")
            return
        # 催办 1–3 times, at once: every accepted one must leave a reminder
        k = rng.randint(1, 3)
        futures = [pool.submit(office.request, "POST", f"/api/v1/item/{pk}/remind", kind="api-write",
                               json_body={"note": "请加快办理"}) for _ in range(k)]
        codes = [f.result()[0] for f in futures]
        record["reminds"] = codes.count(200)
        if record["reminds"] != k:
            self.note(f"matter {pk}: remind answered {codes}")
        codes = self._twice(pool, unit_client, f"/api/v1/item/{pk}/sign", "api-write")
        record["double"]["sign"] = sorted(codes)
        if step("sign", codes) != 1:
            self.note(f"matter {pk}: double sign answered {codes}")
            return
        status, data = unit_client.request("POST", f"/api/v1/item/{pk}/reply", kind="api-write",
                                           json_body={"content": "已办理完毕。", "result": "已办结"})
        if status != 200:
            self.note(f"matter {pk}: reply HTTP {status} {data[:120]!r}")
            return
        record["steps"].append("reply")
        status, data = office.request("POST", f"/api/v1/item/{pk}/close", kind="api-write", json_body={"note": "办结"})
        if status != 200:
            self.note(f"matter {pk}: close HTTP {status} {data[:120]!r}")
            return
        record["steps"].append("close")


# --------------------------------------------------------------------------- databases

def make_database(kind: str, tmp: Path):
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'load.db'}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"fyld_load_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url, drop


def final_state(url: str) -> dict:
    """Read back every matter, its lead part and its reminders straight from the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        matters = {r.id: dict(r._mapping) for r in conn.execute(text(
            "SELECT id, title, status, letter_number, lead_unit_id FROM matter"))}
        parts = defaultdict(list)
        for r in conn.execute(text("SELECT matter_id, unit_id, role, status FROM matter_assignment")):
            parts[r.matter_id].append(dict(r._mapping))
        reminders = Counter(r.matter_id for r in conn.execute(text("SELECT matter_id FROM reminder")))
        counters = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM doc_counter"))]
    engine.dispose()
    return {"matters": matters, "parts": parts, "reminders": reminders, "counters": counters}


def verify(run: Run, state: dict, year: int) -> list[str]:
    problems = []
    matters = state["matters"]
    for pk, rec in run.matters.items():
        row = matters.get(pk)
        if row is None:
            problems.append(f"matter {pk} accepted but not in the database")
            continue
        expected = STEP_STATUS[rec["steps"][-1]]
        if row["status"] != expected:
            problems.append(f"matter {pk}: status {row['status']}, accepted requests imply {expected}")
        if ("send" in rec["steps"]) != bool(row["letter_number"]):
            problems.append(f"matter {pk}: letter number {row['letter_number']!r} after steps {rec['steps']}")
        if row["lead_unit_id"] != run.unit_ids[rec["unit"]]:
            problems.append(f"matter {pk}: lead unit changed")
        lead = [p for p in state["parts"][pk] if p["role"] == "lead"]
        want_part = "replied" if "reply" in rec["steps"] else "signed" if "sign" in rec["steps"] else "pending"
        if len(lead) != 1 or lead[0]["status"] != want_part:
            problems.append(f"matter {pk}: lead part {lead}, expected {want_part}")
        if state["reminders"].get(pk, 0) != rec["reminds"]:
            problems.append(f"matter {pk}: {state['reminders'].get(pk, 0)} reminders stored, "
                            f"{rec['reminds']} 催办 accepted")
    extra = set(matters) - set(run.matters)
    if extra:
        problems.append(f"{len(extra)} matters in the database that no accepted request created: {sorted(extra)[:10]}")
    numbers = []
    for row in matters.values():
        if row["letter_number"]:
            found = re.search(rf"〔{year}〕(\d+)号", row["letter_number"])
            if not found:
                problems.append(f"unexpected letter number {row['letter_number']!r}")
                continue
            numbers.append(int(found.group(1)))
    duplicates = [n for n, c in Counter(numbers).items() if c > 1]
    if duplicates:
        problems.append(f"duplicate letter numbers: {sorted(duplicates)[:10]}")
    if numbers and sorted(set(numbers)) != list(range(1, len(set(numbers)) + 1)):
        missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        problems.append(f"gaps in letter numbers: missing {missing[:10]} (max {max(numbers)}, {len(numbers)} letters)")
    return problems


# --------------------------------------------------------------------------- gunicorn

def worker_memory(master_pid: int) -> list[dict]:
    """VmRSS of the master and of each worker (children of the master), from /proc."""
    def rss(pid):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
        except OSError:
            return None
        return None

    out = [{"pid": master_pid, "role": "master", "rss_mb": rss(master_pid)}]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == master_pid:
            out.append({"pid": int(entry.name), "role": "worker", "rss_mb": rss(int(entry.name))})
    return out


def wait_until_up(port: int, proc, seconds=90):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer in time")


# --------------------------------------------------------------------------- one database

def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_one(kind: str, args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"fyld-load-{kind}-"))
    url, drop = make_database(kind, tmp)
    env = {**os.environ, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp), "SECRET_KEY": uuid.uuid4().hex * 2,
           "UPLOAD_FOLDER": str(tmp / "uploads"), "AUTH_RATE_LIMITED": "0", "RATELIMIT_ENABLED": "0",
           "PYTHONPATH": str(ROOT)}
    python = sys.executable
    gunicorn = Path(python).parent / "gunicorn"
    proc = None
    try:
        users = [["office", "Office", None], ["convener", "Convener", None], ["viewer", "Viewer", None]]
        unit_users = {unit: f"unit{i}" for i, unit in enumerate(UNITS)}
        users += [[name, "UnitStaff", unit] for unit, name in unit_users.items()]
        t0 = time.monotonic()
        out = subprocess.run([python, "-c", SETUP, json.dumps(users), PASSWORD], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError("setup failed:\n" + out.stderr[-3000:])
        unit_ids = json.loads(next(l for l in out.stdout.splitlines() if l.startswith("UNITS="))[6:])
        setup_s = time.monotonic() - t0
        log = open(tmp / "gunicorn.log", "w")
        proc = subprocess.Popen([str(gunicorn), "--workers", str(args.workers), "--bind", f"{HOST}:{args.port}",
                                 "--timeout", "120", "--graceful-timeout", "10", "run:app"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until_up(args.port, proc)
        load_before = [round(x, 2) for x in os.getloadavg()]  # other work on the machine skews the numbers
        memory_start = worker_memory(proc.pid)

        stats = Stats()
        budget = Budget(args.duration, args.max_requests)
        run = Run(args.port, unit_ids, stats, budget, seed=args.seed)
        n_workers = max(1, args.clients * 6 // 10)
        n_readers = max(1, args.clients - n_workers)
        office_pages = ["/", "/matter/list/", "/matter/supervise", "/meeting/list/", "/matter/list/?_flt_0_status=sent"]
        unit_pages = ["/", "/matter/inbox", "/matter/list/", "/meeting/list/"]
        readers = []
        for i in range(n_readers):
            who = ["office", "convener", "viewer"][i % 3] if i % 2 == 0 else unit_users[UNITS[i % len(UNITS)]]
            pages = unit_pages if who.startswith("unit") else office_pages
            readers.append(threading.Thread(target=run.reader, args=(who, pages, random.Random(args.seed + i)),
                                            daemon=True))
        workers = []
        for i in range(n_workers):
            office = Client(args.port, stats, budget).login_api("office")
            units = {u: Client(args.port, stats, budget).login_api(unit_users[u]) for u in UNITS}
            workers.append(threading.Thread(target=run.worker, args=(i, office, units,
                                                                    random.Random(args.seed * 1000 + i)), daemon=True))
        started = time.monotonic()
        budget.deadline = started + args.duration
        for t in readers + workers:
            t.start()
        for t in readers + workers:
            t.join(timeout=args.duration + 300)
        elapsed = time.monotonic() - started
        memory_end = worker_memory(proc.pid)
        state = final_state(url)
        problems = verify(run, state, dt.date.today().year)
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        drop()
    server_log = (tmp / "gunicorn.log").read_text(errors="replace") if (tmp / "gunicorn.log").exists() else ""
    shutil.rmtree(tmp, ignore_errors=True)

    five_xx = sum(c for s, c in stats.status.items() if s >= 500)
    if five_xx:
        problems.insert(0, f"{five_xx} responses with 5xx: {stats.server_errors[:5]}")
    if stats.errors:
        problems.insert(0, f"connection errors: {dict(stats.errors)}")
    doubles = Counter(tuple(v) for rec in run.matters.values() for v in rec["double"].values())
    closed = sum(1 for rec in run.matters.values() if rec["steps"][-1] == "close")
    result = {
        "database": kind, "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "loadavg_before": load_before, "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
        "gunicorn_workers": args.workers, "clients": args.clients, "readers": n_readers, "workflow_clients": n_workers,
        "duration_s": round(elapsed, 1), "setup_s": round(setup_s, 1),
        "requests": stats.total, "throughput_rps": round(stats.total / elapsed, 1),
        "status_counts": {str(k): v for k, v in sorted(stats.status.items())},
        "connection_errors": dict(stats.errors),
        "latency_ms": {k: {"n": len(v), "p50": round(percentile(v, 50) * 1000), "p95": round(percentile(v, 95) * 1000),
                           "p99": round(percentile(v, 99) * 1000), "max": round(max(v) * 1000)}
                       for k, v in sorted(stats.latency.items())},
        "matters": {"created": len(run.matters), "closed": closed,
                    "letters": sum(1 for r in state["matters"].values() if r["letter_number"]),
                    "reminders_accepted": sum(r["reminds"] for r in run.matters.values()),
                    "reminders_stored": sum(state["reminders"].values()),
                    "double_submissions": {" / ".join(map(str, k)): v for k, v in doubles.items()}},
        "workflow_anomalies": run.anomalies,
        "memory_mb": {"start": memory_start, "end": memory_end},
        "problems": problems,
        "ok": not problems,
        "server_log_tail": [l for l in server_log.splitlines() if "Traceback" in l or "ERROR" in l][:10],
    }
    return result


def write_results(result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    kind = result["database"]
    (RESULTS / f"load-{kind}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    lat = result["latency_ms"]
    m = result["matters"]
    lines = [
        f"# 负载测试结果：{ 'PostgreSQL' if kind == 'postgresql' else 'SQLite (WAL)' }",
        "",
        f"- 时间：{result['date']}；机器：{result['machine']['cpus']} 核，Python {result['machine']['python']}"
        + (f"；开始前系统负载 {result['machine']['loadavg_before'][0]}" if result['machine'].get('loadavg_before') else ""),
        f"- gunicorn {result['gunicorn_workers']} 个工作进程（sync）；并发客户端 {result['clients']} 个"
        f"（页面与 API 读取 {result['readers']}，办理流程 {result['workflow_clients']}）；持续 {result['duration_s']} 秒",
        f"- 请求 {result['requests']} 次，{result['throughput_rps']} 次/秒；状态码 {result['status_counts']}；"
        f"连接错误 {result['connection_errors'] or 0}",
        f"- 协调事项：创建 {m['created']}，办结 {m['closed']}，函告文号 {m['letters']} 个；"
        f"催办受理 {m['reminders_accepted']} 次，库中催办记录 {m['reminders_stored']} 条",
        f"- 同一步骤同时提交两次（重复函告、重复签收）的应答：{m['double_submissions']}",
        "",
        "| 请求类别 | 次数 | p50 ms | p95 ms | p99 ms | 最大 ms |",
        "|---|---|---|---|---|---|",
    ]
    for k, v in lat.items():
        lines.append(f"| {k} | {v['n']} | {v['p50']} | {v['p95']} | {v['p99']} | {v['max']} |")
    lines += ["", "工作进程常驻内存（VmRSS，MB）：", "",
              "| 进程 | 开始 | 结束 |", "|---|---|---|"]
    start = {p["pid"]: p for p in result["memory_mb"]["start"]}
    for p in result["memory_mb"]["end"]:
        before = start.get(p["pid"], {}).get("rss_mb", "")
        lines.append(f"| {p['role']} {p['pid']} | {before} | {p['rss_mb']} |")
    lines += ["", "## 检查", ""]
    if result["ok"]:
        lines.append("全部通过：无 5xx、无连接错误；每个事项的最终状态、文号、牵头单位签收函复状态、催办记录数"
                     "与被受理的请求一致；当年函告文号从 1 连续编号，无缺号、无重号。")
    else:
        lines += [f"- ✗ {p}" for p in result["problems"]]
    if result["workflow_anomalies"]:
        lines += ["", "流程中被拒绝的请求（非 5xx）：", ""] + [f"- {a}" for a in result["workflow_anomalies"][:20]]
    (RESULTS / f"load-{kind}.md").write_text("\n".join(lines) + "\n")


def summary(result: dict) -> str:
    m = result["matters"]
    lat = result["latency_ms"]
    parts = ", ".join(f"{k} p95 {v['p95']} ms" for k, v in lat.items() if k != "login")
    rss = [p["rss_mb"] for p in result["memory_mb"]["end"] if p["role"] == "worker"]
    return (f"[{result['database']}] {'OK' if result['ok'] else 'FAILED'}: {result['requests']} requests in "
            f"{result['duration_s']} s ({result['throughput_rps']}/s), statuses {result['status_counts']}; "
            f"{m['created']} matters, {m['closed']} closed, {m['letters']} letters, "
            f"{m['reminders_stored']}/{m['reminders_accepted']} reminders; {parts}; worker RSS {rss} MB"
            + ("" if result["ok"] else "\n  " + "\n  ".join(result["problems"][:10])))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=40, help="concurrent client threads")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--max-requests", type=int, default=50_000, help="hard cap on requests")
    parser.add_argument("--port", type=int, default=5108)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not (1 <= args.clients <= 200 and 0 < args.duration <= 600):
        parser.error("clients must be 1..200 and duration at most 600 s")
    ok = True
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        result = run_one(kind, args)
        write_results(result)
        print(summary(result), flush=True)
        ok = ok and result["ok"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Look inside one page: its SQL statements (time, text) on a bench database.

    .venv/bin/python bench/probe.py URL [--role office] [--db sqlite|postgresql] [--cases 20000] [--repeat 3] [-v]

Uses the database `run_bench.py` built (run it once, or with --seed-only… no: with --reuse).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_bench as rb  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--role", default="office")
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--api", action="store_true")
    parser.add_argument("-v", action="store_true", help="print whole statements")
    parser.add_argument("--explain", type=float, default=None, metavar="MS",
                        help="print the plan of statements slower than MS (SQLite: EXPLAIN QUERY PLAN; "
                             "PostgreSQL: EXPLAIN ANALYZE)")
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    os.environ.setdefault("INSTANCE_PATH", str(rb.WORK / "instance"))
    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": rb.database_url(args.db, args.cases), "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "AUTH_RATE_LIMITED": False})
    capture = rb.Capture()
    with app.app_context():
        capture.install(db.engine)
    web, api = rb.make_clients(app)
    ids = rb.resolve_ids(app)
    url = args.url.format(**ids)
    client, headers = api(args.role) if args.api else (web(args.role), {})
    r = client.get(url, headers=headers)
    print("status", r.status_code, len(r.get_data()), "bytes")
    times = []
    for _ in range(args.repeat):
        capture.statements.clear()
        capture.active = True
        t0 = time.perf_counter()
        client.get(url, headers=headers).get_data()
        times.append((time.perf_counter() - t0) * 1000)
        capture.active = False
    print(f"median {statistics.median(times):.1f} ms  ({', '.join(f'{t:.0f}' for t in times)}); "
          f"{len(capture.statements)} statements, {sum(s for s, *_ in capture.statements) * 1000:.1f} ms in SQL")
    for seconds, statement, params in capture.statements:
        text = re.sub(r"\s+", " ", statement)
        print(f"{seconds * 1000:8.1f} ms  {text if args.v else text[:220]}" + (f"  {params}" if args.v else ""))
        if args.explain is not None and seconds * 1000 >= args.explain:
            explain(app, statement, params)


def explain(app, statement, params) -> None:
    from app.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
            for row in conn.exec_driver_sql(prefix + statement, params):
                print("            | " + " ".join(str(c) for c in row))
            conn.rollback()


if __name__ == "__main__":
    main()

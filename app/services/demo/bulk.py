"""Writing the demo rows fast: rows as plain dicts in a `Batch`, primary keys handed out here (`Ids`),
per-year numbers continued from the database (`Counters`), and a writer thread that stores batch i
(COPY on PostgreSQL, executemany on SQLite) while batch i+1 is built."""
from __future__ import annotations

import queue
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import func, select, text

from app import models as m
from app.services.identifiers import parse_case_number

from app.services.demo.vocabulary import COURT, PROVINCE


CHUNK_ROWS = 5000  # rows per executemany

# Tables in insert order (parents before children).
TABLE_ORDER = [
    "bankruptcy_case", "case_progress", "assessment", "disposal_plan", "plan_measure",
    "coordination_group", "group_member", "group_log", "research_project", "research_unit",
    "meeting", "meeting_unit", "proposal", "proposal_unit", "meeting_topic", "attendance",
    "minutes", "minutes_distribution", "decision", "decision_co_unit",
    "matter", "matter_assignment", "matter_event", "extension_request", "reminder",
    "policy", "bulletin", "bulletin_section", "bulletin_distribution",
    "evaluation", "evaluation_entry", "clue_report",
    "case_assignment", "coordination_request", "request_unit", "check_line",
]
ID_TABLES = [t for t in TABLE_ORDER if not t.endswith("_unit")]
COUNT_LABELS = {
    "bankruptcy_case": "案件", "matter": "协调事项", "matter_assignment": "承办单位", "matter_event": "办理记录",
    "extension_request": "延期申请", "reminder": "催办", "meeting": "会议", "minutes": "纪要", "decision": "议定事项",
    "case_progress": "案件进展", "assessment": "风险评估", "disposal_plan": "处置方案", "coordination_group": "协调组",
    "research_project": "调研", "proposal": "提案", "policy": "政策", "bulletin": "通报", "evaluation": "评价",
    "case_assignment": "案件承办人员", "coordination_request": "协调申请", "check_line": "核查事项",
}


@dataclass
class Batch:
    rows: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, **row) -> dict:
        self.rows[table].append(row)
        return row


class Ids:
    """Primary keys handed out here, starting after the largest id (and PostgreSQL sequence) in use."""

    def __init__(self, conn, dialect: str):
        self.next: dict[str, int] = {}
        self.dialect = dialect
        for name in ID_TABLES:
            start = conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {name}")).scalar_one()
            if dialect == "postgresql":
                seq = conn.execute(text(f"SELECT pg_get_serial_sequence('{name}', 'id')")).scalar()
                if seq:
                    last, called = conn.execute(text(f"SELECT last_value, is_called FROM {seq}")).one()
                    start = max(start, last if called else last - 1)
            self.next[name] = start + 1
        self.first = dict(self.next)

    def __call__(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value

    def sync_sequences(self, conn) -> None:
        if self.dialect != "postgresql":
            return
        for name in ID_TABLES:
            if self.next[name] > self.first[name]:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), :v)"),
                             {"v": self.next[name] - 1})


class Counters:
    """Per-year sequences continued from the database: case numbers, documents, meeting numbers."""

    def __init__(self, conn):
        self.case_seq: dict[int, int] = defaultdict(int)
        for (number,) in conn.execute(select(m.Case.case_number)):
            try:
                parsed = parse_case_number(number)
            except ValueError:
                continue
            if parsed.province == PROVINCE and parsed.court == COURT and parsed.kind == "破":
                self.case_seq[parsed.year] = max(self.case_seq[parsed.year], parsed.seq)
        self.doc: dict[tuple[str, int], int] = defaultdict(int)
        for kind, year, last in conn.execute(select(m.DocCounter.kind, m.DocCounter.year, m.DocCounter.last_number)):
            self.doc[(kind, year)] = last
        # Documents numbered outside the counter (should not happen) must not collide either.
        for kind, model in (("letter", m.Matter), ("minutes", m.Minutes), ("bulletin", m.Bulletin)):
            year_col = model.letter_year if model is m.Matter else model.year
            seq_col = model.letter_seq if model is m.Matter else model.seq
            for year, top in conn.execute(select(year_col, func.max(seq_col)).where(year_col.is_not(None)).group_by(year_col)):
                self.doc[(kind, year)] = max(self.doc[(kind, year)], top or 0)
        # Meeting numbers (第N次 per year and kind) use the counters the workflow uses (meetings.assign_number).
        for kind, year, top in conn.execute(select(m.Meeting.kind, m.Meeting.year, func.max(m.Meeting.seq))
                                            .where(m.Meeting.year.is_not(None)).group_by(m.Meeting.kind, m.Meeting.year)):
            self.doc[(f"meeting-{kind}", year)] = max(self.doc[(f"meeting-{kind}", year)], top or 0)
        top_total = conn.execute(select(func.max(m.Bulletin.total_seq))).scalar() or 0
        self.doc[("bulletin_total", 0)] = max(self.doc[("bulletin_total", 0)], top_total)
        self.evaluation_years = {y for (y,) in conn.execute(select(m.Evaluation.year))}
        self.doc_touched: set[tuple[str, int]] = set()

    def next_case(self, year: int) -> str:
        self.case_seq[year] += 1
        return f"（{year}）{PROVINCE}{COURT}破{self.case_seq[year]}号"

    def next_doc(self, kind: str, year: int) -> int:
        self.doc[(kind, year)] += 1
        self.doc_touched.add((kind, year))
        return self.doc[(kind, year)]

    def next_meeting(self, kind: str, year: int) -> int:
        return self.next_doc(f"meeting-{kind}", year)

    def next_bulletin_total(self) -> int:
        """总第N期 of bulletins: one counter for all years (bulletins.issue_bulletin uses year 0)."""
        return self.next_doc("bulletin_total", 0)


def _write(conn, batch: Batch, counts: dict[str, int]) -> None:
    """Write a batch in the connection's transaction, by the fastest path each database offers.

    PostgreSQL: COPY … FROM STDIN (psycopg 3), an order of magnitude faster than INSERTs.
    SQLite: the driver's executemany with values converted once by SQLAlchemy's own bind processors
    (so dates and numbers are stored exactly as the ORM stores them). Others: Core executemany.
    """
    dialect = conn.dialect
    raw = conn.connection.dbapi_connection
    for name in TABLE_ORDER:
        rows = batch.rows.get(name)
        if not rows:
            continue
        table = m.Model.metadata.tables[name]
        keys = list(rows[0])
        columns = [table.c[k] for k in keys]
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            cursor = raw.cursor()
            with cursor.copy(f"COPY {name} ({', '.join(keys)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row([r[k] for k in keys])
            cursor.close()
        elif dialect.name == "sqlite":
            procs = [c.type._cached_bind_processor(dialect) for c in columns]
            pairs = [(k, p) for k, p in zip(keys, procs)]
            sql = f"INSERT INTO {name} ({', '.join(keys)}) VALUES ({', '.join('?' for _ in keys)})"
            cursor = raw.cursor()
            for i in range(0, len(rows), CHUNK_ROWS):
                cursor.executemany(sql, [tuple(p(r[k]) if p else r[k] for k, p in pairs)
                                         for r in rows[i:i + CHUNK_ROWS]])
            cursor.close()
        else:  # pragma: no cover - other databases
            for i in range(0, len(rows), CHUNK_ROWS):
                conn.execute(table.insert(), rows[i:i + CHUNK_ROWS])
        counts[name] += len(rows)


def _save_counters(conn, values: dict[tuple[str, int], int]) -> None:
    """Move the DocCounter rows on to the last number used, never back (a concurrent send may be ahead)."""
    table = m.DocCounter.__table__
    greatest = func.max if conn.dialect.name == "sqlite" else func.greatest
    for (kind, year), value in sorted(values.items()):
        updated = conn.execute(table.update().where(table.c.kind == kind, table.c.year == year)
                               .values(last_number=greatest(table.c.last_number, value)))
        if updated.rowcount == 0:
            conn.execute(table.insert().values(kind=kind, year=year, last_number=value))


class _Writer(threading.Thread):
    """Writes batch i on its own connection while the caller builds batch i+1: two cores, both busy.

    The database driver releases the GIL while the server (or SQLite's C code) works, so generating and
    writing overlap. One batch in flight at most; the first error stops the run and is re-raised.
    """

    def __init__(self, engine):
        super().__init__(name="demo-writer", daemon=True)
        self.engine = engine
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.counts: dict[str, int] = defaultdict(int)
        self.error: Optional[BaseException] = None

    def run(self) -> None:
        try:
            with self.engine.connect() as conn:
                if conn.dialect.name == "sqlite":
                    # Demo data only: no fsync per batch, and a page cache big enough for the growing
                    # indexes (the default 2 MB makes every index insert a read from the OS).
                    conn.exec_driver_sql("PRAGMA synchronous=OFF")
                    conn.exec_driver_sql("PRAGMA cache_size=-262144")
                while (item := self.queue.get()) is not None:
                    batch, doc_values = item
                    if conn.dialect.name == "postgresql":
                        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                    _write(conn, batch, self.counts)
                    _save_counters(conn, doc_values)
                    conn.commit()
                if conn.dialect.name == "sqlite":
                    conn.exec_driver_sql("PRAGMA synchronous=FULL")
                    conn.exec_driver_sql("PRAGMA cache_size=-2000")
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            self.error = exc
            while self.queue.get() is not None:  # let the producer finish without blocking
                pass

    def put(self, batch: Batch, doc_values: dict) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((batch, doc_values))

    def finish(self) -> dict[str, int]:
        self.queue.put(None)
        self.join()
        if self.error is not None:
            raise self.error
        return self.counts

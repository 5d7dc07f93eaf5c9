"""`generate_demo`: the run — reference data, then batches of cases with their matters, requests and
meetings, each numbered and handed to the writer thread, then the evaluation's metrics."""
from __future__ import annotations

import datetime as dt
import json
import random
from typing import Optional

from sqlalchemy import func, select

from app import models as m
from app.extensions import db
from app.services.identifiers import format_doc_number

from app.services.demo.bulk import COUNT_LABELS, Batch, Counters, Ids, _Writer
from app.services.demo.generator import DemoGenerator
from app.services.demo.reference import Ref, demo_people, read_reference
from app.services.demo.values import _acceptance_dates, _workday


BATCH_CASES = 1000  # cases per transaction (≈ 10 000 matters, 20 000 parts, 40 000 timeline rows)
MEETINGS_PER_CASE = 0.1  # a meeting (joint or special) per ten cases


def _number_letters(batch: Batch, ref: Ref, counters: Counters) -> None:
    """Letter numbers in the order the letters were sent (per year), continuing the DocCounter."""
    sent = sorted((r for r in batch.rows.get("matter", []) if r["sent_at"] is not None), key=lambda r: (r["sent_at"], r["id"]))
    for r in sent:
        year = r["sent_at"].year
        seq = counters.next_doc("letter", year)
        r.update(letter_year=year, letter_seq=seq,
                 letter_number=format_doc_number(ref.org_short, ref.letter_prefix, year, seq))


def finish_evaluation(session, evaluation_id: int, year: int, today: dt.date) -> None:
    """The demo evaluation's metrics by the real computation, so its pages and PDF read the same
    shape ({key: {label, value, derivation}}) as an evaluation the office computes."""
    from app.services.evaluation import compute_unit_metrics

    entries = session.query(m.EvaluationEntry).filter(m.EvaluationEntry.evaluation_id == evaluation_id).all()
    metrics = compute_unit_metrics(session, year, [e.unit for e in entries], on=today)
    for entry in entries:
        entry.metrics = json.dumps(metrics[entry.unit_id], ensure_ascii=False)
    session.commit()


def generate_demo(case_count: int, random_seed: int = 2026, today: Optional[dt.date] = None,
                  progress=None, users_password: Optional[str] = None) -> dict[str, int]:
    """Add `case_count` demo cases with their matters, meetings, assessments … ; returns rows added per kind."""
    session = db.session
    today = today or dt.date.today()
    ref = read_reference(session)
    ref.judge_ids, ref.trustee_ids = demo_people(session, users_password)
    session.commit()
    with db.engine.connect() as conn:
        dialect = conn.dialect.name
        ids = Ids(conn, dialect)
        counters = Counters(conn)
        existing = conn.execute(select(func.count()).select_from(m.Case)).scalar_one()
        conn.rollback()
    # Seeded by the number of cases already there too, so a second run adds other companies, not copies.
    rng = random.Random(f"{random_seed}:{existing}")
    gen = DemoGenerator(session, ref, ids, counters, rng, today)
    dates = _acceptance_dates(rng, case_count, today)
    writer = _Writer(db.engine)
    writer.start()
    try:
        sample_cases: list[dict] = []
        meeting_credit = 1.0  # the first batch always gets the (long) joint meeting
        for start in range(0, case_count, BATCH_CASES):
            b = Batch()
            cases = [gen.make_case(b, accepted) for accepted in dates[start:start + BATCH_CASES]]
            accepted_cases = [c for c in cases if c["acceptance_date"]] or cases
            for case in cases:
                gen.case_extras(b, case)
                for _ in range(rng.randint(7, 12) if case["acceptance_date"] else rng.randint(0, 2)):
                    gen.make_matter(b, case)
                gen.case_requests(b, case)
            meeting_credit += len(cases) * MEETINGS_PER_CASE
            first = min((c["acceptance_date"] for c in accepted_cases if c["acceptance_date"]), default=today)
            planned = []
            while meeting_credit >= 1:
                meeting_credit -= 1
                kind = "joint" if len(planned) % 4 == 0 else "special"
                day = _workday(first + dt.timedelta(days=rng.randint(0, max(0, (today - first).days + 20))))
                long_minutes = not gen.long_minutes_done  # one ≈10-page joint minutes per run, for the PDF bench
                if long_minutes:
                    kind, day = "joint", _workday(today - dt.timedelta(days=rng.randint(20, 60)))
                    gen.long_minutes_done = True
                planned.append((day, kind, long_minutes))
            for day, kind, long_minutes in sorted(planned):  # meeting numbers follow the dates
                gen.make_meeting(b, accepted_cases, kind, day, long_minutes=long_minutes)
            if not sample_cases:
                sample_cases = accepted_cases[:5]
                gen.make_once(b, sample_cases)
            _number_letters(b, ref, counters)
            writer.put(b, {key: counters.doc[key] for key in counters.doc_touched})
            counters.doc_touched.clear()
            if progress:
                progress(min(case_count, start + BATCH_CASES), case_count)
    finally:
        counts = writer.finish()
    if gen.evaluation_id is not None:
        finish_evaluation(session, gen.evaluation_id, gen.eval_year, today)
    with db.engine.connect() as conn:
        ids.sync_sequences(conn)
        if dialect == "postgresql":
            for name in ("bankruptcy_case", "matter", "matter_assignment", "matter_event"):
                conn.exec_driver_sql(f"ANALYZE {name}")
        conn.commit()
    return {COUNT_LABELS.get(k, k): v for k, v in counts.items() if k in COUNT_LABELS}

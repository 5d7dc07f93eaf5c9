"""Render timing of a 10-page minutes PDF built from the records (query + layout + PDF).

    python bench/meetings_bench.py [N]      (default N = 20; target: median < 150 ms)

Builds a throwaway SQLite database with one held meeting, 19 signed-in units, a long body and four
decisions, registers the fonts once, then times app.services.meetings.minutes_pdf N times.
"""
from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
TMP = tempfile.mkdtemp(prefix="meetings-bench-")
os.environ.setdefault("INSTANCE_PATH", TMP)

from tests.conftest import build_test_app, prepare_database  # noqa: E402

EXTRA = 42      # extra body paragraphs: with 19 attendees the minutes lay out on exactly 10 pages


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    app = build_test_app(f"sqlite:///{os.path.join(TMP, 'bench.db')}", TESTING=False)  # settings cached as in production
    prepare_database(app)
    from app import models as m
    from app.extensions import db
    from app.pdf import register_fonts, samples
    from app.services import meetings as svc

    with app.app_context():
        units = db.session.query(m.Unit).filter(m.Unit.kind == "member").order_by(m.Unit.sort_order).all()
        meeting = m.Meeting(kind="joint", title="第二次联席会议", status="held", year=2026, seq=2, chair="张某某（副县长）",
                            start_at=dt.datetime(2026, 3, 16, 9))
        meeting.attendances = [m.Attendance(unit=u, status="present", person_name=f"王某{i}", person_title="副局长")
                               for i, u in enumerate(units)]
        minutes = m.Minutes(meeting=meeting, title="关于推进破产重整工作的会议纪要", status="issued", number="平府院联纪〔2026〕2号",
                            year=2026, seq=2, document_date=dt.date(2026, 3, 18), body=samples.minutes(extra_paragraphs=EXTRA).body)
        minutes.decisions = [m.Decision(seq=d.seq, content=d.text, lead_unit=units[d.seq], deadline=dt.date(2026, 4, 30))
                             for d in samples.decisions()]
        minutes.distributions = [m.MinutesDistribution(unit=u, kind="main") for u in units]
        db.session.add(meeting)
        db.session.commit()
        t0 = time.perf_counter()
        register_fonts(app.config.get("PDF_FONT"))
        print(f"register_fonts (once)  {(time.perf_counter() - t0) * 1000:7.1f} ms")
        pdf = svc.minutes_pdf(db.session, minutes)           # warm-up
        from io import BytesIO

        from pypdf import PdfReader

        print(f"minutes document: {len(PdfReader(BytesIO(pdf)).pages)} pages, {len(pdf) // 1024} KiB")
        times = []
        for _ in range(n):
            db.session.expire_all()                          # reload the records each time, as a request does
            t0 = time.perf_counter()
            svc.minutes_pdf(db.session, db.session.get(m.Minutes, minutes.id))
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(f"minutes from records   n={n:<4} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   "
              f"min {times[0]:7.1f} ms   (target: median < 150 ms)")


if __name__ == "__main__":
    main()

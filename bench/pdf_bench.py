"""Render timing of the GB/T 9704 PDF builders.

    python bench/pdf_bench.py [N]      (default N = 30)

Registers fonts once, then renders a 10-page minutes document and a one-page letter N times each
and prints median / p95 in milliseconds of wall time, and the median of CPU time (steadier than wall
time on a machine shared with other work).  Targets on a 2-core machine: minutes < 150 ms, letter
< 50 ms median.  The first title that needs breaking loads jieba's dictionary once (reported).
"""
from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from app.pdf import build_letter, build_minutes, register_fonts  # noqa: E402
from app.pdf import samples  # noqa: E402

#: extra numbered paragraphs that make samples.minutes() exactly 10 pages
TEN_PAGE_EXTRA = 42


def timed(fn, n: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def report(name: str, times: tuple[list[float], list[float]]) -> None:
    ms, cpu = sorted(times[0]), times[1]
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    print(f"{name:<22} n={len(ms):<4} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   "
          f"min {ms[0]:7.1f} ms   cpu median {statistics.median(cpu):7.1f} ms")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    t0 = time.perf_counter()
    fonts = register_fonts()
    print(f"register_fonts (once)  {(time.perf_counter() - t0) * 1000:7.1f} ms   body={fonts.body} truetype={fonts.truetype}")
    minutes = samples.minutes(extra_paragraphs=TEN_PAGE_EXTRA)
    letter = samples.letter()
    t0 = time.perf_counter()
    pdf = build_minutes(minutes)          # warm-up (width caches, jieba's dictionary)
    print(f"first minutes (warm-up) {(time.perf_counter() - t0) * 1000:7.1f} ms")
    build_letter(letter)
    try:
        from pypdf import PdfReader
        import io
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
    except Exception:                     # pragma: no cover - pypdf missing
        pages = pdf.count(b"/Type /Page\n")
    print(f"minutes document: {pages} pages, {len(pdf) // 1024} KiB")
    report("minutes (10 pages)", timed(lambda: build_minutes(minutes), n))
    report("letter (1 page)", timed(lambda: build_letter(letter), n))


if __name__ == "__main__":
    main()

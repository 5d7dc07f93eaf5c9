"""Convert the Fandol OpenType (CFF) faces into TrueType outlines that reportlab can embed.

reportlab's `TTFont` reads `glyf` outlines only; Fandol (Debian's texlive-lang-chinese, GPL with the
font exception) ships CFF `.otf`.  fontTools turns each cubic outline into quadratic splines (cu2qu)
and writes a TrueType font; this takes 30–80 s per face, so it runs once (`make fonts`, which `make
run`, `make test` and `.ci/run` reach) and the result is cached under `cache_dir()`, its file name
keyed by the source file (path, size, mtime), the converter version and fontTools' version.  A
second run finds the cached file and does nothing.

    python -m app.pdf.fontbuild [--jobs 2] [--cache DIR]     # exit 0 also when Fandol is absent
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)

#: bump when the conversion changes, so cached files are rebuilt
CONVERTER_VERSION = "1"
#: Debian package texlive-lang-chinese (fonts/opentype/public/fandol)
FANDOL_DIRS = ["/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol",
               "/usr/share/texmf/fonts/opentype/public/fandol",
               "/usr/local/share/texmf/fonts/opentype/public/fandol"]
#: role -> Fandol file: 仿宋 body, bold 宋 for titles and red marks (小标宋's stand-in), 黑体, 楷体
FANDOL_FACES = {
    "body": "FandolFang-Regular.otf",
    "title": "FandolSong-Bold.otf",
    "heading": "FandolHei-Regular.otf",
    "kai": "FandolKai-Regular.otf",
}
#: quadratic approximation error, in font units (of 1000 per em): invisible at any print size
MAX_ERR = 1.0


def repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cache_dir() -> str:
    """$PDF_FONT_CACHE, else instance/fonts in the checkout (outside git, kept by `make clean`)."""
    return os.environ.get("PDF_FONT_CACHE") or os.path.join(repo_root(), "instance", "fonts")


def fandol_source(role: str) -> str | None:
    name = FANDOL_FACES[role]
    for d in FANDOL_DIRS:
        path = os.path.join(d, name)
        if os.path.isfile(path):
            return path
    return None


def _fonttools_version() -> str:
    try:
        import fontTools

        return fontTools.version
    except ImportError:
        return "none"


def cached_name(source: str) -> str:
    """File name of the converted face: the stem plus a key of everything the result depends on."""
    st = os.stat(source)
    key = f"{os.path.abspath(source)}|{st.st_size}|{st.st_mtime_ns}|{CONVERTER_VERSION}|{_fonttools_version()}"
    stem = os.path.splitext(os.path.basename(source))[0]
    return f"{stem}-{hashlib.sha1(key.encode()).hexdigest()[:12]}.ttf"


def cached_path(source: str, directory: str | None = None) -> str:
    return os.path.join(directory or cache_dir(), cached_name(source))


def convert(source: str, target: str) -> float:
    """Write `source` (CFF OpenType) as TrueType `target`; returns the seconds taken."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    started = time.perf_counter()
    font = TTFont(source)
    if "glyf" in font:
        font.save(target)
        return time.perf_counter() - started
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        # CFF outlines run counter-clockwise, TrueType clockwise
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    maxp.maxComponentDepth = 0
    post = font["post"]
    post.formatType = 3.0          # no glyph names: CID-keyed CFF has none worth keeping
    post.extraNames = []
    post.mapping = {}
    font["head"].glyphDataFormat = 0
    font["head"].indexToLocFormat = 1
    font.sfntVersion = "\x00\x01\x00\x00"
    tmp = target + f".tmp{os.getpid()}"
    font.save(tmp)
    os.replace(tmp, target)          # never leave a half-written face where fonts.py looks
    return time.perf_counter() - started


def _build_one(args: tuple[str, str]) -> tuple[str, float]:
    source, target = args
    return target, convert(source, target)


def build_all(directory: str | None = None, jobs: int = 2, out=None) -> int:
    """Convert every Fandol face not yet in the cache; returns the number converted."""
    out = out or sys.stdout
    directory = directory or cache_dir()
    todo = []
    for role in FANDOL_FACES:
        source = fandol_source(role)
        if source is None:
            print(f"fonts: {FANDOL_FACES[role]} not found (apt-get install texlive-lang-chinese); "
                  f"PDFs use the fallback faces", file=out)
            continue
        target = cached_path(source, directory)
        if os.path.isfile(target):
            continue
        todo.append((source, target))
    if not todo:
        return 0
    os.makedirs(directory, exist_ok=True)
    print(f"fonts: converting {len(todo)} Fandol face(s) to TrueType into {directory} (once, about a minute each)",
          file=out, flush=True)
    started = time.perf_counter()
    if jobs > 1 and len(todo) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
            results = list(pool.map(_build_one, todo))
    else:
        results = [_build_one(t) for t in todo]
    for target, seconds in results:
        print(f"fonts: {os.path.basename(target)} {os.path.getsize(target) / 1e6:.1f} MB in {seconds:.0f} s", file=out)
    print(f"fonts: done in {time.perf_counter() - started:.0f} s", file=out)
    _prune(directory, {t for _, t in todo} | {cached_path(fandol_source(r), directory)
                                              for r in FANDOL_FACES if fandol_source(r)})
    return len(todo)


def _prune(directory: str, keep: set[str]) -> None:
    """Drop converted faces of older keys (another fontTools, a replaced source)."""
    stems = {os.path.splitext(n)[0] for n in FANDOL_FACES.values()}
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if path in keep or not name.endswith(".ttf"):
            continue
        if any(name.startswith(stem + "-") for stem in stems):
            os.remove(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Convert the Fandol faces to TrueType for the PDF documents.")
    ap.add_argument("--cache", help="output directory (default: $PDF_FONT_CACHE or instance/fonts)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    a = ap.parse_args(argv)
    build_all(a.cache, a.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())

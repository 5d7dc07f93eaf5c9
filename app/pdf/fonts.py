"""CJK font discovery and registration for the PDF builders.

`register_fonts()` is cheap after its first call in a process: parsing a TrueType collection costs
~0.1–0.2 s, so the result is cached (keyed by the explicit path and the search lists below, which
tests may monkeypatch).  TrueType fonts are embedded as subsets (reportlab's default); CFF-based
OpenType fonts (.otf, e.g. Noto CJK) cannot be used by reportlab and are skipped.  With no usable
TrueType CJK font the built-in CID font STSong-Light (not embedded) is used for everything.
"""
from __future__ import annotations

import glob
import logging
import os
import threading
from dataclasses import dataclass

from reportlab.pdfbase import pdfmetrics

log = logging.getLogger(__name__)

#: explicit font file: PDF_FONT environment variable (a config value is passed as the argument)
ENV_VAR = "PDF_FONT"
#: Debian packages fonts-arphic-uming / fonts-arphic-ukai / fonts-wqy-zenhei
KNOWN_BODY_PATHS: list[str] = ["/usr/share/fonts/truetype/arphic/uming.ttc"]
KNOWN_KAI_PATHS: list[str] = ["/usr/share/fonts/truetype/arphic/ukai.ttc"]
KNOWN_HEI_PATHS: list[str] = ["/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"]
#: directories globbed (recursively) for any TrueType CJK font when the known paths are missing
FONT_DIRS: list[str] = ["/usr/share/fonts", "/usr/local/share/fonts"]
CID_FALLBACK = "STSong-Light"

_HINTS = ("cjk", "cn", "sc", "zh", "han", "hei", "song", "ming", "kai", "fang", "wqy", "simsun",
          "simhei", "simkai", "noto", "source", "droid", "arphic", "gb")


@dataclass(frozen=True)
class FontSet:
    """Registered reportlab font names for one document style."""
    body: str              # 宋/仿宋 style: body text, titles, red marks
    heading: str           # 黑体 style: first-level headings, table headers
    kai: str               # 楷体 style: second-level headings
    truetype: bool         # False when everything is the CID fallback (not embedded)
    paths: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, str, str]:
        return (self.body, self.heading, self.kai)


_lock = threading.Lock()
_cache: dict[tuple, FontSet] = {}
_registered: dict[str, str] = {}        # font file path -> registered name


def _register_ttf(path: str) -> str | None:
    """Register `path` (TTF, or TTC with subfontIndex 0) once; return its reportlab name or None."""
    if not path:
        return None
    path = os.path.abspath(path)
    if path in _registered:
        return _registered[path]
    if not os.path.isfile(path) or path.lower().endswith((".otf", ".otc", ".pfb", ".woff", ".woff2")):
        return None
    from reportlab.pdfbase.ttfonts import TTFont

    stem = os.path.splitext(os.path.basename(path))[0]
    name = "GBT-" + "".join(ch for ch in stem if ch.isalnum())[:24] + f"-{len(_registered)}"
    try:
        font = TTFont(name, path, subfontIndex=0)
    except Exception as exc:  # CFF outlines, broken files, bitmap-only fonts ...
        log.info("PDF font %s unusable: %s", path, exc)
        return None
    if 0x4E2D not in font.face.charToGlyph:   # no 中: not a CJK font
        log.info("PDF font %s has no CJK glyphs", path)
        return None
    pdfmetrics.registerFont(font)
    _registered[path] = name
    return name


def _first(paths) -> tuple[str | None, str | None]:
    for p in paths:
        name = _register_ttf(p)
        if name:
            return name, p
    return None, None


def _glob_candidates(dirs) -> list[str]:
    found: list[str] = []
    for d in dirs:
        if not d or not os.path.isdir(d):
            continue
        for ext in ("ttf", "ttc", "TTF", "TTC"):
            found.extend(glob.glob(os.path.join(d, "**", f"*.{ext}"), recursive=True))
    hinted = [p for p in found if any(h in os.path.basename(p).lower() for h in _HINTS)]
    rest = [p for p in found if p not in hinted and "dejavu" not in p.lower() and "liberation" not in p.lower()]
    return sorted(set(hinted)) + sorted(set(rest))


def _cid_fallback() -> str:
    if CID_FALLBACK not in pdfmetrics.getRegisteredFontNames():
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return CID_FALLBACK


def register_fonts(pdf_font: str | None = None) -> FontSet:
    """Find, register (once per process) and return the fonts used by every document.

    Order for the body font: `pdf_font` (or $PDF_FONT), the Debian AR PL UMing path, any TrueType
    CJK font under FONT_DIRS, else STSong-Light.  Heading (hei) and kai fonts come from their known
    paths and fall back to the body font.
    """
    explicit = pdf_font or os.environ.get(ENV_VAR) or ""
    key = (explicit, tuple(KNOWN_BODY_PATHS), tuple(KNOWN_KAI_PATHS), tuple(KNOWN_HEI_PATHS), tuple(FONT_DIRS))
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        body = body_path = None
        if explicit:
            body = _register_ttf(explicit)
            body_path = explicit if body else None
            if not body:
                log.warning("PDF_FONT %r is not a usable TrueType CJK font; searching the system", explicit)
        if not body:
            body, body_path = _first(KNOWN_BODY_PATHS)
        hei, hei_path = _first(KNOWN_HEI_PATHS)
        kai, kai_path = _first(KNOWN_KAI_PATHS)
        if not body:
            body, body_path = hei or kai, hei_path or kai_path
        if not body:
            body, body_path = _first(_glob_candidates(FONT_DIRS))
        if body:
            fs = FontSet(body=body, heading=hei or body, kai=kai or body, truetype=True,
                         paths=tuple(p for p in (body_path, hei_path, kai_path) if p))
        else:
            cid = _cid_fallback()
            log.warning("no TrueType CJK font found; PDFs use the non-embedded CID font %s", cid)
            fs = FontSet(body=cid, heading=cid, kai=cid, truetype=False)
        _cache[key] = fs
        return fs


def clear_font_cache() -> None:
    """Forget the cached FontSets (registered reportlab fonts stay registered)."""
    with _lock:
        _cache.clear()

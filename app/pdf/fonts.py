"""The typefaces of the documents, one per role, and their registration with reportlab.

GB/T 9704-2012 names four faces: 仿宋 for the body (`body`), 小标宋 for the title and the red marks
(`title`), 黑体 for first-level headings (`heading`) and 楷体 for second-level ones (`kai`).  The free
stand-ins are the Fandol family (Debian's texlive-lang-chinese, GPL with the font exception):
FandolFang, FandolSong-Bold, FandolHei and FandolKai, converted once to TrueType outlines by
`app.pdf.fontbuild` (reportlab embeds TrueType only).  Fandol covers GB 2312 and some more, not
every character of a person's name (堃喆昇玥珺璟垚犇赟祎彧翀旸 …): those come from the `fallback`
face (AR PL UMing, a 明/宋 face with 27 000 glyphs), then from any other face of the set that has them.

Each role is configurable (`configure(app.config)` or the environment): PDF_FONT (body),
PDF_FONT_TITLE, PDF_FONT_HEADING, PDF_FONT_KAI, PDF_FONT_FALLBACK — a path to a TTF, or a TTC with
`#N` for its N-th face — so an office can name licensed faces (方正小标宋, 仿宋_GB2312 …).  A role
left empty takes, in order, the converted Fandol face, the Debian fonts below, any CJK TrueType font
on the machine, and finally reportlab's built-in CID font STSong-Light (not embedded).

`register_fonts()` is cheap after its first call in a process: the result is cached by the
configured paths and the search lists below (which tests may monkeypatch).
"""
from __future__ import annotations

import glob
import logging
import os
import threading
from dataclasses import dataclass

from reportlab.pdfbase import pdfmetrics

log = logging.getLogger(__name__)

ROLES = ("body", "title", "heading", "kai", "fallback")
#: configuration keys (and environment variables) naming a font file per role
SETTINGS = {"body": "PDF_FONT", "title": "PDF_FONT_TITLE", "heading": "PDF_FONT_HEADING",
            "kai": "PDF_FONT_KAI", "fallback": "PDF_FONT_FALLBACK"}
ENV_VAR = SETTINGS["body"]

#: Debian packages fonts-arphic-uming / fonts-arphic-ukai / fonts-wqy-zenhei
UMING = "/usr/share/fonts/truetype/arphic/uming.ttc"
UKAI = "/usr/share/fonts/truetype/arphic/ukai.ttc"
ZENHEI = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
KNOWN_BODY_PATHS: list[str] = [UMING]
KNOWN_TITLE_PATHS: list[str] = []
KNOWN_KAI_PATHS: list[str] = [UKAI]
KNOWN_HEI_PATHS: list[str] = [ZENHEI]
KNOWN_FALLBACK_PATHS: list[str] = [UMING, ZENHEI, UKAI]
#: directories globbed (recursively) for any TrueType CJK font when nothing else is found
FONT_DIRS: list[str] = ["/usr/share/fonts", "/usr/local/share/fonts"]
CID_FALLBACK = "STSong-Light"

_HINTS = ("cjk", "cn", "sc", "zh", "han", "hei", "song", "ming", "kai", "fang", "wqy", "simsun",
          "simhei", "simkai", "noto", "source", "droid", "arphic", "gb")


@dataclass(frozen=True)
class FontSet:
    """Registered reportlab font names, one per role."""
    body: str              # 仿宋: body text, tables, signatures, 版记
    heading: str           # 黑体: first-level headings, table headers
    kai: str               # 楷体: second-level headings
    truetype: bool         # False when everything is the CID fallback (not embedded)
    paths: tuple[str, ...] = ()
    title: str = ""        # 小标宋 (bold 宋): titles and red marks; the body face when none
    fallback: str = ""     # a large face for characters the others lack

    def __post_init__(self):
        if not self.title:
            object.__setattr__(self, "title", self.body)
        if not self.fallback:
            object.__setattr__(self, "fallback", self.body)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.body, self.title, self.heading, self.kai, self.fallback)


_lock = threading.Lock()
_cache: dict[tuple, FontSet] = {}
_registered: dict[str, str | None] = {}        # "path#index" -> registered name (None: unusable)
_configured: dict[str, str] = {}


def configure(config) -> None:
    """Take the per-role font paths from a Flask config (or any mapping); called by the app factory."""
    with _lock:
        _configured.clear()
        for role, key in SETTINGS.items():
            value = (config.get(key) or "").strip() if hasattr(config, "get") else ""
            if value:
                _configured[role] = value


def _setting(role: str, explicit: str | None = None) -> str:
    return explicit or _configured.get(role) or os.environ.get(SETTINGS[role]) or ""


def _split(spec: str) -> tuple[str, int]:
    """"/x/f.ttc#2" -> ("/x/f.ttc", 2)."""
    path, _, index = spec.partition("#")
    return path, int(index) if index.isdigit() else 0


def _register_ttf(spec: str) -> str | None:
    """Register a TrueType face once; return its reportlab name, or None when it is unusable
    (missing, CFF outlines, bitmap-only, no CJK)."""
    if not spec:
        return None
    path, index = _split(spec)
    path = os.path.abspath(path)
    key = f"{path}#{index}"
    if key in _registered:
        return _registered[key]
    name = None
    if os.path.isfile(path) and not path.lower().endswith((".otf", ".otc", ".pfb", ".woff", ".woff2")):
        from reportlab.pdfbase.ttfonts import TTFont

        stem = os.path.splitext(os.path.basename(path))[0].split("-")[0]
        candidate = "GBT-" + "".join(ch for ch in stem if ch.isalnum())[:24] + f"-{len(_registered)}"
        try:
            font = TTFont(candidate, path, subfontIndex=index)
        except Exception as exc:  # CFF outlines, broken files, bitmap-only fonts ...
            log.info("PDF font %s unusable: %s", key, exc)
        else:
            if 0x4E2D in font.face.charToGlyph:      # has 中: a CJK font
                pdfmetrics.registerFont(font)
                name = candidate
            else:
                log.info("PDF font %s has no CJK glyphs", key)
    _registered[key] = name
    return name


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


def converted_fandol(role: str) -> str | None:
    """The cached TrueType conversion of the role's Fandol face, when `make fonts` has made it."""
    from . import fontbuild

    if role not in fontbuild.FANDOL_FACES:
        return None
    source = fontbuild.fandol_source(role)
    if source is None:
        return None
    path = fontbuild.cached_path(source)
    return path if os.path.isfile(path) else None


def candidates(role: str, explicit: str | None = None) -> list[str]:
    """Font files tried for a role, best first."""
    known = {"body": KNOWN_BODY_PATHS, "title": KNOWN_TITLE_PATHS, "heading": KNOWN_HEI_PATHS,
             "kai": KNOWN_KAI_PATHS, "fallback": KNOWN_FALLBACK_PATHS}[role]
    out = [_setting(role, explicit), converted_fandol(role) or "", *known]
    return [p for p in out if p]


def _first(specs) -> tuple[str | None, str | None]:
    for spec in specs:
        name = _register_ttf(spec)
        if name:
            return name, spec
    return None, None


def register_fonts(pdf_font: str | None = None) -> FontSet:
    """Find, register (once per process) and return the faces of every document.

    `pdf_font` (the PDF_FONT config value) names the body face; the other roles come from
    `configure()` / the environment, the converted Fandol faces and the Debian fonts (see the module
    docstring).  A role with no face of its own borrows the body's.
    """
    from . import fontbuild

    specs = {role: candidates(role, pdf_font if role == "body" else None) for role in ROLES}
    key = (tuple((r, tuple(s)) for r, s in specs.items()), tuple(FONT_DIRS), fontbuild.cache_dir())
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        explicit = _setting("body", pdf_font)
        found = {role: _first(specs[role]) for role in ROLES}
        if explicit and found["body"][1] != explicit:
            log.warning("PDF_FONT %r is not a usable TrueType CJK font; using %s", explicit, found["body"][1])
        body, body_path = found["body"]
        if not body:
            body, body_path = next(((n, p) for n, p in (found["heading"], found["kai"], found["fallback"]) if n),
                                   (None, None))
        if not body:
            body, body_path = _first(_glob_candidates(FONT_DIRS))
        if body:
            names = {role: found[role][0] or body for role in ROLES}
            paths = tuple(dict.fromkeys(p for p in [body_path] + [found[r][1] for r in ROLES[1:]] if p))
            fs = FontSet(body=body, heading=names["heading"], kai=names["kai"], truetype=True, paths=paths,
                         title=names["title"], fallback=names["fallback"])
            if not converted_fandol("body") and not _setting("body", pdf_font):
                log.warning("Fandol TrueType faces not found in %s (run `make fonts`); PDFs use %s",
                            fontbuild.cache_dir(), body_path)
        else:
            cid = _cid_fallback()
            log.warning("no TrueType CJK font found; PDFs use the non-embedded CID font %s", cid)
            fs = FontSet(body=cid, heading=cid, kai=cid, truetype=False, title=cid, fallback=cid)
        _cache[key] = fs
        return fs


def face_name(font: str) -> str:
    """The PostScript name a registered font carries into the PDF (e.g. FandolFang-Regular)."""
    f = pdfmetrics.getFont(font)
    face = getattr(f, "face", None)
    raw = getattr(face, "name", None) if face is not None else None
    if isinstance(raw, bytes):
        return (raw + (getattr(face, "subfontNameX", b"") or b"")).decode("latin-1")   # TTC faces: name-N
    return raw or font


def clear_font_cache() -> None:
    """Forget the cached FontSets (registered reportlab fonts stay registered)."""
    with _lock:
        _cache.clear()

"""Line-layout engine for GB/T 9704-2012 documents (党政机关公文格式), shared by every builder.

No reportlab `Paragraph` is used anywhere: text is measured and broken character by character and
drawn with plain text operators, so user text is always printed literally (never parsed as markup).

Geometry (portrait A4): top margin 37 mm, binding margin 28 mm, text block 156 x 225 mm; 3号 (16 pt)
body, 22 lines per page at a fixed pitch of 225/22 mm, 28 characters per line (a small negative
character spacing makes 28 CJK characters fill exactly 156 mm).  A "line top" below always means the
top of the em box, which is also what pdfplumber/pdfminer report as a character's `top`.

Every glyph's position is decided here, not by the PDF reader: a line is drawn as runs that each
carry their own font, character spacing and origin, and every text object writes its whole text
state (spacing, scaling, rise, render mode), because PDF keeps that state from one text object to
the next.  Justification widens only the gaps next to a CJK character, so Latin words and numbers
("1,100,000.00") keep their natural spacing.  Line breaking follows 禁则: closing punctuation never
starts a line, opening punctuation never ends one, and numbers, "——", case and document numbers
and the names a builder registers (units, people) are not split when they can move whole.

Layout happens first into per-page lists of drawing operations (so blocks can be moved or anchored
to the foot of the last page), then `Doc.render()` writes the PDF.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from itertools import combinations

from reportlab.lib.colors import Color
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from .fonts import FontSet

MM = 72 / 25.4
A4_W, A4_H = 210 * MM, 297 * MM

RED = Color(230 / 255, 0, 0)
BLACK = Color(0, 0, 0)

BODY_SIZE = 16.0            # 3号
TITLE_SIZE = 22.0           # 2号
NOTE_SIZE = 14.0            # 4号: page numbers, 版记
CHARS_PER_LINE = 28
LINES_PER_PAGE = 22


@dataclass(frozen=True)
class Geometry:
    page_w: float
    page_h: float
    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


PORTRAIT = Geometry(A4_W, A4_H, 28 * MM, 37 * MM, 156 * MM, 225 * MM)
# landscape tables: the portrait block turned by 90 degrees (binding side on top)
LANDSCAPE = Geometry(A4_H, A4_W, 37 * MM, 28 * MM, 225 * MM, 156 * MM)

LINE_PITCH = PORTRAIT.height / LINES_PER_PAGE                                   # 28.99 pt
BODY_CS = (PORTRAIT.width - CHARS_PER_LINE * BODY_SIZE) / (CHARS_PER_LINE - 1)  # -0.21 pt
EPS = 0.01

# 禁则: characters that must not start a line / end a line
NO_LINE_START = set("，。、；：？！）》」』”’〕】…%,.;:?!)]}·～—")
NO_LINE_END = set("（《「『“‘〔【([{")
#: two-character marks that are never split ("——" 破折号, "……" 省略号)
PAIRS = ("——", "……")
#: a name or number wider than this (in ems) may still break, at its inner word boundaries: moving
#: more than this to the next line would open wide gaps in the justified line it leaves
KEEP_MAX_EM = 8.0
#: squeezing closing punctuation onto a full line: at most this much tighter per gap, in ems (a
#: reader sees glyphs collide past about 1/12 em)
MAX_SQUEEZE_EM = 0.05
#: a run of Latin letters/digits up to this many characters is never split
WORD_RUN_MAX = 12
_WORDCH = re.compile(r"[0-9A-Za-z.,%@_/\-+#&:]")
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b\ufeff]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
#: （2026）晋0829破7号: the year in brackets may end a line, the rest stays together
_CASE_NO = re.compile(r"[（(]\d{4}[）)][\u4e00-\u9fff]{1,2}\d{3,4}[\u4e00-\u9fff]{1,3}\d+号")
#: 平府院函〔2026〕15号: the prefix may end a line before 〔
_DOC_NO = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［]\d{4}[〕\]］]\d+号")
#: a short note in brackets, （因公出差）, （配合）
_NOTE = re.compile(r"[（(][^（）()]{1,6}[）)]")
#: words that end no title line (关于 …, … 的 …)
_TITLE_NO_END = ("关于", "的", "和", "与", "及", "对", "为", "在", "将", "对于", "有关")
_TITLE_NO_START = ("的",)


# ---------------------------------------------------------------- small text helpers

def cn_date(d: date | None) -> str:
    """2026年3月20日 (GB/T 9704-2012 writes dates in Arabic numerals, no leading zeros)."""
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 105 -> 一百零五."""
    if n < 0:
        return str(n)
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if rest == 0 else ("零" + _DIGITS[rest] if rest < 10 else ("一" + cn_number(rest) if rest < 20 else cn_number(rest)))
        return _DIGITS[n // 100] + "百" + tail
    return str(n)


def clean(text: str | None) -> str:
    """Normalise user text for printing: CRLF, tabs and control characters."""
    if not text:
        return ""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", "  ")
    return _CTRL.sub("", text)


def ensure_period(text: str) -> str:
    text = text.rstrip()
    if text and text[-1] not in "。！？；.!?;":
        text += "。"
    return text


_H1 = re.compile(r"^[一二三四五六七八九十百零〇]+、")
_H2 = re.compile(r"^[（(][一二三四五六七八九十百零〇]+[）)]")
_H3 = re.compile(r"^\d{1,3}[.．、](?!\d)")


def heading_level(line: str) -> int:
    """1 for 一、 / 2 for （一） / 3 for 1. / 0 for body text."""
    if _H1.match(line):
        return 1
    if _H2.match(line):
        return 2
    if _H3.match(line):
        return 3
    return 0


def count_level1(body: str) -> int:
    return sum(1 for ln in clean(body).split("\n") if _H1.match(ln.strip(" \u3000")))


def _isword(ch: str) -> bool:
    return bool(_WORDCH.match(ch))


def is_cjk(ch: str) -> bool:
    return bool(_CJK.match(ch))


# ---------------------------------------------------------------- metrics

class Metrics:
    """Per-font character widths (cached process-wide) and glyph coverage."""

    _widths: dict[str, dict[str, float]] = {}
    _cover: dict[str, object] = {}
    _descent: dict[str, float] = {}

    def __init__(self, fonts: FontSet):
        self.fonts = fonts
        self._chain = tuple(dict.fromkeys((fonts.fallback, fonts.body, fonts.title, fonts.heading, fonts.kai)))

    @classmethod
    def width(cls, font: str, ch: str) -> float:
        """Advance width of `ch` at 1 pt."""
        table = cls._widths.setdefault(font, {})
        w = table.get(ch)
        if w is None:
            w = pdfmetrics.stringWidth(ch, font, 1000) / 1000.0
            table[ch] = w
        return w

    @classmethod
    def covers(cls, font: str, ch: str) -> bool:
        cmap = cls._cover.get(font)
        if cmap is None:
            f = pdfmetrics.getFont(font)
            face = getattr(f, "face", None)
            cmap = getattr(face, "charToGlyph", None) if face is not None else None
            cls._cover[font] = cmap if cmap is not None else False
            cmap = cls._cover[font]
        if cmap is False:       # CID font: assume full GB coverage
            return True
        return ord(ch) in cmap or ch in " \n"

    @classmethod
    def descent(cls, font: str) -> float:
        """Descent as a fraction of the font size (negative), as a PDF reader sees it."""
        d = cls._descent.get(font)
        if d is None:
            f = pdfmetrics.getFont(font)
            raw = getattr(getattr(f, "face", None), "descent", -120)
            d = -abs(float(raw)) / 1000.0
            cls._descent[font] = d
        return d

    def pick(self, font: str, ch: str) -> str:
        """`font`, or the first face of the set that has a glyph for `ch` (the fallback face first)."""
        if self.covers(font, ch):
            return font
        for alt in self._chain:
            if alt != font and self.covers(alt, ch):
                return alt
        return font


# ---------------------------------------------------------------- paragraphs and line breaking

@dataclass
class Para:
    runs: list[tuple[str, str]]            # (text, font name)
    size: float = BODY_SIZE
    pitch: float = LINE_PITCH
    cs: float = BODY_CS                    # character spacing
    first_indent: float = 2                # in characters (size + cs)
    hang: float = 0                        # indent of continuation lines, in characters
    right_indent: float = 0                # in characters
    align: str = "justify"                 # justify | left | center | right
    color: Color = BLACK
    hscale: float = 100.0                  # horizontal scaling in percent
    keep_with_next: bool = False
    keep_together: bool = False
    title: bool = False                    # break at whole words into a 梯形/菱形 shape (§7.3.1)
    words: bool = False                    # break only between words where it can (table cells)
    aux: bool = False                      # not body text (a contact line): never counts as it


@dataclass
class Line:
    chars: list[str]
    fonts: list[str]
    widths: list[float]
    x: float                               # relative to the block's left edge
    gaps: list[float]                      # space after each character but the last

    @property
    def width(self) -> float:
        return sum(self.widths) + sum(self.gaps)


@dataclass
class Run:
    """Characters drawn with one font and one character spacing from an explicit origin."""
    font: str
    text: str
    x: float
    cs: float = 0.0


@dataclass
class TextOp:
    top: float
    size: float
    runs: list[Run]
    color: Color = BLACK
    hscale: float = 100.0
    pitch: float = LINE_PITCH
    aux: bool = False
    keep_next: bool = False                # a heading: moves to a new page with what follows it

    @property
    def x(self) -> float:
        return self.runs[0].x if self.runs else 0.0


@dataclass
class RuleOp:
    x0: float
    y0: float                              # from the page top; the stroke is centred on the line
    x1: float
    y1: float
    width: float
    color: Color = BLACK


def natural_width(widths: list[float], cs: float) -> float:
    return sum(widths) + cs * (len(widths) - 1) if widths else 0.0


def _word_runs(chars: list[str]) -> list[int]:
    """For each index, the length of the Latin/digit run it belongs to (0 outside one)."""
    out = [0] * len(chars)
    i, n = 0, len(chars)
    while i < n:
        if _isword(chars[i]):
            j = i
            while j < n and _isword(chars[j]):
                j += 1
            for k in range(i, j):
                out[k] = j - i
            i = j
        else:
            i += 1
    return out


def break_lines(chars: list[str], widths: list[float], cs: float, first_avail: float,
                rest_avail: float, nobreak: set[int] | frozenset = frozenset(),
                em: float | None = None) -> list[tuple[int, int, bool]]:
    """Break a character sequence into lines: (start, end, wrapped) index ranges.

    A break between i-1 and i is allowed unless i is in `nobreak` (inside a protected name or
    number), chars[i] is closing punctuation, chars[i-1] opening punctuation, or both belong to a
    short Latin/digit run.  When the line is full at a forbidden place, up to two more characters
    (a closing mark, the end of a name) are squeezed onto it if that stays within MAX_SQUEEZE_EM per
    gap; otherwise the line ends at the last allowed place within KEEP_MAX_EM ems back; only when
    there is none is the break forced.
    """
    n = len(chars)
    runs = _word_runs(chars)
    em = em or (max(widths) if widths else 1.0)
    squeeze = MAX_SQUEEZE_EM * em

    def can_break(i: int) -> bool:
        if i <= 0 or i >= n:
            return True
        if i in nobreak:
            return False
        a, b = chars[i - 1], chars[i]
        if b in NO_LINE_START or a in NO_LINE_END:
            return False
        return not (runs[i] and runs[i - 1] and runs[i] <= WORD_RUN_MAX and _isword(a) and _isword(b))

    out: list[tuple[int, int, bool]] = []
    i = 0
    avail = first_avail
    while i < n:
        start, acc = i, 0.0
        while i < n:
            w = widths[i]
            if i > start and acc + w > avail + EPS:
                break
            acc += w + cs
            i += 1
        end = i
        if end < n and not can_break(end):
            chosen = None
            k = end
            while k < n and k - end < 2:                                    # squeeze in
                k += 1
                gaps = k - start - 1
                over = natural_width(widths[start:k], cs) - avail
                if not gaps or cs - over / gaps < -squeeze - EPS:
                    break
                if can_break(k):
                    chosen = k
                    break
            if chosen is None:                                              # move back
                limit = min(KEEP_MAX_EM * em, avail)      # a narrow table cell may move all but one
                j, back = end - 1, widths[end - 1] if end - 1 > start else 0.0
                while j > start and back <= limit + EPS:
                    if can_break(j):
                        chosen = j
                        break
                    j -= 1
                    back += widths[j]
            if chosen is None:                                              # forced: old rule
                k = 0
                while end < n and chars[end] in NO_LINE_START and k < 2:
                    end += 1
                    k += 1
                chosen = end
            end = chosen
        out.append((start, end, end < n))
        i = end
        avail = rest_avail
    return out


def _protected(text: str, keep_re: re.Pattern | None) -> list[tuple[int, int, tuple[int, ...]]]:
    """Spans that should not break: (start, end, inner offsets where they may if too wide)."""
    spans = [(m.start(), m.end(), ()) for m in _NOTE.finditer(text)]
    for m in _CASE_NO.finditer(text):
        close = max(text.rfind("）", m.start(), m.end()), text.rfind(")", m.start(), m.end()))
        spans.append((m.start(), m.end(), (close + 1,) if close >= 0 else ()))
    for m in _DOC_NO.finditer(text):
        cut = m.start() + len(re.match(r"[\u4e00-\u9fff]*", m.group()).group())
        spans.append((m.start(), m.end(), (cut,)))
    if keep_re is not None:
        from .words import boundaries

        for m in keep_re.finditer(text):
            spans.append((m.start(), m.end(), tuple(m.start() + b for b in boundaries(m.group()))))
    return spans


def nobreak_positions(chars: list[str], widths: list[float], em: float, keep_re: re.Pattern | None) -> set[int]:
    text = "".join(chars)
    out: set[int] = set()
    for s, e, inner in _protected(text, keep_re):
        wide = sum(widths[s:e]) > KEEP_MAX_EM * em + EPS
        out.update(i for i in range(s + 1, e) if not (wide and i in inner))
    for pair in PAIRS:
        start = text.find(pair)
        while start >= 0:
            out.add(start + 1)
            start = text.find(pair, start + 2)
    return out


def _title_spans(text: str, widths: list[float], avail: float, nobreak: set[int], em: float,
                 greedy: list[tuple[int, int, bool]]) -> list[tuple[int, int, bool]]:
    """Title lines broken at whole words (jieba) in a 梯形 or 菱形 shape (GB/T 9704 §7.3.1).

    Every way of cutting the title at word boundaries into the fewest lines (or one more) is scored:
    no line wider than the block, adjacent lines differing by two to six characters (neither a
    rectangle of equal lines nor a stub), lengths that only rise, only fall, or rise then fall (a
    diamond), never a valley; enterprise and registered names are never cut.  Falls back to
    `greedy` when no cut fits."""
    from .words import organisation_spans, segment

    nobreak = set(nobreak)
    for s, e in organisation_spans(text):
        nobreak.update(range(s + 1, e))
    n = len(text)
    pos, cuts = 0, []
    for word in segment(text)[:-1]:
        pos += len(word)
        cuts.append(pos)
    ok = []
    for c in cuts:
        if c in nobreak or text[c] in NO_LINE_START or text[c - 1] in NO_LINE_END:
            continue
        if text[:c].endswith(_TITLE_NO_END) or text[c:].startswith(_TITLE_NO_START):
            continue
        ok.append(c)
    prefix = [0.0]
    for w in widths:
        prefix.append(prefix[-1] + w)
    k_min = len(greedy)
    best, best_cost = None, None
    for k in (k_min, k_min + 1):
        if k - 1 > len(ok) or (k > 3 and len(ok) > 40):
            continue
        for combo in combinations(ok, k - 1):
            bounds = (0, *combo, n)
            lengths = [prefix[b] - prefix[a] for a, b in zip(bounds, bounds[1:])]
            if max(lengths) > avail + EPS:
                continue
            cost = _shape_cost(lengths, em) + 100.0 * (k - k_min)
            if best_cost is None or cost < best_cost:
                best, best_cost = bounds, cost
        if best is not None and k == k_min and best_cost < 100.0:
            break
    if best is None:
        return greedy
    return [(a, b, False) for a, b in zip(best, best[1:])]


def _shape_cost(lengths: list[float], em: float) -> float:
    if len(lengths) == 1:
        return 0.0
    diffs = [(b - a) / em for a, b in zip(lengths, lengths[1:])]
    cost = 0.0
    for d in map(abs, diffs):
        if d < 0.75:
            cost += 25.0                     # two lines of (nearly) equal length: a rectangle
        elif d < 2.0:
            cost += (2.0 - d) * 4.0
        elif d > 6.0:
            cost += (d - 6.0) * 2.0          # 长短适宜: a much shorter line is acceptable, not ideal
    signs = [d > 0 for d in diffs]
    for a, b in zip(signs, signs[1:]):
        if not a and b:
            cost += 100.0                    # a valley: neither 梯形 nor 菱形
    if min(lengths) < 0.35 * max(lengths):
        cost += 30.0                         # a stub line
    return cost


# ---------------------------------------------------------------- the document

class Doc:
    """A flow of lines through the text block of successive pages."""

    def __init__(self, fonts: FontSet, geometry: Geometry = PORTRAIT, *, page_numbers: bool = True,
                 number_first_page: bool = True, title: str = "", author: str = "",
                 keep_words: list[str] | tuple[str, ...] = ()):
        self.fonts = fonts
        self.m = Metrics(fonts)
        self.g = geometry
        self.page_numbers = page_numbers
        self.number_first_page = number_first_page
        self.unnumbered: set[int] = set()       # 1-based pages printed without a number
        self.meta_title = title
        self.meta_author = author
        self.pages: list[list] = [[]]
        self.y = geometry.top
        self._recent: list[TextOp] = []      # flow lines placed on the current page, in order
        self._keep: set[str] = set()
        self._keep_re: re.Pattern | None = None
        self.protect(keep_words)

    # -- names that do not break ----------------------------------------------------
    def protect(self, words) -> None:
        """Register names (units, people) that a line should not split when it can move them whole."""
        new = {clean(w).strip() for w in words or () if w and len(clean(w).strip()) >= 2} - self._keep
        if not new:
            return
        self._keep |= new
        alternatives = sorted(self._keep, key=len, reverse=True)
        self._keep_re = re.compile("|".join(re.escape(w) for w in alternatives))

    # -- cursor -------------------------------------------------------------------
    @property
    def page(self) -> list:
        return self.pages[-1]

    @property
    def at_page_top(self) -> bool:
        return self.y <= self.g.top + EPS

    def new_page(self) -> None:
        self.pages.append([])
        self.y = self.g.top
        self._recent = []

    def fits(self, height: float) -> bool:
        return self.y + height <= self.g.bottom + EPS

    def ensure(self, height: float) -> None:
        if not self.fits(height) and not self.at_page_top:
            self.new_page()

    def space(self, pt: float) -> None:
        """Vertical space; swallowed at the top of a page, ends the page when it overflows."""
        if self.at_page_top:
            return
        self.y += pt
        if self.y >= self.g.bottom - EPS:
            self.new_page()

    def blank_lines(self, n: float = 1) -> None:
        self.space(n * LINE_PITCH)

    # -- measuring ------------------------------------------------------------------
    def glyphs(self, runs: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
        chars: list[str] = []
        fonts: list[str] = []
        pick = self.m.pick
        for text, font in runs:
            for ch in clean(text).replace("\n", " "):
                chars.append(ch)
                fonts.append(pick(font, ch))
        return chars, fonts

    def text_width(self, text: str, font: str, size: float, cs: float = 0.0) -> float:
        ws = [self.m.width(self.m.pick(font, ch), ch) * size for ch in clean(text)]
        return natural_width(ws, cs)

    def lines_of(self, p: Para, avail_width: float | None = None) -> list[Line]:
        chars, fonts = self.glyphs(p.runs)
        if not chars:
            return []
        width = self.m.width
        k = p.hscale / 100.0
        widths = [width(f, c) * p.size * k for c, f in zip(chars, fonts)]
        cs = p.cs
        unit = p.size + cs
        full = (self.g.width if avail_width is None else avail_width) - p.right_indent * unit
        first_avail = full - p.first_indent * unit
        rest_avail = full - p.hang * unit
        nobreak = nobreak_positions(chars, widths, p.size, self._keep_re)
        if p.words:
            from .words import boundaries

            between = set(boundaries("".join(chars)))
            nobreak |= {i for i in range(1, len(chars)) if i not in between}
        spans = break_lines(chars, widths, cs, first_avail, rest_avail, nobreak, em=p.size * k)
        if p.title and len(spans) > 1:
            # in a title a name stays whole whenever it fits on a line
            whole = nobreak_positions(chars, widths, first_avail / KEEP_MAX_EM, self._keep_re)
            spans = _title_spans("".join(chars), widths, first_avail, whole, p.size * k, spans)
        lines = []
        for idx, (s, e, wrapped) in enumerate(spans):
            ws = widths[s:e]
            cs_ = chars[s:e]
            count = len(ws)
            indent = (p.first_indent if idx == 0 else p.hang) * unit
            avail = first_avail if idx == 0 else rest_avail
            nat = natural_width(ws, cs)
            gaps = [cs] * (count - 1)
            x = indent
            if count > 1 and nat > avail + EPS:
                gaps = [cs + (avail - nat) / (count - 1)] * (count - 1)      # squeezed punctuation
            elif p.align == "justify" and wrapped and count > 1:
                # widen only gaps beside a CJK character or mark: Latin words and numbers keep theirs
                stretch = [j for j in range(count - 1) if not (_isword(cs_[j]) and _isword(cs_[j + 1]))]
                stretch = stretch or list(range(count - 1))
                extra = (avail - nat) / len(stretch)
                for j in stretch:
                    gaps[j] = cs + extra
            elif p.align == "center":
                x = indent + (avail - nat) / 2
            elif p.align == "right":
                x = indent + avail - nat
            lines.append(Line(cs_, fonts[s:e], ws, x, gaps))
        return lines

    # -- placing ---------------------------------------------------------------------
    def _op(self, line: Line, p: Para, top: float, x0: float | None = None) -> TextOp:
        x = (self.g.left if x0 is None else x0) + line.x
        runs: list[Run] = []
        last = len(line.chars) - 1
        for j, (ch, f, w) in enumerate(zip(line.chars, line.fonts, line.widths)):
            run = runs[-1] if runs else None
            if run is not None and run.font == f and (len(run.text) == 1 or abs(run.cs - line.gaps[j - 1]) < 1e-9):
                if len(run.text) == 1:
                    run.cs = line.gaps[j - 1]
                run.text += ch
            else:
                runs.append(Run(f, ch, x, 0.0))
            x += w + (line.gaps[j] if j < last else 0.0)
        return TextOp(top, p.size, runs, p.color, p.hscale, p.pitch, p.aux, p.keep_with_next)

    def add(self, p: Para, next_height: float = 0.0) -> list[TextOp]:
        lines = self.lines_of(p)
        if not lines:
            return []
        if p.keep_together or p.keep_with_next:
            need = (len(lines) - 1) * p.pitch + p.size
            if p.keep_with_next:
                need += p.pitch - p.size + (next_height or BODY_SIZE)
            if need <= self.g.height:
                self.ensure(need)
        placed = []
        for line in lines:
            if not self.fits(p.size):
                self.new_page()
            op = self._op(line, p, self.y)
            self.page.append(op)
            self._recent.append(op)
            placed.append(op)
            self.y += p.pitch
        return placed

    def keep_with_previous(self, height: float, lines: int = 1) -> bool:
        """Make room for a block of `height`; if it must go to a new page, take the last
        `lines` flow lines of body text of this page along, with any auxiliary lines after them
        and the heading before them (no page holds only a signature, or a signature and a contact
        line; no heading stays behind at the foot of a page).  Returns whether a new page was started."""
        if self.fits(height):
            return False
        moved: list[TextOp] = []
        body = 0
        for op in reversed(self._recent):
            if body >= lines and not op.keep_next:
                break
            moved.insert(0, op)
            body += not op.aux
        ids = {id(op) for op in moved}
        self.pages[-1] = [op for op in self.page if id(op) not in ids]
        self.new_page()
        if moved:
            first = moved[0].top
            for op in moved:
                op.top = self.y + (op.top - first)
                self.page.append(op)
                self._recent.append(op)
            self.y = moved[-1].top + moved[-1].pitch
        return True

    def rule(self, x0: float, x1: float, y: float, width: float, color: Color = BLACK) -> None:
        self.page.append(RuleOp(x0, y, x1, y, width, color))

    def text_at(self, text: str, font: str, size: float, x: float, top: float, *, cs: float = 0.0,
                color: Color = BLACK, hscale: float = 100.0, align: str = "left",
                box_w: float = 0.0, flow: bool = False) -> TextOp:
        """A single line at an absolute position (x is the left edge, or the box for center/right)."""
        chars, fonts = self.glyphs([(text, font)])
        widths = [self.m.width(f, c) * size * hscale / 100.0 for c, f in zip(chars, fonts)]
        nat = natural_width(widths, cs)
        if align == "center":
            x = x + (box_w - nat) / 2
        elif align == "right":
            x = x + box_w - nat
        line = Line(chars, fonts, widths, 0.0, [cs] * max(0, len(chars) - 1))
        op = self._op(line, Para([], size=size, color=color, hscale=hscale), top, x0=x)
        self.page.append(op)
        if flow:
            self._recent.append(op)
        return op

    # -- rendering --------------------------------------------------------------------
    def render(self) -> bytes:
        g = self.g
        buf = io.BytesIO()
        c = Canvas(buf, pagesize=(g.page_w, g.page_h), pageCompression=1,
                   initialFontName=self.fonts.body, initialFontSize=BODY_SIZE)
        c.setTitle(self.meta_title)
        c.setAuthor(self.meta_author)
        c.setCreator("府院联动 GB/T 9704 PDF")
        c.setSubject(self.meta_title)
        body_d = Metrics.descent(self.fonts.body)
        for n, ops in enumerate(self.pages, 1):
            for op in ops:
                if isinstance(op, TextOp):
                    self._draw_text(c, op, body_d)
                else:
                    c.setStrokeColor(op.color)
                    c.setLineWidth(op.width)
                    c.line(op.x0, g.page_h - op.y0, op.x1, g.page_h - op.y1)
            if self.page_numbers and (n > 1 or self.number_first_page) and n not in self.unnumbered:
                self._draw_text(c, self._page_number_op(n), body_d)
            c.showPage()
        c.save()
        return buf.getvalue()

    def _page_number_op(self, n: int) -> TextOp:
        """`— N —` in 4号, 7 mm below the block; odd pages right less one character, even pages left
        plus one character."""
        g = self.g
        text = f"— {n} —"
        font = self.fonts.body
        w = self.text_width(text, font, NOTE_SIZE)
        x = g.right - NOTE_SIZE - w if n % 2 else g.left + NOTE_SIZE
        return TextOp(g.bottom + 7 * MM, NOTE_SIZE, [Run(font, text, x, 0.0)])

    def _draw_text(self, c: Canvas, op: TextOp, body_d: float) -> None:
        """One text object with its complete text state: PDF carries character spacing, scaling,
        rise and render mode over from the previous text object, so each is written here."""
        g = self.g
        baseline = g.page_h - (op.top + op.size * (1 + body_d))
        k = op.hscale / 100.0
        t = c.beginText()
        t.setFillColor(op.color)
        t._textRenderMode = None     # reportlab skips a mode it believes current; write 0 Tr regardless
        t.setTextRenderMode(0)
        t.setHorizScale(op.hscale)
        t.setWordSpace(0)
        rise = None
        for run in op.runs:
            t.setFont(run.font, op.size)
            r = (body_d - Metrics.descent(run.font)) * op.size
            if rise is None or abs(r - rise) > 0.001:
                t.setRise(r)
                rise = r
            t.setCharSpace(run.cs / k)           # Tc is scaled by Tz like the glyph advance
            f = pdfmetrics.getFont(run.font)
            pieces = [run.text]
            if getattr(f, "_dynamicFont", False):      # TrueType: one PDF string per 256-glyph subset
                pieces, i = [], 0
                for _subset, b in f.splitString(run.text, c._doc):
                    pieces.append(run.text[i:i + len(b)])
                    i += len(b)
            x = run.x
            for piece in pieces:
                # Every string is positioned explicitly: readers disagree on whether the character
                # spacing follows the last glyph of a string (pdfminer/pdfplumber drop it).
                t.setTextOrigin(x, baseline)
                t.textOut(piece)
                x += sum(Metrics.width(run.font, ch) for ch in piece) * op.size * k + run.cs * len(piece)
        c.drawText(t)


# ---------------------------------------------------------------- document building blocks

def body_para(doc: Doc, line: str, **kw) -> Para:
    """A body line with its heading level detected from the prefix: 一、 in hei, （一） in kai,
    1. in the body font.  For 一、/（一） only the heading sentence is set in the heading font when
    text follows it in the same paragraph."""
    f = doc.fonts
    level = heading_level(line)
    if level in (1, 2):
        hfont = f.heading if level == 1 else f.kai
        m = (_H1 if level == 1 else _H2).match(line)
        prefix_end = m.end()
        cut = None
        for i in range(prefix_end, len(line)):
            if line[i] in "。：:；！？":
                cut = i + 1
                break
        if cut is not None and cut < len(line) and cut <= 40:
            split = cut                      # heading sentence + body text
        elif cut is None and len(line) <= 40:
            split = len(line)                # the whole line is a heading
        else:
            return Para([(line, f.body)], **kw)   # a numbered paragraph, not a heading
        runs = [(line[:split], hfont)]
        if split < len(line):
            runs.append((line[split:], f.body))
        return Para(runs, keep_with_next=(split == len(line)), **kw)
    return Para([(line, f.body)], **kw)


def add_body(doc: Doc, body: str) -> int:
    """Add multi-line body text; blank lines are ignored (GB/T bodies have no empty lines).
    Returns the number of paragraphs placed."""
    n = 0
    for raw in clean(body).split("\n"):
        line = raw.strip(" \u3000")
        if not line:
            continue
        doc.add(body_para(doc, line))
        n += 1
    return n


def title_para(doc: Doc, text: str, size: float = TITLE_SIZE) -> Para:
    return Para([(text, doc.fonts.title)], size=size, pitch=size * 1.45, cs=0.0, first_indent=0,
                align="center", keep_together=True, title=True)


def add_title(doc: Doc, text: str, *, space_after: float = LINE_PITCH) -> None:
    """2号 title in the title face (小标宋), centred, broken at whole words into a 梯形/菱形 shape."""
    text = clean(text).replace("\n", "").strip()
    if not text:
        return
    p = title_para(doc, text)
    doc.add(p)
    doc.y += space_after - (p.pitch - TITLE_SIZE) + (LINE_PITCH - BODY_SIZE)


def add_red_mark(doc: Doc, text: str, top: float, *, max_size: float = 30.0, max_width: float | None = None) -> float:
    """The red issuing-organ mark in the title face, centred, narrowed to fit; returns the y of its
    bottom edge."""
    text = clean(text).replace("\n", "").strip()
    width = max_width or doc.g.width
    natural = doc.text_width(text, doc.fonts.title, 1.0) or 1.0
    size = max_size
    hscale = min(100.0, 100.0 * width / (natural * size))
    if hscale < 70.0:
        hscale = 70.0
        size = width / (natural * 0.70)
    doc.text_at(text, doc.fonts.title, size, doc.g.left, top, color=RED, hscale=hscale,
                align="center", box_w=doc.g.width)
    return top + size


def add_center_line(doc: Doc, text: str, *, font: str | None = None, size: float = BODY_SIZE,
                    color: Color = BLACK) -> None:
    doc.add(Para([(clean(text), font or doc.fonts.body)], size=size, first_indent=0, align="center",
                 color=color, cs=BODY_CS if size == BODY_SIZE else 0.0))


def add_left_right(doc: Doc, left: str, right: str, *, size: float = BODY_SIZE, indent_chars: float = 0) -> None:
    """One line with text at the left edge and text at the right edge (issuer / date)."""
    doc.ensure(size)
    unit = size
    doc.text_at(left, doc.fonts.body, size, doc.g.left + indent_chars * unit, doc.y)
    doc.text_at(right, doc.fonts.body, size, doc.g.left, doc.y, align="right",
                box_w=doc.g.width - indent_chars * unit)
    doc.y += LINE_PITCH


def signature_layout(width: float, iw: float, dw: float, seal: bool) -> tuple[float, float]:
    """x of the issuer and of the date inside a block `width` wide (GB/T 9704 §7.3.5).

    Sealed (§7.3.5.1): the date right-indented four characters, the issuer centred on it (right-
    indented two characters when that would run past the edge).  Unsealed (§7.3.5.2): the issuer
    right-indented two characters, the date starting two characters right of the issuer's first
    character; a date longer than that is right-indented two characters and the issuer moves left
    to keep the two-character offset."""
    unit = BODY_SIZE + BODY_CS
    if seal:
        date_x = width - 4 * unit - dw
        issuer_x = date_x + dw / 2 - iw / 2
        if issuer_x + iw > width - 2 * unit + EPS:
            issuer_x = max(0.0, width - 2 * unit - iw)
        return issuer_x, date_x
    issuer_x = width - 2 * unit - iw
    date_x = issuer_x + 2 * unit
    if date_x + dw > width - 2 * unit + EPS:
        date_x = width - 2 * unit - dw
        issuer_x = date_x - 2 * unit
    return max(0.0, issuer_x), max(0.0, date_x)


def add_signature(doc: Doc, issuer: str, when: date, *, seal: bool = True, keep_lines: int = 2) -> None:
    """发文机关署名 + 成文日期 one blank line under the text (placement: `signature_layout`).

    The block never starts a page on its own: the last `keep_lines` lines before it move along."""
    f = doc.fonts.body
    date_s = cn_date(when)
    issuer = clean(issuer).replace("\n", "").strip()
    dw = doc.text_width(date_s, f, BODY_SIZE, BODY_CS)
    iw = doc.text_width(issuer, f, BODY_SIZE, BODY_CS)
    issuer_x, date_x = signature_layout(doc.g.width, iw, dw, seal)
    need = 2 * LINE_PITCH + BODY_SIZE
    doc.keep_with_previous(need, keep_lines)
    if not doc.at_page_top:
        doc.y += LINE_PITCH
    doc.text_at(issuer, f, BODY_SIZE, doc.g.left + issuer_x, doc.y, cs=BODY_CS, flow=True)
    doc.y += LINE_PITCH
    doc.text_at(date_s, f, BODY_SIZE, doc.g.left + date_x, doc.y, cs=BODY_CS, flow=True)
    doc.y += LINE_PITCH


SIGNATURE_HEIGHT = 3 * LINE_PITCH


def add_labelled_block(doc: Doc, label: str, items: list, *, label_font: str | None = None) -> None:
    """出席：/请假：/列席： — label in hei, indented two characters; entries wrap aligned after the
    colon (纪要格式, GB/T 9704 §10.3)."""
    entries = [clean(str(x)).strip() for x in items if str(x).strip()]
    if not entries:
        return
    f = doc.fonts
    lab = label + "："
    hang = 2 + len(lab)
    for i, entry in enumerate(entries):
        if i == 0:
            runs = [(lab, label_font or f.heading), (entry, f.body)]
            doc.add(Para(runs, first_indent=2, hang=hang))
        else:
            doc.add(Para([(entry, f.body)], first_indent=hang, hang=hang))


def banji_height(doc: Doc, rows: list[tuple[str, str]], footer: tuple[str, str] | None) -> tuple[float, list]:
    """Lay out the 版记 rows (label, text) in 4号; returns total height and the prepared lines."""
    f = doc.fonts
    prepared = []
    pitch = LINE_PITCH * 0.9
    total = 0.0
    for label, text in rows:
        text = ensure_period(clean(text).replace("\n", "，").strip())
        if not text:
            continue
        lab = label + "："
        p = Para([(lab, f.body), (text, f.body)], size=NOTE_SIZE, cs=0.0, first_indent=1,
                 hang=1 + len(lab), right_indent=1, pitch=pitch)
        lines = doc.lines_of(p)
        prepared.append((p, lines))
        total += len(lines) * pitch
    if footer:
        total += pitch
    return total, prepared


def add_banji(doc: Doc, rows: list[tuple[str, str]], footer: tuple[str, str] | None = None, *,
              rules: bool = True, keep_lines: int = 1) -> None:
    """版记 at the foot of the last page: rows between rules (thick first/last, thin between) and
    the 印发机关/印发日期 line.

    With `rules` (公文 and 纪要, GB/T 9704 §7.4) the 版记 page is the back of the sheet, an even
    page: after a body ending on an odd page it goes on the next page; after a body ending on an
    even page with no room left, an unnumbered blank page comes first and the 版记 page is not
    numbered either (§7.5).  Without `rules` (信函格式) only the rows are printed, on the last page,
    taking `keep_lines` lines along when they need a new page."""
    total, prepared = banji_height(doc, rows, footer)
    if not prepared and not footer:
        return
    # measured from the bottom of the last line's glyphs, not from its full pitch
    need = total + 2 * MM - (LINE_PITCH - BODY_SIZE)
    if rules:
        if not doc.page and len(doc.pages) > 1:  # the body filled its last page exactly
            doc.pages.pop()
            doc.y = doc.g.bottom
        page = len(doc.pages)
        if page % 2:                             # odd: the 版记 goes on the back, page + 1
            doc.new_page()
        elif not doc.fits(need):                 # even and full: a blank page, then the 版记 page
            doc.new_page()
            doc.new_page()
            doc.unnumbered.update({page + 1, page + 2})
    else:
        doc.keep_with_previous(need, keep_lines)
    g = doc.g
    y = g.bottom - total
    pitch = LINE_PITCH * 0.9
    thick, thin = 0.35 * MM, 0.25 * MM
    if rules:
        doc.rule(g.left, g.right, y - 0.5, thick)
    for idx, (p, lines) in enumerate(prepared):
        for line in lines:
            doc.page.append(doc._op(line, p, y + (pitch - NOTE_SIZE) / 2))
            y += pitch
        last = idx == len(prepared) - 1 and not footer
        if rules and not last:
            doc.rule(g.left, g.right, y, thin)
    if footer:
        issuer, when = footer
        top = y + (pitch - NOTE_SIZE) / 2
        doc.text_at(issuer, doc.fonts.body, NOTE_SIZE, g.left + NOTE_SIZE, top)
        doc.text_at(when, doc.fonts.body, NOTE_SIZE, g.left, top, align="right", box_w=g.width - NOTE_SIZE)
        y += pitch
    if rules:
        doc.rule(g.left, g.right, min(y, g.bottom) + 0.5, thick)
    doc.y = g.bottom + 1


# ---------------------------------------------------------------- tables

_NUMERIC = re.compile(r"^[\s\d.,，%％+\-－/:：()（）年月日天件项次个元万亿]*\d[\s\d.,，%％+\-－/:：()（）年月日天件项次个元万亿]*$")


def _column_widths(natural: list[float], minimum: list[float], weight: list[float], total: float) -> list[float]:
    """Column widths summing to `total`: everything fits -> natural widths stretched; otherwise start
    from the minimums and hand out the rest in proportion to each column's amount of text, never
    beyond its natural width (water filling)."""
    n = len(natural)
    want = [max(a, b) for a, b in zip(natural, minimum)]
    if sum(want) <= total:
        base = sum(want) or 1.0
        return [w + (total - base) * w / base for w in want]
    if sum(minimum) >= total:
        return [m * total / sum(minimum) for m in minimum]
    widths = list(minimum)
    free = set(range(n))
    rest = total - sum(widths)
    while rest > EPS and free:
        wsum = sum(max(weight[i], 1.0) for i in free)
        give = {i: rest * max(weight[i], 1.0) / wsum for i in free}
        rest = 0.0
        for i, g in give.items():
            if widths[i] + g >= want[i]:
                rest += widths[i] + g - want[i]
                widths[i] = want[i]
                free.discard(i)
            else:
                widths[i] += g
    return widths


def add_table(doc: Doc, table, *, size: float = 12.0, title_size: float = BODY_SIZE,
              keep_after: float = 0.0) -> None:
    """A ruled table inside the text block: wrapped cells, header row repeated on each page, rows
    split over pages when taller than a page.  `keep_after` is the height of what must follow the
    last row on its page (a signature): the last row moves to a new page rather than leave it alone."""
    f = doc.fonts
    g = doc.g
    headers = [clean(h) for h in (table.headers or [])]
    rows = [[clean("" if c is None else str(c)) for c in r] for r in (table.rows or [])]
    ncol = max([len(headers)] + [len(r) for r in rows]) if (headers or rows) else 0
    if ncol == 0:
        return
    headers = headers + [""] * (ncol - len(headers)) if headers else []
    rows = [r[:ncol] + [""] * (ncol - len(r)) for r in rows]
    pad_x, pad_y = 1.5 * MM, 1.2 * MM
    lead = size * 1.35
    width = doc.m.width

    def tw(text, font):
        return max((sum(width(doc.m.pick(font, c), c) * size for c in part) for part in text.split("\n")), default=0.0)

    natural, minimum, weight = [], [], []
    for j in range(ncol):
        cells = [r[j] for r in rows]
        cw = [tw(c, f.body) for c in cells]
        nat = max([min(w, 16 * size) for w in cw] + [0.0])
        hw = 0.0
        if headers:
            hw = tw(headers[j], f.heading)
            hw = hw / 2 if len(headers[j]) > 6 else hw
            nat = max(nat, hw)
        natural.append(nat + 2 * pad_x)
        # short columns (numbers, dates, 序号) are never wrapped; others may shrink to 3 characters
        minimum.append((nat if nat <= 5.5 * size else max(hw, 3 * size)) + 2 * pad_x)
        weight.append(sum(cw) / max(1, len(cw)))
    cols = _column_widths(natural, minimum, weight, g.width)
    # a column of numbers, dates or short labels is centred; text columns are left-aligned
    centred = [all(_NUMERIC.match(r[j]) or len(r[j]) <= 3 for r in rows if r[j].strip()) for j in range(ncol)]

    def cell_lines(text: str, font: str, colw: float, header: bool, centre: bool) -> list[tuple[Line, Para]]:
        out = []
        align = "center" if header or centre else "left"
        for part in text.split("\n") or [""]:
            p = Para([(part, font)], size=size, cs=0.0, first_indent=0, align=align, pitch=lead, words=True)
            for ln in doc.lines_of(p, colw - 2 * pad_x):
                out.append((ln, p))
        return out

    def prep(cells: list[str], header: bool):
        font = f.heading if header else f.body
        return [cell_lines(c, font, cols[j], header, centred[j]) for j, c in enumerate(cells)]

    head = prep(headers, True) if headers else None
    head_h = (max(len(c) for c in head) * lead + 2 * pad_y) if head else 0.0
    body = [prep(r, False) for r in rows]

    def draw_row(cells, top: float, nlines: int, header: bool) -> float:
        h = nlines * lead + 2 * pad_y
        x = g.left
        for j, lines in enumerate(cells):
            for k, (ln, p) in enumerate(lines[:nlines]):
                op = doc._op(ln, p, top + pad_y + k * lead + (lead - size) / 2, x0=x + pad_x)
                doc.page.append(op)
            x += cols[j]
        # rules: top, bottom, verticals
        doc.rule(g.left, g.right, top, 0.6 if header else 0.5)
        doc.rule(g.left, g.right, top + h, 0.6 if header else 0.5)
        x = g.left
        for j in range(ncol + 1):
            w = 0.8 if j in (0, ncol) else 0.5
            doc.page.append(RuleOp(x, top, x, top + h, w))
            if j < ncol:
                x += cols[j]
        return h

    def start_page_with_header(fresh: bool):
        if fresh:
            doc.new_page()
        if head:
            doc.y += draw_row(head, doc.y, max(len(c) for c in head), True)

    if table.title:
        tp = Para([(clean(table.title), f.heading)], size=title_size, cs=0.0, first_indent=0,
                  align="center", pitch=LINE_PITCH)
        first_h = (max((len(c) for c in body[0]), default=1) * lead + 2 * pad_y) if body else 0
        doc.add(tp, next_height=head_h + min(first_h, 3 * lead + 2 * pad_y))
        doc.y += 0.2 * LINE_PITCH
    first_h = (max(len(c) for c in body[0]) * lead + 2 * pad_y) if body else 0
    if not doc.fits(head_h + min(first_h, lead + 2 * pad_y)):
        doc.new_page()
    start_page_with_header(False)
    for idx, cells in enumerate(body):
        remaining_lines = [list(c) for c in cells]
        while True:
            n = max(len(c) for c in remaining_lines) or 1
            h = n * lead + 2 * pad_y
            if idx == len(body) - 1 and keep_after and doc.fits(h) and not doc.fits(h + keep_after) \
                    and h + head_h + keep_after <= g.height:
                start_page_with_header(True)
            if doc.fits(h):
                doc.y += draw_row(remaining_lines, doc.y, n, False)
                break
            avail_lines = int((g.bottom - doc.y - 2 * pad_y + EPS) // lead)
            page_cap = int((g.height - head_h - 2 * pad_y) // lead)
            if n <= page_cap or avail_lines < 2:
                start_page_with_header(True)
                if n <= page_cap:
                    continue
                avail_lines = int((g.bottom - doc.y - 2 * pad_y + EPS) // lead)
            doc.y += draw_row(remaining_lines, doc.y, avail_lines, False)
            remaining_lines = [c[avail_lines:] for c in remaining_lines]
            start_page_with_header(True)
    doc.y += 0.5 * LINE_PITCH
    doc._recent = []

"""PDF builders: plain data in (app.pdf.data), PDF bytes out.  No Flask, no database.

Every builder takes an optional keyword `pdf_font` (a TTF/TTC path, e.g. the PDF_FONT config
value); fonts are registered once per process (see app.pdf.fonts).
"""
from __future__ import annotations

import re

from .data import (BulletinData, DecisionLine, EvaluationData, FollowupData, LedgerData, LetterData,
                   Letterhead, MinutesData, ReplyData)
from .fonts import register_fonts
from .gbt9704 import (BODY_CS, BODY_SIZE, LANDSCAPE, LINE_PITCH, MM, RED, SIGNATURE_HEIGHT, Doc, Para,
                      add_banji, add_body, add_center_line, add_labelled_block, add_left_right,
                      add_red_mark, add_signature, add_table, add_title, body_para, clean, cn_date,
                      cn_number, count_level1, ensure_period, heading_level)

__all__ = ["build_letter", "build_reply_letter", "build_minutes", "build_bulletin", "build_evaluation",
           "build_followup", "build_ledger", "decision_sentence", "deadline_sentence"]

_CLOSING = re.compile(r"^(特此函告|特此函达|特此函复|特此通报|专此函告|此函|特此函询|特此复函)[。.！!]?$")
#: 纪要 and 发文机关 marks: top edge 35 mm below the top of the text block (GB/T 9704 §7.2.2, §10.3)
MARK_DROP = 35 * MM
_NAME_SPLIT = re.compile(r"[、，,；;：:（）()\s]+")


def _lines(text: str) -> list[str]:
    return [ln.strip(" \u3000") for ln in clean(text).split("\n") if ln.strip(" \u3000")]


def _head(h: Letterhead | None) -> Letterhead:
    return h if h is not None else Letterhead()


# ---------------------------------------------------------------- shared pieces

def _letter_head(doc: Doc, mark: str, number: str) -> None:
    """信函格式 first page (GB/T 9704 §10.1): red mark 30 mm from the top edge, red double rule
    (thick over thin, 170 mm) 4 mm below it, number right-aligned 7/8 of a 3号 character below the
    rule, red double rule (thin over thick) 20 mm above the bottom edge."""
    g = doc.g
    mark_bottom = add_red_mark(doc, mark, 30 * MM, max_size=28.0)
    cx = g.left + g.width / 2
    x0, x1 = cx - 85 * MM, cx + 85 * MM
    y = mark_bottom + 4 * MM
    doc.rule(x0, x1, y + 1.0, 2.0, RED)            # thick
    doc.rule(x0, x1, y + 3.9, 0.75, RED)           # thin
    yb = g.page_h - 20 * MM
    doc.rule(x0, x1, yb - 1.0, 2.0, RED)           # thick (lower)
    doc.rule(x0, x1, yb - 3.9, 0.75, RED)          # thin (upper)
    top = y + 4.3 + BODY_SIZE * 7 / 8
    if clean(number).strip():
        doc.text_at(clean(number).strip(), doc.fonts.body, BODY_SIZE, g.left, top, cs=BODY_CS,
                    align="right", box_w=g.width)
    doc.y = top + BODY_SIZE + 1.6 * LINE_PITCH


def _names(*groups) -> list[str]:
    """Unit and person names found in the data, for the line breaker to keep whole."""
    out = []
    for group in groups:
        items = [group] if isinstance(group, str) else list(group or [])
        for item in items:
            for part in _NAME_SPLIT.split(clean(str(item))):   # 张某某（副县长） -> 张某某, 副县长
                if 2 <= len(part) <= 16:
                    out.append(part)
    return out


def _red_header(doc: Doc, mark: str, centred: list[str], issuer: str, when) -> None:
    """Red mark 35 mm below the top of the block, centred lines (期数 / number) two lines under it,
    issuer left and date right, a red separator 4 mm under them, then room for the title
    (纪要/通报 layout)."""
    g = doc.g
    bottom = add_red_mark(doc, mark, g.top + MARK_DROP)
    doc.y = bottom + 2 * LINE_PITCH - (LINE_PITCH - BODY_SIZE)
    for text in centred:
        if clean(text).strip():
            add_center_line(doc, clean(text).strip())
    doc.y += 0.3 * LINE_PITCH
    add_left_right(doc, clean(issuer).strip(), cn_date(when))
    y = doc.y - LINE_PITCH + BODY_SIZE + 4 * MM
    doc.rule(g.left, g.right, y, 1.5, RED)
    doc.y = y + 1.6 * LINE_PITCH - (LINE_PITCH - BODY_SIZE)


def _plain_para(doc: Doc, text: str, *, indent: float = 2, hang: float = 0) -> None:
    doc.add(Para([(text, doc.fonts.body)], first_indent=indent, hang=hang))


def _recipient(doc: Doc, recipient: str) -> None:
    r = clean(recipient).replace("\n", "").strip().rstrip("：:")
    if r:
        _plain_para(doc, r + "：", indent=0)


def _contact(doc: Doc, name: str, phone: str) -> None:
    parts = []
    if clean(name).strip():
        parts.append("联系人：" + clean(name).strip())
    if clean(phone).strip():
        parts.append("联系电话：" + clean(phone).strip())
    if parts:
        doc.keep_with_previous(LINE_PITCH + BODY_SIZE, 2)     # never the first line of a page
        doc.blank_lines(1)
        doc.add(Para([("\u3000\u3000".join(parts), doc.fonts.body)], aux=True))


def deadline_sentence(deadline) -> str:
    """请于2026年4月15日前将办理结果函复我办。"""
    return f"请于{cn_date(deadline)}前将办理结果函复我办。" if deadline else ""


def decision_sentence(d: DecisionLine) -> str:
    """（一）由X牵头，Y、Z配合，于2026年4月30日前<text>。"""
    lead = clean(d.lead_unit).strip()
    co = [clean(c).strip() for c in (d.co_units or []) if clean(c).strip()]
    when = f"于{cn_date(d.deadline)}前" if d.deadline else ""
    text = _without_assignment(clean(d.text).replace("\n", "").strip(), lead, co, bool(when))
    if lead and co:
        s = f"由{lead}牵头，{'、'.join(co)}配合，{when}{text}"
    elif lead:
        s = f"由{lead}{when}{text}"
    else:
        s = f"{when}{text}"
    return f"（{cn_number(int(d.seq))}）" + ensure_period(s)


def _without_assignment(text: str, lead: str, co: list[str], dated: bool) -> str:
    """The decision's task without the words the sentence adds itself: a text written as
    "县工科局牵头做好…" or "由县工科局牵头，县财政局配合，于…前做好…" would otherwise print the
    lead unit (and the deadline) twice."""
    if lead:
        text = re.sub(rf"^由?{re.escape(lead)}(牵头)?[，,]?", "", text)
    if co:
        names = "|".join(re.escape(c) for c in sorted(co, key=len, reverse=True))
        text = re.sub(rf"^(?:(?:{names})[、，,和及]?)+配合[，,]?", "", text)
    if dated:
        text = re.sub(r"^于\d{4}年\d{1,2}月\d{1,2}日(?:前|之前)[，,]?", "", text)
    return text.strip()


# ---------------------------------------------------------------- 函告 / 函复

def build_letter(data: LetterData, *, pdf_font: str | None = None) -> bytes:
    """函告 in 信函格式: red mark, double rules, number, title, 主送, body, deadline sentence,
    contact line, issuer + date with room for the seal, 抄送 at the foot of the last page."""
    fonts = register_fonts(pdf_font)
    head = _head(data.head)
    doc = Doc(fonts, number_first_page=False, title=clean(data.title), author=head.issuer,
              keep_words=_names(head.issuer, data.recipient, data.cc_units, data.contact_name))
    _letter_head(doc, head.issuer, data.number)
    add_title(doc, data.title)
    _recipient(doc, data.recipient)
    lines = _lines(data.body)
    closing = lines.pop() if lines and _CLOSING.match(lines[-1]) else None
    for ln in lines:
        doc.add(body_para(doc, ln))
    sentence = deadline_sentence(data.deadline)
    if sentence and sentence not in clean(data.body):
        _plain_para(doc, sentence)
    if closing:
        _plain_para(doc, closing)
    _contact(doc, data.contact_name, data.contact_phone)
    add_signature(doc, head.issuer, data.date, seal=True)
    cc = [clean(u).strip() for u in (data.cc_units or []) if clean(u).strip()]
    if cc:
        add_banji(doc, [("抄送", "，".join(cc))], None, rules=False, keep_lines=3)
    return doc.render()


def build_reply_letter(data: ReplyData, *, pdf_font: str | None = None) -> bytes:
    """函复 of a member unit, in the same 信函格式 with the unit's name as the mark.  The opening
    sentence cites the original letter (你办《…》（…）收悉。) unless the body already does."""
    fonts = register_fonts(pdf_font)
    head = _head(data.head)
    unit = clean(data.unit_name).strip() or head.issuer
    doc = Doc(fonts, number_first_page=False, title=clean(data.title), author=unit,
              keep_words=_names(unit, head.issuer, data.recipient, data.contact_name))
    _letter_head(doc, unit, data.number)
    add_title(doc, data.title)
    _recipient(doc, data.recipient or head.issuer)
    body = clean(data.body)
    lines = _lines(body)
    closing = lines.pop() if lines and _CLOSING.match(lines[-1]) else None
    orig_title = clean(data.original_title).replace("\n", "").strip()
    orig_no = clean(data.original_number).strip()
    if orig_title and orig_title not in body:
        cite = f"你办《{orig_title.strip('《》')}》" + (f"（{orig_no}）" if orig_no else "") + "收悉。"
        if lines and heading_level(lines[0]) == 0:
            lines[0] = cite + lines[0]
        else:
            lines.insert(0, cite)
    for ln in lines:
        doc.add(body_para(doc, ln))
    result = clean(data.result).replace("\n", "").strip()
    if result and result not in body:
        _plain_para(doc, ensure_period("办理结果：" + result))
    if closing:
        _plain_para(doc, closing)
    _contact(doc, data.contact_name, data.contact_phone)
    add_signature(doc, unit, data.date, seal=True)
    return doc.render()


# ---------------------------------------------------------------- 纪要

def build_minutes(data: MinutesData, *, pdf_font: str | None = None) -> bytes:
    """会议纪要 in 纪要格式: red mark, 期数, issuer/date, red separator, title, body with heading
    levels, numbered 会议议定事项, 出席/请假/列席, 版记 (分送/抄送, 印发) at the foot of the last page."""
    fonts = register_fonts(pdf_font)
    head = _head(data.head)
    mark = head.special_meeting_mark if (data.kind or "").strip() == "special" else head.meeting_mark
    decisions = sorted(data.decisions or [], key=lambda d: d.seq)
    doc = Doc(fonts, title=clean(data.title), author=head.issuer,
              keep_words=_names(head.issuer, [d.lead_unit for d in decisions],
                                [c for d in decisions for c in d.co_units], data.present, data.on_leave,
                                data.nonvoting, data.main_recipients, data.cc_recipients))
    _red_header(doc, mark, [data.issue_label, data.number], head.issuer, data.date)
    add_title(doc, data.title, space_after=LINE_PITCH if not data.amends else 0.0)
    if clean(data.amends).strip():
        add_center_line(doc, f"（修订{clean(data.amends).strip()}）", font=fonts.kai)
        doc.y += LINE_PITCH
    add_body(doc, data.body)
    if decisions:
        n1 = count_level1(data.body)
        heading = f"{cn_number(n1 + 1)}、会议议定事项" if n1 else "会议议定事项"
        doc.add(Para([(heading, fonts.heading)], keep_with_next=True))
        for d in decisions:
            doc.add(body_para(doc, decision_sentence(d)))
    blocks = [("出席", data.present), ("请假", data.on_leave), ("列席", data.nonvoting)]
    if any(items for _, items in blocks):
        doc.blank_lines(1)
        for label, items in blocks:
            add_labelled_block(doc, label, list(items or []))
    add_banji(doc, [("分送", data.main_recipients), ("抄送", data.cc_recipients)],
              (head.issuer, cn_date(data.date) + "印发"))
    return doc.render()


# ---------------------------------------------------------------- 通报 / 考评 / 督办 / 台账

def _section_heading(doc: Doc, heading: str, index: int) -> None:
    h = clean(heading).replace("\n", "").strip()
    if not h:
        return
    if heading_level(h) == 0:
        h = f"{cn_number(index)}、{h}"
    doc.add(body_para(doc, h))


def build_bulletin(data: BulletinData, *, pdf_font: str | None = None) -> bytes:
    """通报: red mark, 期数 (and number), issuer/date, red separator, title, 主送, sections with
    headings, issuer + date; each table follows as an attachment (附表) on a new page."""
    fonts = register_fonts(pdf_font)
    head = _head(data.head)
    doc = Doc(fonts, title=clean(data.title), author=head.issuer,
              keep_words=_names(head.issuer, data.recipients,
                                [r[0] for t in data.tables or [] for r in t.rows or [] if r]))
    _red_header(doc, head.bulletin_mark, [data.issue_label, data.number], head.issuer, data.date)
    add_title(doc, data.title)
    _recipient(doc, data.recipients)
    for i, sec in enumerate(data.sections or [], 1):
        _section_heading(doc, sec.heading, i)
        add_body(doc, sec.body)
    add_signature(doc, head.issuer, data.date, seal=False)
    tables = [t for t in (data.tables or []) if t.headers or t.rows]
    for i, t in enumerate(tables, 1):
        _attachment_table(doc, t, "附表" + (str(i) if len(tables) > 1 else ""), size=12.0)
    return doc.render()


def _attachment_table(doc: Doc, table, label: str, *, size: float) -> None:
    """A table as an attachment (GB/T 9704 §8): new page, label in hei at the top left, title
    centred, then the table."""
    doc.new_page()
    doc.add(Para([(label, doc.fonts.heading)], first_indent=0))
    if clean(table.title).strip():
        add_title(doc, table.title, space_after=0.4 * LINE_PITCH)
    add_table(doc, type(table)(table.headers, table.rows, ""), size=size)


def build_evaluation(data: EvaluationData, *, pdf_font: str | None = None) -> bytes:
    """Annual evaluation of member units: bulletin header, title, intro, the score table, one
    comment paragraph per unit, issuer + date."""
    fonts = register_fonts(pdf_font)
    head = _head(data.head)
    doc = Doc(fonts, title=clean(data.title), author=head.issuer,
              keep_words=_names(head.issuer, [c[0] for c in data.comments or []],
                                [r[0] for r in data.table.rows or [] if r]))
    _red_header(doc, head.bulletin_mark, [data.number or f"{data.year}年度"], head.issuer, data.date)
    add_title(doc, data.title)
    add_body(doc, data.intro)
    add_table(doc, data.table, size=12.0, keep_after=0.0 if data.comments else SIGNATURE_HEIGHT)
    for i, item in enumerate(data.comments or [], 1):
        unit, grade, comment = (list(item) + ["", "", ""])[:3]
        unit, grade = clean(unit).strip(), clean(grade).strip()
        label = f"（{cn_number(i)}）{unit}" + (f"（{grade}）" if grade else "") + "。"
        runs = [(label, fonts.kai)]
        comment = clean(comment).replace("\n", "").strip()
        if comment:
            runs.append((comment, fonts.body))
        doc.add(Para(runs))
    add_signature(doc, head.issuer, data.date, seal=False)
    return doc.render()


def build_followup(data: FollowupData, *, pdf_font: str | None = None) -> bytes:
    """督促落实情况 report of one meeting's decisions: title, meeting label, issuer and date,
    summary, table."""
    fonts = register_fonts(pdf_font)
    head = _head(data.head)
    units = [r[j] for r in data.table.rows or [] for j, h in enumerate(data.table.headers or [])
             if "单位" in h and j < len(r)]
    doc = Doc(fonts, title=clean(data.title), author=head.issuer, keep_words=_names(head.issuer, units))
    add_title(doc, data.title, space_after=0.0 if clean(data.meeting_label).strip() else LINE_PITCH)
    if clean(data.meeting_label).strip():
        add_center_line(doc, f"（{clean(data.meeting_label).strip().strip('（）()')}）", font=fonts.kai)
        doc.y += 0.3 * LINE_PITCH
    add_left_right(doc, clean(head.issuer).strip(), cn_date(data.date))
    doc.y += 0.3 * LINE_PITCH
    add_body(doc, data.summary)
    doc.blank_lines(0.3)
    add_table(doc, data.table, size=11.0)
    return doc.render()


def build_ledger(data: LedgerData, *, pdf_font: str | None = None) -> bytes:
    """重大敏感案件台账 on landscape A4: title, issuer and date, the table in 10.5 pt."""
    fonts = register_fonts(pdf_font)
    head = _head(data.head)
    doc = Doc(fonts, LANDSCAPE, title=clean(data.title), author=head.issuer, keep_words=_names(head.issuer))
    add_title(doc, data.title, space_after=0.3 * LINE_PITCH)
    add_left_right(doc, clean(head.issuer).strip(), cn_date(data.date))
    doc.y -= 0.2 * LINE_PITCH
    add_table(doc, data.table, size=10.5)
    return doc.render()

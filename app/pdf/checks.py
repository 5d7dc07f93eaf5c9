"""核查结果: the answers of the member units to one case's information checks, in one document.

A small builder on the GB/T 9704 engine (app/pdf/gbt9704.py): title, the case, issuer and date, an
introduction, a summary table of every item, then each unit's answer in full. Plain data in, PDF
bytes out; no Flask, no database. Free text is printed literally.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .data import Letterhead, TableData
from .fonts import register_fonts
from .gbt9704 import (LINE_PITCH, Doc, Para, add_body, add_center_line, add_left_right, add_signature, add_table,
                      add_title, body_para, clean, cn_date, cn_number)

__all__ = ["CheckAnswer", "CheckResultLine", "CheckResultsData", "build_check_results"]


@dataclass
class CheckResultLine:
    """One item asked: a row of the summary table."""
    unit: str
    item: str
    status: str                     # 已函复 / 办理中（未函复） …
    deadline: date | None = None
    replied_on: date | None = None


@dataclass
class CheckAnswer:
    """One unit's answer (its matter covers all the items asked of it)."""
    unit: str
    items: list[str]
    status: str
    letter_number: str = ""
    notes: list[str] = field(default_factory=list)   # the requester's details, per item
    answer: str = ""                # the unit's reply
    result: str = ""
    reply_number: str = ""
    replied_on: date | None = None
    files: list[str] = field(default_factory=list)


@dataclass
class CheckResultsData:
    head: Letterhead
    title: str                      # XX有限公司信息核查结果
    case_label: str                 # 案号：…
    date: date
    intro: str
    lines: list[CheckResultLine]
    answers: list[CheckAnswer]


def _labelled(doc: Doc, label: str, text: str) -> None:
    text = clean(text).replace("\n", " ").strip()
    if text:
        doc.add(Para([(label + "：", doc.fonts.kai), (text, doc.fonts.body)]))


def build_check_results(data: CheckResultsData, *, pdf_font: str | None = None) -> bytes:
    fonts = register_fonts(pdf_font)
    head = data.head or Letterhead()
    doc = Doc(fonts, title=clean(data.title), author=head.issuer)
    add_title(doc, data.title, space_after=0.0)
    add_center_line(doc, clean(data.case_label).strip(), font=fonts.kai)
    doc.y += 0.3 * LINE_PITCH
    add_left_right(doc, clean(head.issuer).strip(), cn_date(data.date))
    doc.y += 0.3 * LINE_PITCH
    add_body(doc, data.intro)
    rows = [[str(i), line.unit, line.item, line.deadline.isoformat() if line.deadline else "",
             line.status + (f"\n{line.replied_on.isoformat()}" if line.replied_on else "")]
            for i, line in enumerate(data.lines, 1)]
    doc.blank_lines(0.3)
    add_table(doc, TableData(["序号", "查询单位", "核查事项", "办理期限", "办理情况"], rows), size=11.0)
    doc.blank_lines(0.5)
    for i, answer in enumerate(data.answers, 1):
        doc.add(body_para(doc, f"{cn_number(i)}、{clean(answer.unit).strip()}"))
        _labelled(doc, "核查事项", "、".join(answer.items))
        _labelled(doc, "补充说明", "；".join(n for n in answer.notes if n))
        _labelled(doc, "函告文号", answer.letter_number)
        if answer.answer.strip():
            for paragraph in clean(answer.answer).split("\n"):
                if paragraph.strip(" \u3000"):
                    doc.add(Para([(paragraph.strip(" \u3000"), fonts.body)]))
            _labelled(doc, "办理结果", answer.result)
            _labelled(doc, "复函文号", answer.reply_number)
            _labelled(doc, "函复日期", cn_date(answer.replied_on) if answer.replied_on else "")
            _labelled(doc, "附件", "、".join(answer.files))
        else:
            _labelled(doc, "办理情况", f"{answer.status}，尚未收到查询结果")
    add_signature(doc, head.issuer, data.date, seal=False)
    return doc.render()

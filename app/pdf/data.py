"""Plain data handed to the PDF builders (no Flask, no database).

Every field is a plain str / int / datetime.date / list, so callers can build these from ORM rows,
form data or fixtures alike.  Free text is printed literally: nothing here is ever parsed as markup.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = [
    "Letterhead", "LetterData", "ReplyData", "PersonLine", "DecisionLine", "MinutesData",
    "BulletinSection", "TableData", "BulletinData", "EvaluationData", "FollowupData", "LedgerData",
]


@dataclass
class Letterhead:
    """Settings-driven organisation texts."""
    org_name: str = "平陆县"
    issuer: str = "平陆县企业破产处置府院联动机制办公室"
    meeting_mark: str = "平陆县企业破产处置府院联动联席会议纪要"
    special_meeting_mark: str = "平陆县企业破产处置府院联动专题会议纪要"
    bulletin_mark: str = "平陆县企业破产处置府院联动工作通报"


@dataclass
class LetterData:
    """函告 (信函格式, GB/T 9704 §10.1)."""
    head: Letterhead
    number: str                 # 平府院函〔2026〕15号
    title: str
    recipient: str              # 主送, e.g. 县税务局
    cc_units: list[str]         # 抄送 / 协办单位, may be empty
    body: str                   # lines starting 一、/（一）/1. are headings of levels 1/2/3
    deadline: date | None
    contact_name: str
    contact_phone: str
    date: date


@dataclass
class ReplyData:
    """函复 of a member unit."""
    head: Letterhead
    unit_name: str
    number: str                 # may be ""
    title: str
    recipient: str
    original_title: str
    original_number: str
    body: str
    result: str
    contact_name: str
    contact_phone: str
    date: date


@dataclass
class PersonLine:
    name: str
    note: str = ""              # e.g. 副县长

    def __str__(self) -> str:
        return f"{self.name}（{self.note}）" if self.note else self.name


@dataclass
class DecisionLine:
    seq: int
    text: str
    lead_unit: str
    co_units: list[str]
    deadline: date | None


@dataclass
class MinutesData:
    """会议纪要 (纪要格式)."""
    head: Letterhead
    kind: str                   # "joint" or "special"
    number: str                 # 平府院联纪〔2026〕2号
    issue_label: str            # 第2期
    title: str
    date: date
    body: str
    decisions: list[DecisionLine]
    present: list[str]
    on_leave: list[str]
    nonvoting: list[str]
    main_recipients: str        # 分送
    cc_recipients: str          # 抄送
    amends: str = ""            # number of the minutes this one amends


@dataclass
class BulletinSection:
    heading: str
    body: str


@dataclass
class TableData:
    headers: list[str]
    rows: list[list[str]]
    title: str = ""


@dataclass
class BulletinData:
    """通报."""
    head: Letterhead
    number: str
    issue_label: str            # 2026年第1期（总第4期）
    title: str
    date: date
    recipients: str             # 各成员单位
    sections: list[BulletinSection]
    tables: list[TableData]


@dataclass
class EvaluationData:
    """Annual evaluation bulletin of member units."""
    head: Letterhead
    number: str
    year: int
    title: str
    date: date
    intro: str
    table: TableData
    comments: list[tuple[str, str, str]]   # (unit, grade, comment)


@dataclass
class FollowupData:
    """Decision follow-up report of a meeting (督促落实情况)."""
    head: Letterhead
    title: str
    meeting_label: str
    date: date
    table: TableData
    summary: str


@dataclass
class LedgerData:
    """重大敏感案件台账 export (landscape A4 table)."""
    head: Letterhead
    title: str
    date: date
    table: TableData

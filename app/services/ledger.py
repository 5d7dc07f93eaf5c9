"""重大敏感案件台账: the ledger rows, their Excel export and the ledger PDF.

A fixed number of queries whatever the number of cases (no N+1; long id lists go in chunks of 5000):
the cases' sort columns with the id of their latest progress entry (a correlated subquery) and
open-matter counts, the progress entries by id, the deadlines of their open matters (whose overdue
state is computed with the working-day calendar, as everywhere else), and the `Case` records of the
rows shown (`attach_cases`). Both go through the
user's row-level scope: a member unit sees its cases, and only the matters it may see.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import func, or_, select

from app import models as m
from app.models.cases import RISK_LEVELS, STAGE_LABELS
from app.models.supervision import OPEN_MATTER_STATUSES
from app.security.scope import current_user, scope_clause
from app.services.case_import import CASE_COLUMN_BY_KEY, CASE_COLUMNS, case_values
from app.services.excel_rows import ColumnSpec, write_workbook

SORT_KEYS = {
    "case_number": "案号", "enterprise_name": "企业", "stage": "阶段", "risk_level": "风险等级",
    "open_matters": "办理中事项", "overdue_matters": "逾期事项", "last_progress_date": "最近进展",
}
RISK_RANK = {level: i + 1 for i, level in enumerate(RISK_LEVELS)}
STAGE_RANK = {code: i for i, code in enumerate(STAGE_LABELS)}


@dataclass
class LedgerFilters:
    q: str = ""
    stage: str = ""
    risk_level: str = ""
    overdue_only: bool = False
    major_only: bool = True
    sort: str = "last_progress_date"
    desc: bool = True

    @property
    def title(self) -> str:
        return "重大敏感案件台账" if self.major_only else "破产案件台账"

    @classmethod
    def from_args(cls, args) -> "LedgerFilters":
        sort = args.get("sort") or "last_progress_date"
        return cls(
            q=(args.get("q") or "").strip()[:100],
            stage=args.get("stage") if args.get("stage") in STAGE_LABELS else "",
            risk_level=args.get("risk_level") if args.get("risk_level") in RISK_LEVELS + ("未评估",) else "",
            overdue_only=args.get("overdue") in ("1", "true", "on"),
            major_only=args.get("scope") != "all",
            sort=sort if sort in SORT_KEYS else "last_progress_date",
            desc=(args.get("dir") or ("desc" if sort in ("last_progress_date", "risk_level", "open_matters",
                                                          "overdue_matters") else "asc")) == "desc",
        )


SORT_COLUMNS = ("case_number", "enterprise_name", "stage", "risk_level")


@dataclass
class LedgerRow:
    case: Optional[m.Case]       # None until `attach_cases` (a page loads only the cases it shows)
    open_matters: int = 0
    overdue_matters: int = 0
    last_progress_date: Optional[dt.date] = None
    last_progress: str = ""
    last_progress_unit: str = ""
    overdue_titles: list[str] = field(default_factory=list)
    case_id: int = 0
    sort_values: dict = field(default_factory=dict)

    @property
    def open_label(self) -> str:
        return f"{self.open_matters}/{self.overdue_matters}"

    def as_dict(self) -> dict:
        row = case_values(self.case)
        row.update(risk_level=self.case.risk_level or "未评估", open_matters=self.open_matters,
                   overdue_matters=self.overdue_matters, last_progress_date=self.last_progress_date,
                   last_progress=self.last_progress)
        return row

    def as_json(self) -> dict:
        c = self.case
        return {"id": c.id, "case_number": c.case_number, "enterprise_name": c.enterprise_name,
                "stage": c.stage, "stage_label": c.stage_label, "risk_level": c.risk_level,
                "monitoring_points": c.monitoring_points, "is_major_sensitive": c.is_major_sensitive,
                "open_matters": self.open_matters, "overdue_matters": self.overdue_matters,
                "last_progress_date": self.last_progress_date.isoformat() if self.last_progress_date else None,
                "last_progress": self.last_progress, "last_progress_unit": self.last_progress_unit}


def ledger_rows(session, user=None, filters: LedgerFilters | None = None, load_cases: bool = True) -> list[LedgerRow]:
    """The ledger for `user` (default: the current user), filtered and sorted.

    Filtering and sorting need only a few columns of each case; the whole `Case` records are loaded
    afterwards (`attach_cases`) — for every row by default, or, with ``load_cases=False``, by the
    caller for the page it shows (a page of 50 out of thousands, issue 8)."""
    from app.services import settings
    from app.services.calendar import today, work_calendar
    from app.services.workdays import deadline_alert

    user = user if user is not None else current_user()
    filters = filters or LedgerFilters()
    case_scope = scope_clause(m.Case, user)
    progress_scope = scope_clause(m.CaseProgress, user)
    matter_scope = scope_clause(m.Matter, user)

    latest_progress = select(m.CaseProgress.id).where(m.CaseProgress.case_id == m.Case.id)
    if progress_scope is not None:
        latest_progress = latest_progress.where(progress_scope)
    latest_progress = (latest_progress.order_by(m.CaseProgress.entry_date.desc(), m.CaseProgress.id.desc())
                       .limit(1).correlate(m.Case).scalar_subquery())
    open_count = select(func.count(m.Matter.id)).where(m.Matter.case_id == m.Case.id,
                                                      m.Matter.status.in_(OPEN_MATTER_STATUSES))
    if matter_scope is not None:
        open_count = open_count.where(matter_scope)
    open_count = open_count.correlate(m.Case).scalar_subquery()

    # The latest progress entry's id is a correlated subquery in the SELECT list (one index probe per
    # case); the entries themselves are read by id afterwards. Joining ON that subquery instead made
    # PostgreSQL evaluate it for every (case, entry) pair: over a minute at 20000 cases (issue 8).
    sort_columns = [getattr(m.Case, c) for c in SORT_COLUMNS]
    query = (select(m.Case.id, *sort_columns, open_count.label("open_matters"), latest_progress.label("progress_id"))
             .select_from(m.Case))
    if case_scope is not None:
        query = query.where(case_scope)
    if filters.major_only:
        query = query.where(m.Case.is_major_sensitive.is_(True))
    if filters.q:
        like = f"%{filters.q}%"
        query = query.where(or_(m.Case.case_number.ilike(like), m.Case.enterprise_name.ilike(like),
                                m.Case.monitoring_points.ilike(like)))
    if filters.stage:
        query = query.where(m.Case.stage == filters.stage)
    if filters.risk_level == "未评估":
        query = query.where(m.Case.risk_level.is_(None))
    elif filters.risk_level:
        query = query.where(m.Case.risk_level == filters.risk_level)

    rows: list[LedgerRow] = []
    n_sort = len(SORT_COLUMNS)
    progress_of: dict[int, LedgerRow] = {}
    for case_id, *values in session.execute(query):
        keys, (n_open, progress_id) = values[:n_sort], values[n_sort:]
        row = LedgerRow(case=None, case_id=case_id, sort_values=dict(zip(SORT_COLUMNS, keys)), open_matters=n_open or 0)
        rows.append(row)
        if progress_id is not None:
            progress_of[progress_id] = row
    ids = list(progress_of)
    for start in range(0, len(ids), 5000):
        entries = (select(m.CaseProgress.id, m.CaseProgress.entry_date, m.CaseProgress.content, m.Unit.name)
                   .outerjoin(m.Unit, m.Unit.id == m.CaseProgress.unit_id)
                   .where(m.CaseProgress.id.in_(ids[start:start + 5000])))
        for progress_id, p_date, p_content, p_unit in session.execute(entries):
            row = progress_of[progress_id]
            row.last_progress_date, row.last_progress, row.last_progress_unit = p_date, p_content or "", p_unit or ""
    if rows:
        by_id = {row.case_id: row for row in rows}
        calendar, on = work_calendar(), today()
        near, escalate = settings.get_int("near_deadline_workdays"), max(1, settings.get_int("escalate_workdays"))
        case_ids = list(by_id)
        found = []
        for start in range(0, len(case_ids), 5000):
            deadlines = select(m.Matter.case_id, m.Matter.deadline, m.Matter.title).where(
                m.Matter.case_id.in_(case_ids[start:start + 5000]), m.Matter.status.in_(OPEN_MATTER_STATUSES),
                m.Matter.deadline.is_not(None))
            if matter_scope is not None:
                deadlines = deadlines.where(matter_scope)
            found.extend(session.execute(deadlines))
        for case_id, deadline, title in found:
            if deadline_alert(deadline, on, calendar, near, escalate, False) in ("overdue", "escalated"):
                by_id[case_id].overdue_matters += 1
                by_id[case_id].overdue_titles.append(title)
    if filters.overdue_only:
        rows = [row for row in rows if row.overdue_matters]
    rows.sort(key=lambda row: row.case_id, reverse=True)
    rows.sort(key=_sort_key(filters.sort), reverse=filters.desc)
    if load_cases:
        attach_cases(session, rows)
    return rows


def attach_cases(session, rows: list[LedgerRow], chunk: int = 2000) -> list[LedgerRow]:
    """Load the `Case` records of `rows` (already in the user's scope: they came from the ledger query)."""
    ids = [row.case_id for row in rows if row.case is None]
    cases = {}
    for start in range(0, len(ids), chunk):
        cases.update({c.id: c for c in session.query(m.Case).filter(m.Case.id.in_(ids[start:start + chunk]))})
    for row in rows:
        if row.case is None:
            row.case = cases.get(row.case_id)
    return rows


def _sort_key(sort: str):
    if sort == "risk_level":
        return lambda r: RISK_RANK.get(r.sort_values.get("risk_level") or "", 0)
    if sort == "stage":
        return lambda r: STAGE_RANK.get(r.sort_values.get("stage"), 99)
    if sort in ("open_matters", "overdue_matters"):
        return lambda r: getattr(r, sort)
    if sort == "last_progress_date":
        return lambda r: r.last_progress_date or dt.date.min
    return lambda r: r.sort_values.get(sort) or ""


# --- exports ---------------------------------------------------------------------------------
LEDGER_EXTRA_COLUMNS = {
    "risk_level": ColumnSpec("risk_level", "风险等级"),
    "open_matters": ColumnSpec("open_matters", "办理中事项", "int"),
    "overdue_matters": ColumnSpec("overdue_matters", "逾期事项", "int"),
    "last_progress_date": ColumnSpec("last_progress_date", "最近进展日期", "date"),
    "last_progress": ColumnSpec("last_progress", "最近进展", width=40),
}
_FIRST = ["case_number", "enterprise_name", "stage", "risk_level", "monitoring_points", "open_matters",
          "overdue_matters", "last_progress_date", "last_progress"]
#: The ledger sheet: the ledger's own columns first, then every other import column, so the file
#: imports back as the same cases (the importer ignores the computed columns).
EXPORT_COLUMNS: list[ColumnSpec] = (
    [CASE_COLUMN_BY_KEY.get(key) or LEDGER_EXTRA_COLUMNS[key] for key in _FIRST]
    + [c for c in CASE_COLUMNS if c.key not in _FIRST]
)


def ledger_xlsx(rows: list[LedgerRow], title: str = "重大敏感案件台账") -> bytes:
    return write_workbook(EXPORT_COLUMNS, (row.as_dict() for row in rows), sheet_title=title)


PDF_HEADERS = ["序号", "案号", "企业", "阶段", "风险等级", "监测评估重点", "办理中/逾期事项", "最近进展"]


def ledger_pdf(rows: list[LedgerRow], title: str = "重大敏感案件台账", pdf_font: str | None = None) -> bytes:
    from app.pdf import LedgerData, TableData, build_ledger
    from app.services.bulletins import letterhead
    from app.services.calendar import today

    table_rows = []
    for i, row in enumerate(rows, 1):
        c = row.case
        progress = ""
        if row.last_progress_date:
            progress = f"{row.last_progress_date.isoformat()} {row.last_progress}"
            if row.last_progress_unit:
                progress += f"（{row.last_progress_unit}）"
        table_rows.append([str(i), c.case_number, c.enterprise_name, c.stage_label, c.risk_level or "未评估",
                           c.monitoring_points or "", row.open_label, progress])
    data = LedgerData(head=letterhead(), title=title, date=today(),
                      table=TableData(headers=PDF_HEADERS, rows=table_rows))
    return build_ledger(data, pdf_font=pdf_font)

"""Case import from Excel (信息共享机制): one column list for the template, the export and the importer.

All rows or none: every row is checked (case number format and uniqueness in the file and in the
database, credit-code checksum, dates and their order, options by their Chinese label) and nothing
is written unless the whole file is clean; the caller gets every problem with its row and column.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from app.models.cases import ENTERPRISE_TYPE_LABELS, PROCEDURE_LABELS, STAGE_LABELS, Case
from app.services.errors import BusinessError
from app.services.excel_rows import ColumnSpec, RowError, read_rows, template_workbook
from app.services.identifiers import (case_number_error, credit_code_error, normalize_case_number,
                                      normalize_credit_code)

MAX_IMPORT_ROWS = 5000


def _not_negative(value) -> str | None:
    return "不能为负数" if value is not None and value < 0 else None


def _credit_code(value: str) -> str | None:
    return credit_code_error(value)


#: Case columns as they appear in the template, the ledger export and the importer (same headers,
#: so an exported ledger imports back unchanged). Options are written and read by Chinese label.
CASE_COLUMNS: list[ColumnSpec] = [
    ColumnSpec("case_number", "案号", required=True, validator=case_number_error, width=24),
    ColumnSpec("enterprise_name", "企业名称", required=True, max_length=200, width=30),
    ColumnSpec("credit_code", "统一社会信用代码", validator=_credit_code, width=22),
    ColumnSpec("enterprise_type", "企业类型", "enum", choices=list(ENTERPRISE_TYPE_LABELS.values())),
    ColumnSpec("industry", "所属行业", max_length=100),
    ColumnSpec("procedure_type", "程序类型", "enum", choices=list(PROCEDURE_LABELS.values())),
    ColumnSpec("stage", "案件阶段", "enum", choices=list(STAGE_LABELS.values())),
    ColumnSpec("application_date", "申请日期", "date"),
    ColumnSpec("acceptance_date", "受理日期", "date"),
    ColumnSpec("closing_date", "终结日期", "date"),
    ColumnSpec("administrator", "破产管理人", max_length=200),
    ColumnSpec("administrator_contact", "管理人联系方式", max_length=100),
    ColumnSpec("judge", "承办法官", max_length=50),
    ColumnSpec("debt_amount", "负债总额（元）", "decimal", validator=_not_negative),
    ColumnSpec("asset_amount", "资产总额（元）", "decimal", validator=_not_negative),
    ColumnSpec("employee_count", "职工人数", "int", validator=_not_negative),
    ColumnSpec("wage_arrears", "拖欠工资（元）", "decimal", validator=_not_negative),
    ColumnSpec("social_insurance_arrears", "欠缴社保（元）", "decimal", validator=_not_negative),
    ColumnSpec("creditor_count", "债权人数", "int", validator=_not_negative),
    ColumnSpec("is_major_sensitive", "重大敏感案件", "bool"),
    ColumnSpec("monitoring_points", "监测评估重点", max_length=2000, width=40),
    ColumnSpec("is_zombie", "僵尸企业", "bool"),
    ColumnSpec("is_capacity_reduction", "去产能企业", "bool"),
    ColumnSpec("notes", "备注", max_length=2000, width=30),
]
CASE_COLUMN_BY_KEY = {c.key: c for c in CASE_COLUMNS}
ENUM_CODES = {
    "enterprise_type": {label: code for code, label in ENTERPRISE_TYPE_LABELS.items()},
    "procedure_type": {label: code for code, label in PROCEDURE_LABELS.items()},
    "stage": {label: code for code, label in STAGE_LABELS.items()},
}
ENUM_LABELS = {"enterprise_type": ENTERPRISE_TYPE_LABELS, "procedure_type": PROCEDURE_LABELS, "stage": STAGE_LABELS}
DEFAULTS = {"enterprise_type": "private", "procedure_type": "liquidation", "stage": "application",
            "is_major_sensitive": False, "is_zombie": False, "is_capacity_reduction": False}
EXAMPLE_ROW = {
    "case_number": "（2026）晋0829破3号", "enterprise_name": "平陆县某某建材有限公司",
    "credit_code": "91350100M000100Y43", "enterprise_type": "民营企业", "industry": "建材",
    "procedure_type": "破产清算", "stage": "已受理", "application_date": dt.date(2026, 2, 10),
    "acceptance_date": dt.date(2026, 3, 1), "administrator": "山西某律师事务所", "employee_count": 120,
    "wage_arrears": Decimal("850000"), "creditor_count": 230, "is_major_sensitive": True,
    "monitoring_points": "职工安置、欠薪清偿", "is_zombie": False, "is_capacity_reduction": False,
}


def case_values(case: Case) -> dict:
    """A case as an import/export row: options by Chinese label, numbers and dates as they are."""
    row = {}
    for col in CASE_COLUMNS:
        value = getattr(case, col.key)
        if col.key in ENUM_LABELS:
            value = ENUM_LABELS[col.key].get(value, value)
        row[col.key] = value
    return row


def template_bytes() -> bytes:
    return template_workbook(CASE_COLUMNS, sheet_title="破产案件", example_row=EXAMPLE_ROW)


@dataclass
class ImportResult:
    created: list[Case] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_dicts(self) -> list[dict]:
        return [{"row": e.row_number, "column": e.column, "message": e.message} for e in self.errors]


# validate_case messages → the column they are about (the first match wins)
_MESSAGE_COLUMNS = (("案号", "案号"), ("统一社会信用代码", "统一社会信用代码"), ("受理日期", "受理日期"),
                    ("终结日期", "终结日期"), ("企业名称", "企业名称"))


def _column_of(message: str) -> str:
    for col in CASE_COLUMNS:
        if f"“{col.header}”" in message:
            return col.header
    for needle, header in _MESSAGE_COLUMNS:
        if message.startswith(needle) or needle in message[:12]:
            return header
    return ""


def _build_case(row: dict) -> Case:
    values = {}
    for col in CASE_COLUMNS:
        value = row.get(col.key)
        if col.key in ENUM_CODES and value is not None:
            value = ENUM_CODES[col.key][value]
        if value is None and col.key in DEFAULTS:
            value = DEFAULTS[col.key]
        values[col.key] = value
    if values.get("case_number"):
        values["case_number"] = normalize_case_number(values["case_number"])
    if values.get("credit_code"):
        values["credit_code"] = normalize_credit_code(values["credit_code"])
    return Case(**values)


def import_cases(session, data: bytes) -> ImportResult:
    """Parse and check an uploaded .xlsx; add the cases to the session only if every row is valid.

    The caller commits. Uniqueness is checked against the whole database (not the user's scope):
    a case number exists once, whoever may see it.
    """
    from app.services.validation import check_lengths, validate_case

    rows, errors = read_rows(data, CASE_COLUMNS, max_rows=MAX_IMPORT_ROWS)
    errors = list(errors)
    bad_rows = {e.row_number for e in errors}
    first_row_of: dict[str, int] = {}
    for row in rows:
        number = row.get("case_number")
        if not number:
            continue
        norm = normalize_case_number(number)
        if norm in first_row_of:
            errors.append(RowError(row.row_number, "案号", f"与第{first_row_of[norm]}行的案号重复"))
            bad_rows.add(row.row_number)
        else:
            first_row_of[norm] = row.row_number
    existing: set[str] = set()
    numbers = list(first_row_of)
    for start in range(0, len(numbers), 500):
        chunk = numbers[start:start + 500]
        existing.update(n for (n,) in session.query(Case.case_number).filter(Case.case_number.in_(chunk)))
    for number in sorted(existing, key=first_row_of.get):
        errors.append(RowError(first_row_of[number], "案号", f"案号 {number} 已存在，不能重复登记"))
        bad_rows.add(first_row_of[number])

    cases: list[Case] = []
    for row in rows:
        if row.get("application_date") and row.get("acceptance_date") and row["acceptance_date"] < row["application_date"]:
            errors.append(RowError(row.row_number, "受理日期", "受理日期不能早于申请日期"))
            bad_rows.add(row.row_number)
        if row.get("acceptance_date") and row.get("closing_date") and row["closing_date"] < row["acceptance_date"]:
            errors.append(RowError(row.row_number, "终结日期", "终结日期不能早于受理日期"))
            bad_rows.add(row.row_number)
        if row.row_number in bad_rows:
            continue
        case = _build_case(row)
        try:  # the same rules as the form and the API, as a final check
            check_lengths(case)
            validate_case(case)
        except BusinessError as exc:
            errors.append(RowError(row.row_number, _column_of(exc.message), exc.message))
            continue
        cases.append(case)
    if errors:
        return ImportResult(errors=_ordered(errors))
    session.add_all(cases)
    session.flush()
    return ImportResult(created=cases)


def _ordered(errors: list[RowError]) -> list[RowError]:
    order = {c.header: i for i, c in enumerate(CASE_COLUMNS)}
    return sorted(errors, key=lambda e: (e.row_number, order.get(e.column, -1)))

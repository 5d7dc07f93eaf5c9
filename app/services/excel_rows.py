"""Generic Excel (.xlsx) export and all-or-nothing import, driven by column specs.

One list of :class:`ColumnSpec` describes a sheet for the ledger export, the import template
and the importer, so the three can never disagree about headers or types. The importer only
parses and checks: it returns every error at once (row and Chinese column header), and the
caller writes nothing unless the error list is empty ("all rows or none").
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

__all__ = [
    "KINDS",
    "ColumnSpec",
    "RowError",
    "RowDict",
    "write_workbook",
    "template_workbook",
    "read_rows",
    "parse_date",
]

KINDS = ("str", "int", "decimal", "date", "bool", "enum")
DATE_FORMAT = "yyyy-mm-dd"
_TRUE_TEXT = "是"
_FALSE_TEXT = "否"
_KIND_NAMES = {
    "str": "文本",
    "int": "整数",
    "decimal": "数字",
    "date": "日期（如 2026-03-01）",
    "bool": "是/否",
    "enum": "选项",
}
_DEFAULT_WIDTH = {"int": 10, "decimal": 14, "date": 12, "bool": 8, "enum": 12, "str": 12}
_MAX_WIDTH = 60
_WIDTH_SAMPLE_ROWS = 200
_HEADER_FONT = Font(bold=True)
_REQUIRED_HEADER_FONT = Font(bold=True, color="C00000")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_SERIAL_1950 = 18264  # Excel serial of 1950-01-01
_SERIAL_2100 = 73051  # Excel serial of 2100-01-01
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class ColumnSpec:
    """One column: ``key`` in the row dicts, Chinese ``header`` in the sheet.

    ``validator`` gets the converted, non-empty value and returns a Chinese message or None.
    ``width`` optionally overrides the computed column width (in Excel character units).
    """

    key: str
    header: str
    kind: str = "str"
    required: bool = False
    max_length: int | None = None
    choices: Sequence[str] | None = None
    validator: Callable[[Any], str | None] | None = None
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"未知的列类型：{self.kind}")
        if self.kind == "enum" and not self.choices:
            raise ValueError(f"选项列“{self.header}”必须给出 choices")
        if not self.header or not self.header.strip():
            raise ValueError(f"列“{self.key}”缺少表头")


@dataclass(frozen=True)
class RowError:
    """A problem at an Excel row (header = 1; 0 = the file itself) and column header."""

    row_number: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.row_number == 0:
            return self.message
        where = f"第{self.row_number}行"
        if self.column:
            where += f"“{self.column}”列"
        return f"{where}：{self.message}"


class RowDict(dict):
    """A parsed row (column key → value) that also remembers its Excel ``row_number``.

    Compares equal to a plain dict, so it can be used anywhere a dict is expected; the row
    number lets the caller report database-level problems (duplicates …) against the sheet.
    """

    row_number: int = 0


# ----------------------------------------------------------------------------- writing


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", "_", title or "").strip("'") or "Sheet1"
    return cleaned[:31]


def _clean_text(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _export_value(col: ColumnSpec, value: Any) -> Any:
    """Python value → what goes into the cell (before styling)."""
    if value is None:
        return None
    if col.kind == "bool":
        if isinstance(value, bool):
            return _TRUE_TEXT if value else _FALSE_TEXT
        return _clean_text(str(value))
    if col.kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return _clean_text(str(value))
    if col.kind in ("int", "decimal"):
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return value
        return _clean_text(str(value))
    # str / enum (enum.Enum members are written by their value)
    value = getattr(value, "value", value)
    return _clean_text(str(value))


def _cell(ws, col: ColumnSpec, value: Any) -> Any:
    """Value or WriteOnlyCell. Plain dates get openpyxl's yyyy-mm-dd format by themselves;
    text starting with "=" is forced to a string so user text never becomes a formula."""
    if value is None:
        return None
    if col.kind == "date" and type(value) is dt.date:
        return value  # fast path: most cells of a ledger
    if type(value) is int and col.kind in ("int", "decimal"):
        return value
    v = _export_value(col, value)
    if isinstance(v, str) and v.startswith("="):
        c = WriteOnlyCell(ws, value=v)
        c.data_type = "s"
        return c
    return v


def _widths(columns: Sequence[ColumnSpec], sample: list[dict]) -> list[float]:
    widths = []
    for col in columns:
        if col.width:
            widths.append(col.width)
            continue
        w = max(_display_width(col.header) + 4, _DEFAULT_WIDTH[col.kind])
        if col.kind == "enum" and col.choices:
            w = max(w, max(_display_width(c) for c in col.choices) + 4)
        if col.kind == "str":
            for row in sample:
                v = row.get(col.key)
                if v is not None:
                    w = max(w, _display_width(str(v)) + 2)
        widths.append(min(w, _MAX_WIDTH))
    return widths


def _header_cells(ws, columns: Sequence[ColumnSpec], mark_required: bool) -> list[WriteOnlyCell]:
    cells = []
    for col in columns:
        c = WriteOnlyCell(ws, value=col.header)
        c.font = _REQUIRED_HEADER_FONT if (mark_required and col.required) else _HEADER_FONT
        c.fill = _HEADER_FILL
        c.alignment = _HEADER_ALIGN
        cells.append(c)
    return cells


def write_workbook(
    columns: Sequence[ColumnSpec], rows: Iterable[dict], sheet_title: str = "Sheet1"
) -> bytes:
    """Export rows as .xlsx: bold frozen Chinese header row, real Excel dates, 是/否 booleans.

    Uses openpyxl's write-only mode (streams rows, constant memory) so ledgers of tens of
    thousands of rows export in seconds. Column widths come from the headers and the first
    rows.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(sheet_title))
    it = iter(rows)
    sample = list(itertools.islice(it, _WIDTH_SAMPLE_ROWS))
    for i, w in enumerate(_widths(columns, sample), start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    ws.append(_header_cells(ws, columns, mark_required=False))
    for row in itertools.chain(sample, it):
        ws.append([_cell(ws, col, row.get(col.key)) for col in columns])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_workbook(
    columns: Sequence[ColumnSpec], sheet_title: str = "Sheet1", example_row: dict | None = None
) -> bytes:
    """An empty import template: the header row (required headers in red), drop-down lists
    for 是/否 and option columns, and a second sheet 填写说明 describing each column.

    ``example_row`` is shown on the 填写说明 sheet, not on the data sheet, so a user who
    forgets to delete it does not import a fake record.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(sheet_title)
    for i, col in enumerate(columns, start=1):
        c = ws.cell(row=1, column=i, value=col.header)
        c.font = _REQUIRED_HEADER_FONT if col.required else _HEADER_FONT
        c.fill = _HEADER_FILL
        c.alignment = _HEADER_ALIGN
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = _widths([col], [example_row] if example_row else [])[0]
        choices: Sequence[str] | None = None
        if col.kind == "bool":
            choices = (_TRUE_TEXT, _FALSE_TEXT)
        elif col.kind == "enum":
            choices = col.choices
        formula = '"' + ",".join(choices) + '"' if choices else ""
        # Excel limits an inline list to 255 characters; longer lists are only documented.
        if choices and len(formula) <= 255 and not any("," in ch or '"' in ch for ch in choices):
            dv = DataValidation(
                type="list", formula1=formula, allow_blank=not col.required, showErrorMessage=True
            )
            dv.error = "请从下拉列表中选择"
            dv.errorTitle = "输入有误"
            dv.add(f"{letter}2:{letter}10001")
            ws.add_data_validation(dv)
        if col.kind == "date":
            ws.column_dimensions[letter].number_format = DATE_FORMAT
    ws.freeze_panes = "A2"

    help_ws = wb.create_sheet("填写说明")
    head = ["列名", "是否必填", "类型", "说明"] + (["示例"] if example_row else [])
    help_ws.append(head)
    for c in help_ws[1]:
        c.font = _HEADER_FONT
        c.fill = _HEADER_FILL
    for col in columns:
        notes = []
        if col.max_length:
            notes.append(f"不超过{col.max_length}个字")
        if col.kind == "enum" and col.choices:
            notes.append("可选：" + "、".join(col.choices))
        if col.kind == "date":
            notes.append("也可填写 2026/3/1 或 2026年3月1日")
        line = [col.header, "必填" if col.required else "选填", _KIND_NAMES[col.kind], "；".join(notes)]
        if example_row:
            ex = _export_value(col, example_row.get(col.key))
            line.append(ex.isoformat() if isinstance(ex, dt.date) else ex)
        help_ws.append(line)
    help_ws.append([])
    help_ws.append(["导入时按表头文字识别列，列的顺序可以调整；第一张工作表为数据表，整表有任何错误时全部不导入。"])
    for letter, w in zip("ABCDE", (24, 10, 20, 40, 24)):
        help_ws.column_dimensions[letter].width = w
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- reading

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(text: str) -> dt.date | None:
    """Parse 2026-03-01 / 2026/3/1 / 2026.3.1 / 2026年3月1日 / 20260301 (time part ignored);
    None when it is not a real date."""
    s = unicodedata.normalize("NFKC", text).strip()
    s = re.sub(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", s)
    for pat in _DATE_PATTERNS:
        m = pat.match(s)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def _normalize_header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(text.split())
    text = re.sub(r"\(必填\)|\(选填\)", "", text)
    return text.strip("*")


def _number_text(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")


def _convert(col: ColumnSpec, value: Any) -> tuple[Any, str | None]:
    """Cell value → (Python value, error). Blank cells were filtered out before."""
    kind = col.kind
    if kind in ("str", "enum"):
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))  # 13800000000 typed as a number
        elif isinstance(value, dt.datetime):
            text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
        elif isinstance(value, dt.date):
            text = value.isoformat()
        elif isinstance(value, bool):
            text = _TRUE_TEXT if value else _FALSE_TEXT
        else:
            text = str(value).strip()
        if kind == "enum":
            if text not in col.choices:
                return None, "应为以下之一：" + "、".join(col.choices)
            return text, None
        if col.max_length is not None and len(text) > col.max_length:
            return None, f"不能超过{col.max_length}个字（当前{len(text)}个字）"
        return text, None
    if kind == "int":
        if isinstance(value, bool):
            return None, "应为整数"
        if isinstance(value, int):
            return value, None
        if isinstance(value, float):
            return (int(value), None) if value.is_integer() else (None, "应为整数")
        text = _number_text(value)
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text), None
        try:
            d = Decimal(text)
        except InvalidOperation:
            return None, "应为整数"
        if d.is_finite() and d == d.to_integral_value():
            return int(d), None
        return None, "应为整数"
    if kind == "decimal":
        if isinstance(value, bool):
            return None, "应为数字"
        if isinstance(value, (int, float)):
            d = Decimal(str(value))
        else:
            try:
                d = Decimal(_number_text(value))
            except InvalidOperation:
                return None, "应为数字"
        if not d.is_finite():
            return None, "应为数字"
        return d, None
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date(), None
        if isinstance(value, dt.date):
            return value, None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            # A date cell that lost its date format is still an Excel serial number;
            # only 1950–2099 is plausible here, anything else is a typo like 2026.
            if _SERIAL_1950 <= value < _SERIAL_2100:
                return from_excel(value).date(), None
            return None, "应为日期，如 2026-03-01"
        d = parse_date(str(value))
        if d is None:
            return None, "应为有效日期，如 2026-03-01、2026/3/1 或 2026年3月1日"
        return d, None
    # bool
    if isinstance(value, bool):
        return value, None
    text = str(value).strip()
    if text == _TRUE_TEXT:
        return True, None
    if text == _FALSE_TEXT:
        return False, None
    return None, "应填写“是”或“否”"


class _ValidatorFailed(Exception):
    """Lets a caller's validator bug propagate instead of being reported as a broken file."""


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_rows(
    data: bytes, columns: Sequence[ColumnSpec], max_rows: int | None = None
) -> tuple[list[RowDict], list[RowError]]:
    """Parse the first sheet of an .xlsx file into dicts keyed by ``ColumnSpec.key``.

    Headers are matched by their Chinese text (order-free; a trailing ``*`` or ``（必填）`` and
    spaces are ignored; unknown columns are ignored). Every problem is collected, never just
    the first: a missing required header is an error on row 1, a file that is not .xlsx is an
    error on row 0. Fully empty rows are skipped. Each row dict holds every column key (None
    for blanks; text is stripped). Callers must import nothing unless the error list is empty.
    ``max_rows`` (optional) caps the number of data rows accepted.
    """
    if not data:
        return [], [RowError(0, "", "文件为空，请选择要导入的 Excel（.xlsx）文件")]
    if data[:8] == _OLE_MAGIC:
        return [], [RowError(0, "", "不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再导入")]
    buf = io.BytesIO(data)
    if not zipfile.is_zipfile(buf):
        return [], [RowError(0, "", "文件不是 Excel（.xlsx）格式，请使用导入模板填写后上传")]
    try:
        wb = load_workbook(buf, read_only=True, data_only=True)
    except Exception:  # any parser failure on a user upload is the user's file, not a 500
        return [], [RowError(0, "", "无法读取该文件：文件已损坏或不是 Excel（.xlsx）格式")]
    try:
        return _read_sheet(wb, columns, max_rows)
    except _ValidatorFailed as exc:
        raise exc.__cause__
    except Exception:
        return [], [RowError(0, "", "无法读取该文件：文件内容已损坏")]
    finally:
        wb.close()


# Blank rows in a row after which the data is taken to have ended.
MAX_BLANK_RUN = 1000


def _read_sheet(wb, columns: Sequence[ColumnSpec], max_rows: int | None):
    errors: list[RowError] = []
    if not wb.worksheets:
        return [], [RowError(0, "", "文件中没有工作表")]
    ws = wb.worksheets[0]
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()  # some writers declare a wrong sheet size; read everything
    rows_iter = ws.iter_rows(values_only=True)
    header = next(rows_iter, None) or ()

    wanted = {_normalize_header(c.header): c for c in columns}
    positions: dict[str, int] = {}
    for idx, value in enumerate(header):
        if _is_blank(value):
            continue
        col = wanted.get(_normalize_header(value))
        if col is None:
            continue
        if col.key in positions:
            errors.append(RowError(1, col.header, f"表头“{col.header}”重复出现"))
            continue
        positions[col.key] = idx
    for col in columns:
        if col.required and col.key not in positions:
            errors.append(RowError(1, col.header, f"缺少必填列“{col.header}”"))
    if not positions:
        if not any(e.row_number == 1 for e in errors):
            errors.append(RowError(1, "", "第1行应为表头，未找到任何可识别的列，请使用导入模板"))
        return [], errors

    present = [c for c in columns if c.key in positions]
    absent = [c for c in columns if c.key not in positions]
    result: list[RowDict] = []
    data_rows = blank_run = 0
    for row_number, values in enumerate(rows_iter, start=2):
        cells = {c.key: (values[positions[c.key]] if positions[c.key] < len(values) else None) for c in present}
        if all(_is_blank(v) for v in cells.values()):
            # a sheet "used" down to row 1 048 576 is read to its last data row, not to its end
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        data_rows += 1
        if max_rows is not None and data_rows > max_rows:
            errors.append(RowError(row_number, "", f"数据行数超过上限{max_rows}行，请分批导入"))
            break
        out = RowDict()
        out.row_number = row_number
        for col in present:
            raw = cells[col.key]
            if _is_blank(raw):
                out[col.key] = None
                if col.required:
                    errors.append(RowError(row_number, col.header, "必填项不能为空"))
                continue
            value, err = _convert(col, raw)
            if err is None and col.validator is not None:
                try:
                    err = col.validator(value)
                except Exception as exc:  # a bug in the caller's validator, not a bad file
                    raise _ValidatorFailed() from exc
            if err:
                errors.append(RowError(row_number, col.header, err))
                value = None
            out[col.key] = value
        for col in absent:
            out[col.key] = None
        result.append(out)
    if not result and not errors:
        errors.append(RowError(0, "", "文件中没有数据行"))
    return result, errors

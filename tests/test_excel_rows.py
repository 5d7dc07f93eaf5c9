import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from app.services.excel_rows import ColumnSpec, RowError, parse_date, read_rows, template_workbook, write_workbook
from app.services.identifiers import credit_code_error

COLUMNS = [
    ColumnSpec("credit_code", "统一社会信用代码", "str", required=True, max_length=18, validator=credit_code_error),
    ColumnSpec("name", "企业名称", "str", required=True, max_length=20),
    ColumnSpec("accepted_on", "受理日期", "date"),
    ColumnSpec("employees", "职工人数", "int"),
    ColumnSpec("arrears", "拖欠工资（万元）", "decimal"),
    ColumnSpec("state_owned", "是否国有", "bool"),
    ColumnSpec("level", "风险等级", "enum", choices=["低", "中", "高", "重大"]),
    ColumnSpec("note", "备注", "str"),
]

ROWS = [
    {"credit_code": "91350100M000100Y43", "name": "平陆县某某矿业有限公司", "accepted_on": date(2026, 3, 1),
     "employees": 120, "arrears": Decimal("12.5"), "state_owned": True, "level": "高", "note": "=HYPERLINK(\"x\")"},
    {"credit_code": "91350100M000100Y43", "name": "某某建材厂", "accepted_on": None,
     "employees": None, "arrears": None, "state_owned": False, "level": None, "note": None},
    {"credit_code": "91350100M000100Y43", "name": "某某食品公司", "accepted_on": date(2025, 12, 31),
     "employees": 0, "arrears": Decimal("0.3"), "state_owned": None, "level": "低", "note": "多行\n备注"},
]


def _xlsx(rows, headers):
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_round_trip():
    data = write_workbook(COLUMNS, ROWS, "案件台账")
    rows, errors = read_rows(data, COLUMNS)
    assert errors == []
    assert rows == ROWS
    assert [r.row_number for r in rows] == [2, 3, 4]
    assert isinstance(rows[0]["arrears"], Decimal) and isinstance(rows[0]["accepted_on"], date)


def test_written_sheet_format():
    wb = load_workbook(io.BytesIO(write_workbook(COLUMNS, ROWS, "案件台账")))
    ws = wb.active
    assert ws.title == "案件台账"
    assert [c.value for c in ws[1]] == [c.header for c in COLUMNS]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws["C2"].is_date and ws["C2"].number_format == "yyyy-mm-dd"
    assert ws["F2"].value == "是" and ws["F3"].value == "否"
    assert ws["H2"].data_type == "s"  # user text never becomes a formula
    assert ws.column_dimensions["B"].width >= 20  # wide enough for the long Chinese name


def test_one_bad_row_reports_row_and_columns():
    # order-independent headers, an unknown extra column, a fully empty row
    headers = ["企业名称", "备注", "统一社会信用代码", "受理日期", "职工人数", "风险等级", "是否国有", "多余列"]
    data = _xlsx(
        [
            ["甲公司", None, "91350100m000100y43", "2026/3/1", 10, "低", "是", "x"],
            ["乙公司", None, "91350100M000100Y44", "2026-02-30", "十人", "很高", "对", None],
            [None, None, None, None, None, None, None, "ignored extra column only"],
            [None, None, None, None, None, None, None, None],
            ["丙公司", None, "91350100M000100Y43", "2026年3月1日", "25", "重大", "否", None],
        ],
        headers,
    )
    rows, errors = read_rows(data, COLUMNS)
    assert {e.row_number for e in errors} == {3}
    by_col = {e.column: e.message for e in errors}
    assert set(by_col) == {"统一社会信用代码", "受理日期", "职工人数", "风险等级", "是否国有"}
    assert "校验位" in by_col["统一社会信用代码"]
    assert "重大" in by_col["风险等级"]
    assert str(errors[0]).startswith("第3行“")
    assert [r.row_number for r in rows] == [2, 3, 6]
    assert rows[0]["accepted_on"] == date(2026, 3, 1) and rows[0]["state_owned"] is True
    assert rows[0]["credit_code"] == "91350100m000100y43"  # validators check; callers normalise
    assert rows[2]["employees"] == 25 and rows[2]["accepted_on"] == date(2026, 3, 1)
    assert rows[2]["arrears"] is None  # column absent from the file


def test_required_and_length_errors():
    headers = [c.header for c in COLUMNS]
    data = _xlsx(
        [
            [None, "名字", None, None, None, None, None, None],
            ["91350100M000100Y43", "很" * 21, None, 1.5, "abc", None, None, None],
        ],
        headers,
    )
    rows, errors = read_rows(data, COLUMNS)
    got = {(e.row_number, e.column) for e in errors}
    assert got == {(2, "统一社会信用代码"), (3, "企业名称"), (3, "职工人数"), (3, "拖欠工资（万元）")}
    assert any("不能为空" in e.message for e in errors)
    assert any("不能超过20个字" in e.message for e in errors)


def test_missing_required_header_is_row_one():
    data = _xlsx([["甲公司"]], ["企业名称*"])  # the * marker is tolerated
    rows, errors = read_rows(data, COLUMNS)
    assert errors == [RowError(1, "统一社会信用代码", "缺少必填列“统一社会信用代码”")]
    assert rows[0]["name"] == "甲公司"


def test_duplicate_header():
    data = _xlsx([["91350100M000100Y43", "甲", "乙"]], ["统一社会信用代码", "企业名称", "企业名称"])
    _, errors = read_rows(data, COLUMNS)
    assert [(e.row_number, e.column) for e in errors] == [(1, "企业名称")]


def test_dates_from_real_cells_and_strings():
    headers = ["统一社会信用代码", "企业名称", "受理日期"]
    code = "91350100M000100Y43"
    data = _xlsx(
        [[code, "a", datetime(2026, 3, 1, 0, 0)], [code, "b", "2026-03-01"], [code, "c", "2026/3/1"],
         [code, "d", "2026年3月1日"], [code, "e", 46082], [code, "f", 2026]],
        headers,
    )
    rows, errors = read_rows(data, COLUMNS)
    assert [r["accepted_on"] for r in rows[:5]] == [date(2026, 3, 1)] * 5  # 46082 = Excel serial
    assert [(e.row_number, e.column) for e in errors] == [(7, "受理日期")]


def test_parse_date():
    assert parse_date("2026.3.1") == date(2026, 3, 1)
    assert parse_date("２０２６年３月１日") == date(2026, 3, 1)
    assert parse_date("2026-03-01 08:30:00") == date(2026, 3, 1)
    assert parse_date("2026-13-01") is None
    assert parse_date("三月一日") is None


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"", "文件为空"),
        (b"name,code\n1,2\n", "不是 Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
    ],
)
def test_not_xlsx(data, fragment):
    rows, errors = read_rows(data, COLUMNS)
    assert rows == []
    assert len(errors) == 1 and errors[0].row_number == 0 and fragment in errors[0].message


def test_zip_that_is_not_xlsx():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    rows, errors = read_rows(buf.getvalue(), COLUMNS)
    assert rows == [] and errors[0].row_number == 0 and "Excel" in errors[0].message


def test_template_reads_back_as_empty():
    example = {"credit_code": "91350100M000100Y43", "name": "示例公司", "accepted_on": date(2026, 3, 1),
               "state_owned": True}
    data = template_workbook(COLUMNS, "案件导入", example)
    wb = load_workbook(io.BytesIO(data))
    ws = wb["案件导入"]
    assert wb.sheetnames == ["案件导入", "填写说明"]
    assert [c.value for c in ws[1]] == [c.header for c in COLUMNS]
    assert ws.max_row == 1
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert '"低,中,高,重大"' in lists and '"是,否"' in lists
    help_rows = list(wb["填写说明"].values)
    assert help_rows[1][:2] == ("统一社会信用代码", "必填")
    assert "2026-03-01" in help_rows[3]
    rows, errors = read_rows(data, COLUMNS)
    assert rows == [] and errors and "没有数据行" in errors[0].message


def test_max_rows():
    data = write_workbook(COLUMNS, ROWS, "x")
    _, errors = read_rows(data, COLUMNS, max_rows=2)
    assert len(errors) == 1 and errors[0].row_number == 4 and "上限" in errors[0].message


def test_column_spec_validation():
    with pytest.raises(ValueError):
        ColumnSpec("x", "X", "enum")
    with pytest.raises(ValueError):
        ColumnSpec("x", "X", "money")


def test_validator_bug_is_not_reported_as_broken_file():
    def boom(value):
        raise RuntimeError("bug")

    cols = [ColumnSpec("name", "企业名称", validator=boom)]
    with pytest.raises(RuntimeError, match="bug"):
        read_rows(_xlsx([["甲"]], ["企业名称"]), cols)

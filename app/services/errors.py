"""Refusals the services raise; pages flash them, the API answers them as 4xx JSON in Chinese."""


class BusinessError(Exception):
    """A rule of the mechanism refused the action; nothing was changed."""

    status_code = 400

    def __init__(self, message: str, status_code: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field  # the form field the message belongs beside, when one does
        if status_code is not None:
            self.status_code = status_code


class PermissionRefused(BusinessError):
    status_code = 403


class NotFound(BusinessError):
    """Outside the user's scope or absent: never confirm that a record exists."""

    status_code = 404

    def __init__(self, message: str = "记录不存在或无权访问"):
        super().__init__(message)


class StaleEdit(BusinessError):
    status_code = 409

    def __init__(self, message: str = "该记录已被他人修改，请刷新页面后在最新内容上重新编辑。您的修改未保存。"):
        super().__init__(message)


# --- database refusals, as a clerk would read them ----------------------------------------------------
#: unique constraints and indexes by name (PostgreSQL names them) and by "table.column" (SQLite does)
UNIQUE_MESSAGES = {
    ("uq_extension_pending", "extension_request.matter_id"): "该事项已有待审批的延期申请，请等待联动办公室审批后再申请",
    ("uq_meeting_kind_year_seq", "meeting.kind, meeting.year, meeting.seq"): "会议序号（第N次）与已有会议重复，请刷新后重试",
    ("bankruptcy_case_case_number_key", "bankruptcy_case.case_number"): "案号已存在，请检查是否重复录入",
    ("unit_name_key", "unit.name"): "单位名称已存在",
    ("category_name_key", "category.name"): "类别名称已存在",
    ("holiday_day_key", "holiday.day"): "该日期已在节假日日历中",
    ("setting_key_key", "setting.key"): "该设置项已存在",
    ("uq_matter_letter_seq", "matter.letter_year, matter.letter_seq"): "函告文号重复，请刷新后重试",
    ("matter_letter_number_key", "matter.letter_number"): "函告文号已被使用，请刷新后重试",
    ("minutes_number_key", "minutes.number"): "纪要文号已被使用，请检查文号计数后重试",
    ("bulletin_number_key", "bulletin.number"): "通报期号已被使用，请刷新后重试",
    ("evaluation_number_key", "evaluation.number"): "评价通报文号已被使用，请刷新后重试",
    ("evaluation_year_key", "evaluation.year"): "该年度的评价通报已存在",
    ("uq_matter_assignment_unit", "matter_assignment.matter_id, matter_assignment.unit_id"): "同一单位不能重复承办同一事项",
    ("uq_minutes_distribution_unit", "minutes_distribution.minutes_id, minutes_distribution.unit_id"): "同一单位不能重复分送",
    ("uq_bulletin_distribution_unit", "bulletin_distribution.bulletin_id, bulletin_distribution.unit_id"): "同一单位不能重复分送",
    ("uq_evaluation_entry_unit", "evaluation_entry.evaluation_id, evaluation_entry.unit_id"): "同一单位在一份评价中只能有一条评价",
    ("uq_case_assignment_user", "case_assignment.case_id, case_assignment.user_id"): "该用户已在本案件的承办人员中",
    ("uq_check_line_item", "check_line.request_id, check_line.item_id"): "同一核查事项在一份申请中只能列一次",
    ("uq_check_item_unit_name", "check_item.unit_id, check_item.name"): "该单位已有同名的核查事项",
}
DATABASE_CONFLICT = "保存失败：数据与已有记录冲突（如编号重复）或已被他人修改，未作任何修改。"
DATABASE_REFERENCED = "操作失败：所选的关联记录不存在，或该记录仍被其他记录引用，未作任何修改。"


def _columns(text: str, pattern: str) -> list[str]:
    import re

    match = re.search(pattern, text)
    if not match:
        return []
    return [c.strip().strip('"').split(".")[-1] for c in match.group(1).split(",") if c.strip()]


def database_refusal(exc: Exception, label=str) -> BusinessError:
    """A database refusal as a Chinese sentence for the user — never the SQL — with the columns it
    concerns (`.columns`, `.field`) so a form can mark them. Reads the driver's text (SQLite and
    PostgreSQL wordings) only to recognise the constraint and its columns; `label` names a column."""
    from sqlalchemy.orm.exc import StaleDataError

    original = getattr(exc, "orig", None) or getattr(exc, "__cause__", None) or exc
    text = str(getattr(original, "orig", None) or original)
    if isinstance(exc, StaleDataError) or isinstance(original, StaleDataError):
        refusal = StaleEdit()
        refusal.columns = []
        return refusal
    lowered = text.lower()
    columns: list[str] = []
    message, status = DATABASE_CONFLICT, 409
    if "unique" in lowered or "duplicate key" in lowered:
        columns = _columns(text, r"UNIQUE constraint failed: ([\w., ]+)") or _columns(text, r"Key \(([^)]*)\)=")
        known = next((m for keys, m in UNIQUE_MESSAGES.items()
                      if any(f'"{key}"' in text or f"failed: {key}" in text for key in keys)), None)
        what = "、".join(dict.fromkeys(label(c) for c in columns if c != "id")) or "编号或名称"
        message = known or f"保存失败：{what}与已有记录重复，未作任何修改。请修改后重试。"
    elif "not null" in lowered or "null value in column" in lowered:
        columns = (_columns(text, r"NOT NULL constraint failed: ([\w.]+)")
                   or _columns(text, r'null value in column "(\w+)"'))
        message, status = "请填写" + ("、".join(f"“{label(c)}”" for c in columns) or "必填项") + "。", 422
    elif "foreign key" in lowered:
        message = DATABASE_REFERENCED
    elif "check constraint" in lowered or "violates check" in lowered:
        message, status = "保存失败：填写的数据不符合要求，未作任何修改。", 422
    elif "too long" in lowered:
        message, status = "保存失败：有内容超过了允许的长度，未作任何修改。", 422
    refusal = BusinessError(message, status, field=columns[0] if len(columns) == 1 else None)
    refusal.columns = columns
    return refusal

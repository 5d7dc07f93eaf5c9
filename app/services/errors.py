"""Refusals the services raise; pages flash them, the API answers them as 4xx JSON in Chinese."""


class BusinessError(Exception):
    """A rule of the mechanism refused the action; nothing was changed."""

    status_code = 400

    def __init__(self, message: str, status_code: int | None = None):
        super().__init__(message)
        self.message = message
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
DATABASE_REFERENCED = "操作失败：该记录仍被其他记录引用，或引用的记录不存在，未作任何修改。"
DATABASE_MISSING = "保存失败：有必填内容为空，未作任何修改。"


def database_refusal(exc: Exception) -> BusinessError:
    """An IntegrityError as a Chinese sentence for the user (never the SQL), 409/422."""
    text = str(getattr(exc, "orig", exc))
    for keys, message in UNIQUE_MESSAGES.items():
        if any(f'"{key}"' in text or text.rstrip().endswith(key) or f"failed: {key}" in text for key in keys):
            return BusinessError(message, 409)
    lowered = text.lower()
    if "foreign key" in lowered:
        return BusinessError(DATABASE_REFERENCED, 409)
    if "not null" in lowered or "null value" in lowered:
        return BusinessError(DATABASE_MISSING, 422)
    return BusinessError(DATABASE_CONFLICT, 409)

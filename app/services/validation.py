"""Record validation shared by pages, API, import and CLI: one set of rules, Chinese messages."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import String, inspect

from app.services.errors import BusinessError


def column_label(model, key: str) -> str:
    from app.models.labels import labels_for

    return str(labels_for(model).get(key, key))


def check_lengths(item) -> None:
    """Over-long text is refused with the field's name, before the database truncates or errors."""
    for column in inspect(type(item)).columns:
        if isinstance(column.type, String) and column.type.length:
            value = getattr(item, column.key, None)
            if isinstance(value, str) and len(value) > column.type.length:
                raise BusinessError(f"“{column_label(type(item), column.key)}”不能超过{column.type.length}个字符（当前{len(value)}个）", 422,
                                    field=column.key)


def check_choices(item, choice_columns: dict[str, dict]) -> None:
    for key, labels in choice_columns.items():
        value = getattr(item, key, None)
        if value is not None and value not in labels:
            raise BusinessError(f"“{column_label(type(item), key)}”的取值无效：{value}；可选：{'、'.join(labels.values())}", 422,
                                field=key)


def check_required_text(item, *keys: str) -> None:
    for key in keys:
        value = getattr(item, key, None)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise BusinessError(f"请填写“{column_label(type(item), key)}”", 422, field=key)


def check_date_order(earlier: dt.date | None, later: dt.date | None, message: str) -> None:
    if earlier and later and later < earlier:
        raise BusinessError(message, 422)


def validate_case(case) -> None:
    from app.services.identifiers import case_number_error, credit_code_error, normalize_case_number, normalize_credit_code

    check_required_text(case, "case_number", "enterprise_name")
    problem = case_number_error(case.case_number)
    if problem:
        raise BusinessError(f"案号格式不正确：{problem}", 422)
    case.case_number = normalize_case_number(case.case_number)
    if case.credit_code:
        code = normalize_credit_code(case.credit_code)
        problem = credit_code_error(code)
        if problem:
            raise BusinessError(f"统一社会信用代码无效：{problem}", 422)
        case.credit_code = code
    check_date_order(case.application_date, case.acceptance_date, "受理日期不能早于申请日期")
    check_date_order(case.acceptance_date, case.closing_date, "终结日期不能早于受理日期")
    for key in ("employee_count", "creditor_count", "debt_amount", "asset_amount", "wage_arrears", "social_insurance_arrears"):
        value = getattr(case, key)
        if value is not None and value < 0:
            raise BusinessError(f"“{column_label(type(case), key)}”不能为负数", 422)


def check_unique_case_number(session, case) -> None:
    from app.models.cases import Case

    with session.no_autoflush:
        query = session.query(Case.id).filter(Case.case_number == case.case_number)
        if case.id:
            query = query.filter(Case.id != case.id)
        duplicate = query.first()
    if duplicate:
        raise BusinessError(f"案号 {case.case_number} 已存在，不能重复登记", 422)

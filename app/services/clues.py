"""违纪违法线索 (clue reports): confidential to the office, conveners and admins.

A unit's staff report a clue about a matter, a case or a unit; the reporter sees only what they
reported (the scope rule in app/security/scope.py), other units and viewers never. The office records
the handling status and the department the clue was referred to.
"""
from __future__ import annotations

from app import models as m
from app.models.evaluation import CLUE_STATUS_LABELS
from app.security.permissions import can
from app.services.errors import BusinessError, PermissionRefused


def fill_reporter(item: m.ClueReport, user) -> None:
    """The reporting unit is the reporter's own; a unit's staff cannot set the handling fields."""
    if user is not None and getattr(user, "unit_id", None) and not item.reporter_unit_id:
        item.reporter_unit_id = user.unit_id
    if not item.status:
        item.status = "received"
    if user is not None and not can(user, "edit", "Clue"):
        # reporters (who may not handle clues) cannot set the handling fields
        item.reporter_unit_id = user.unit_id
        item.status = "received"
        item.referred_to = None
        item.handling_note = None


def check_clue(item: m.ClueReport) -> None:
    if not (item.title or "").strip() or not (item.description or "").strip():
        raise BusinessError("请填写线索标题和线索描述", 422)
    if item.status not in CLUE_STATUS_LABELS:
        raise BusinessError("处理状态无效", 422)
    if item.status == "referred" and not (item.referred_to or "").strip():
        raise BusinessError("状态为“已移送”时请填写移送部门", 422)


def check_attach(item: m.ClueReport, user) -> None:
    """Only the reporter (or the office) adds files to a clue, and not once it is closed."""
    if user is not None and not can(user, "edit", "Clue") and item.created_by_id != getattr(user, "id", None):
        raise PermissionRefused("只能为本人报告的线索上传附件")
    if item.status == "closed":
        raise BusinessError("线索已办结，不能再上传附件", 409)

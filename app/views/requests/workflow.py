"""协调申请's steps (受理, 并入, 不予受理, 撤回, 附件), declared once: the page form and the API body are
read by the same schema (app/views/steps.py)."""
from __future__ import annotations

from app import models as m
from app.services import requests as svc
from app.views.requests.common import one_in_scope, unit_list
from app.views.steps import Step, StepBody, day, number, numbers, pick, text

# --------------------------------------------------------------------------- workflow steps
# One declaration per step (app/views/steps.py): the page form and the API body are read by the same
# schema; 受理 is not declared yet (see RequestView.accept).

class MergeBody(StepBody):
    matter = number("要并入的协调事项")
    note = text("并入说明")


class DeclineBody(StepBody):
    reason = text("不予受理的理由", required=True)


class WithdrawBody(StepBody):
    reason = text("撤回原因")


def merge_into(session, req, user, matter=None, note=None):
    """并入 the matter named by id, in the user's scope (else refused as absent)."""
    return svc.merge_request(session, req, user, one_in_scope(m.Matter, matter, "协调事项"), note)


def attach_request_file(session, req, user, files=()):
    """The page's and the API's multipart `file`, while the request waits."""
    return svc.add_attachment(session, req, user, files[0] if files else None)


class AcceptBody(StepBody):
    title = text("事项标题", limit=200)
    category = pick("事项类别")
    lead_unit = pick("牵头单位")
    co_units = numbers("配合单位", absent=None)
    deadline = day("办理期限")
    note = text("受理意见")


def accept(session, req, user, lead_unit=None, co_units=None, category=None, title=None, deadline=None, note=None):
    """受理 with the units, category and deadline the office chose; co-units left out keep the
    suggested ones (an API body without `co_units`; the page always sends its list, empty or not)."""
    return svc.accept_request(
        session, req, user, lead_unit=(unit_list(lead_unit, "牵头单位") or [None])[0],
        co_units=unit_list(co_units, "配合单位") if co_units is not None else None,
        category=one_in_scope(m.Category, category, "事项类别"), title=title, deadline=deadline, note=note)


def _accepted(req, matters) -> str:
    if req.kind == "coordination":
        return "已受理：已生成拟办协调事项，请核对后函告"
    return "已批准：已按单位分别函告，办理期限按各核查事项的标准期限计算"


REQUEST_STEPS = {
    "accept": Step(accept, _accepted, AcceptBody, "受理（联动办公室）：协调申请生成拟办协调事项；信息核查按单位分别函告"),
    "merge": Step(merge_into, "已并入已有协调事项，申请人可跟踪该事项的办理情况", MergeBody,
                  "并入同一案件已有的协调事项（联动办公室）"),
    "decline": Step(svc.decline_request, "已不予受理，并通知申请人", DeclineBody, "不予受理，理由通知申请人"),
    "withdraw": Step(svc.withdraw_request, "申请已撤回", WithdrawBody, "申请人在审核前撤回申请"),
    "attach": Step(attach_request_file, "附件已上传", summary="上传附件（multipart 的 file），如指定管理人决定书",
                   files="file"),
}

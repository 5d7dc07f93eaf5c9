"""督促推进机制's workflow steps, declared once: the page form and the API body are read by the same
schema (app/views/steps.py)."""
from __future__ import annotations

from app.services import matters as svc
from app.views.steps import Step, StepBody, day, text

# --------------------------------------------------------------------------- workflow steps
# One declaration per step: the page form and the API body are read by the same schema.

class NoteBody(StepBody):
    note = text("备注")


class ReplyBody(StepBody):
    content = text("函复内容", required=True, limit=10000)
    result = text("办理结果", limit=200)
    number = text("复函文号", limit=60)


class CloseBody(StepBody):
    note = text("办结意见")


class ReturnBody(StepBody):
    reason = text("退回理由", required=True)


class CancelBody(StepBody):
    reason = text("撤销理由", required=True)


class RemindBody(StepBody):
    note = text("催办意见")


class ExtendBody(StepBody):
    deadline = day("申请的办理期限", required=True)
    reason = text("延期理由", required=True)


class ApproveExtensionBody(StepBody):
    deadline = day("新的办理期限")
    note = text("审批意见")


class RefuseExtensionBody(StepBody):
    note = text("不同意的理由", required=True)


MATTER_STEPS = {
    "send": Step(svc.send_matter, "已函告，函告文号已生成", NoteBody, "函告拟办事项：编函告文号并通知承办单位"),
    "sign": Step(svc.sign_matter, "已签收", summary="签收本单位承办的部分"),
    "start": Step(svc.start_matter, "已标记为办理中", summary="牵头单位开始办理（可选）"),
    "reply": Step(svc.reply_matter, "已函复", ReplyBody, "函复本单位承办的部分；附件以 multipart 的 files 上传",
                  files="files"),
    "close": Step(svc.close_matter, "已办结", CloseBody, "办结已函复的事项"),
    "send_back": Step(svc.return_matter, "已退回承办单位", ReturnBody, "退回牵头单位的函复，事项重回办理中"),
    "cancel": Step(svc.cancel_matter, "已撤销（记录保留）", CancelBody, "撤销事项（记录保留）"),
    "remind": Step(svc.remind_matter, "已催办", RemindBody, "催办尚未函复的单位"),
    "extend": Step(svc.request_extension, "延期申请已提交，等待联动办公室审批", ExtendBody, "在办理期限前申请延期"),
    "extension_approve": Step(svc.approve_extension, "已同意延期", ApproveExtensionBody,
                              "同意延期；不填新期限时为申请的期限"),
    "extension_refuse": Step(svc.refuse_extension, "已不同意延期", RefuseExtensionBody, "不同意延期"),
}

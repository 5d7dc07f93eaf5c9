"""Chinese labels of columns, shared by every page and the API's `_info` (one place to word them)."""
from flask_babel import lazy_gettext as _

class Labels(dict):
    """Column labels; a dotted column of the API (``entries.comment``) reads “各单位评价·评语”,
    never FAB's English “Entries Comment”."""

    def get(self, key, default=None):
        if key in self:
            return self[key]
        if isinstance(key, str) and "." in key:
            parts = [dict.get(self, part) for part in key.split(".")]
            if all(parts):
                self[key] = "·".join(str(part) for part in parts)  # kept: FAB lists labels from items()
                return self[key]
        return default


LABELS = Labels({
    "id": _("编号"), "name": _("名称"), "title": _("标题"), "content": _("内容"), "status": _("状态"),
    "status_label": _("状态"), "kind": _("类别"), "kind_label": _("类别"), "created_at": _("创建时间"),
    "updated_at": _("更新时间"), "created_by": _("创建人"), "note": _("备注"), "notes": _("备注"),
    "short_name": _("简称"), "full_name": _("全称（公文用）"), "liaison_name": _("联络人"),
    "liaison_phone": _("联络电话"),
    "leader_name": _("分管负责同志"), "email": _("电子邮箱"), "responsibilities": _("工作职责"),
    "sort_order": _("排序"), "active": _("启用"), "unit": _("单位"), "units": _("相关单位"),
    "case": _("关联案件"), "case_number": _("案号"), "enterprise_name": _("企业名称"),
    "credit_code": _("统一社会信用代码"), "enterprise_type": _("企业类型"), "enterprise_type_label": _("企业类型"),
    "industry": _("所属行业"), "procedure_type": _("程序类型"), "procedure_label": _("程序类型"),
    "stage": _("案件阶段"), "stage_label": _("案件阶段"), "application_date": _("申请日期"),
    "acceptance_date": _("受理日期"), "closing_date": _("终结日期"), "administrator": _("破产管理人"),
    "administrator_contact": _("管理人联系方式"), "judge": _("承办法官"), "debt_amount": _("负债总额（元）"),
    "asset_amount": _("资产总额（元）"), "employee_count": _("职工人数"), "wage_arrears": _("拖欠工资（元）"),
    "social_insurance_arrears": _("欠缴社保（元）"), "creditor_count": _("债权人数"),
    "is_major_sensitive": _("重大敏感案件"), "monitoring_points": _("监测评估重点"), "is_zombie": _("僵尸企业"),
    "is_capacity_reduction": _("去产能企业"), "risk_level": _("风险等级"),
    "acceptance_override_reason": _("受理放行理由"), "entry_date": _("日期"), "progress_entries": _("案件进展"),
    "letter_number": _("函告文号"), "category": _("事项类别"), "source": _("事项来源"), "source_label": _("事项来源"),
    "lead_unit": _("牵头单位"), "co_units": _("配合单位"), "assigned_date": _("交办日期"), "deadline": _("办理期限"),
    "contact_name": _("联系人"), "contact_phone": _("联系电话"), "sent_at": _("函告时间"), "replied_at": _("函复时间"),
    "closed_at": _("办结时间"), "cancel_reason": _("撤销原因"), "decision": _("会议议定事项"), "group": _("协调组"),
    "alert": _("预警"), "alert_label": _("预警"), "assignments": _("承办单位"), "events": _("办理过程"),
    "start_at": _("会议时间"), "place": _("会议地点"), "chair": _("主持人"), "convener": _("召集人"),
    "year": _("年度"), "seq": _("序号"), "number_label": _("届次"), "proposed_by_unit": _("提议单位"),
    "reason": _("提议理由"), "decline_reason": _("不予召开理由"), "topics": _("议题"), "meeting": _("会议"),
    "reporting_unit": _("汇报单位"), "material": _("汇报材料"), "person_name": _("姓名"),
    "person_title": _("职务"), "organisation": _("单位（非成员单位）"), "signed_in_at": _("签到时间"),
    "number": _("文号"), "body": _("正文"), "document_date": _("成文日期"), "issued_at": _("印发时间"),
    "cc_text": _("抄送（机制外单位）"), "amends": _("修正的纪要"), "decisions": _("议定事项"),
    "minutes": _("会议纪要"), "doc_number": _("文号"), "issuer": _("发文单位"), "publish_date": _("发布日期"),
    "summary": _("摘要"), "period_start": _("期间开始"), "period_end": _("期间结束"), "recipients": _("主送"),
    "sections": _("通报内容"), "heading": _("标题"), "scheme": _("评估方案"), "assessed_on": _("评估日期"),
    "score": _("总分"), "level": _("风险等级"), "breakdown": _("评分明细"), "answers": _("评估要素"),
    "assessment": _("风险评估"), "measures": _("处置措施"), "plan": _("处置方案"),
    "responsible_unit": _("责任单位"), "approved_at": _("批准时间"), "topic": _("调研课题"),
    "problem": _("共性问题"), "start_date": _("开始日期"), "end_date": _("结束日期"), "findings": _("调研发现"),
    "report": _("调研报告"), "research": _("来源调研"), "text": _("正文"), "review_note": _("审议意见"),
    "court_leader": _("法院牵头领导"), "government_leader": _("政府牵头领导"), "mandate": _("工作职责"),
    "setup_date": _("成立日期"), "dissolved_date": _("撤销日期"), "dissolve_reason": _("撤销原因"),
    "members": _("成员"), "logs": _("工作日志"), "position": _("职务"), "role": _("角色"), "role_label": _("角色"),
    "log_date": _("日期"), "author": _("记录人"), "grade": _("评价等次"), "comment": _("评语"),
    "metrics": _("指标"), "entries": _("各单位评价"), "computed_at": _("计算时间"), "intro": _("说明"),
    "evaluation": _("年度评价"), "reporter_unit": _("报告单位"), "subject_unit": _("涉及单位"),
    "matter": _("关联事项"), "description": _("线索描述"), "referred_to": _("移送部门"),
    "handling_note": _("处理情况"), "key": _("键"), "value": _("值"), "label": _("设置项"),
    "day": _("日期"), "suggested_units": _("建议承办单位"), "scheme_version": _("方案版本"),
    "definition": _("方案定义（JSON）"), "at": _("时间"), "username": _("用户"), "action": _("操作"),
    "table_name": _("数据表"), "record_id": _("记录编号"), "before": _("修改前"), "after": _("修改后"),
    "ip": _("IP地址"), "value_type": _("值类型"), "total_seq": _("总期数"), "proposal": _("提案"),
    "version_id": _("版本号"), "matters": _("协调事项"), "unit_id": _("单位"), "user": _("用户"),

    # 协调申请与信息核查 (issue 14)
    "needs": _("需要协调解决的问题"), "desired_date": _("希望办结日期"), "requirements": _("需提供的材料"),
    "deadline_workdays": _("办理期限（工作日）"), "decision_note": _("审核意见"), "requester": _("申请人"),
    "requester_role": _("申请人身份"), "submitted_at": _("提交时间"), "decided_at": _("审核时间"),
    "item": _("核查事项"), "request": _("申请"), "lines": _("核查事项"),
})


def labels(*extra: dict) -> dict:
    merged = Labels(LABELS)
    for more in extra:
        merged.update(more)
    return merged


# Where one column name means different things in different models, the model's own wording wins
# (an extension's `reason` is not a meeting's 提议理由; a setting's `description` is not a clue's).
MODEL_LABELS: dict[str, dict] = {
    "ExtensionRequest": {"reason": _("延期理由"), "requested_deadline": _("申请延至")},
    "Meeting": {"kind": _("会议类型"), "reason": _("提议理由")},
    "CoordinationRequest": {"reason": _("申请理由和依据"), "kind": _("申请类型")},
    "Setting": {"description": _("说明")},
    "Category": {"description": _("说明")},
    "CheckItem": {"description": _("需反馈的信息")},
    "Unit": {"kind": _("单位类型")},
}


def labels_for(model) -> Labels:
    """The labels of one model's columns: the shared wording, then the model's own."""
    return Labels({**LABELS, **MODEL_LABELS.get(getattr(model, "__name__", str(model)), {})})

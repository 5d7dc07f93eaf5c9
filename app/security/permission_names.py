"""Chinese names of roles, resources and permissions, grouped by mechanism, for the role pages.

FAB names a permission "can list on Matter" or "menu access on 工作台"; a county admin reads
"协调事项 · 查看列表". The names stay English in the database (code and role sync use them); only
what a person sees is translated here. A resource or permission not listed keeps its own name.
"""
from __future__ import annotations

ROLE_LABELS = {"Admin": "系统管理员", "Convener": "召集人", "Office": "联动办公室", "UnitStaff": "成员单位联络人",
               "Viewer": "观察员", "Judge": "承办法官", "Trustee": "破产管理人", "Public": "未登录访客"}

# resource (FAB view/menu name) → (group, Chinese name); groups follow the menu (the six mechanisms)
GROUPS = ["数据范围", "工作台", "督促推进", "会议机制", "信息共享", "风险评估", "联合调研及提案", "重点案件协调组", "评价与监督",
          "基础数据", "系统管理", "用户与权限", "菜单"]
RESOURCES = {
    "DataScope": ("数据范围", "数据范围"),
    "ApiKey": ("系统管理", "API 密钥"),
    "HomeIndexView": ("工作台", "首页"), "Notification": ("工作台", "我的通知"), "Workbench": ("工作台", "工作台"),
    "Dashboard": ("工作台", "统计图表"),
    "Matter": ("督促推进", "协调事项"), "Attachment": ("督促推进", "附件"),
    "CoordinationRequest": ("督促推进", "协调申请与信息核查"), "CheckLine": ("督促推进", "信息核查事项"),
    "CheckItem": ("督促推进", "信息核查事项目录"), "CaseAssignment": ("基础数据", "案件承办人员"),
    "Meeting": ("会议机制", "会议"), "MeetingTopic": ("会议机制", "会议议题"), "Attendance": ("会议机制", "参会签到"),
    "Minutes": ("会议机制", "会议纪要"), "Decision": ("会议机制", "议定事项"),
    "Policy": ("信息共享", "政策文件与典型案例"), "Bulletin": ("信息共享", "工作通报"),
    "BulletinSection": ("信息共享", "通报内容"),
    "Assessment": ("风险评估", "风险评估"), "DisposalPlan": ("风险评估", "处置方案"), "PlanMeasure": ("风险评估", "处置措施"),
    "RiskScheme": ("风险评估", "评估方案"),
    "Research": ("联合调研及提案", "联合调研"), "Proposal": ("联合调研及提案", "提案与规范性意见"),
    "Group": ("重点案件协调组", "领导协调组"), "GroupMember": ("重点案件协调组", "协调组成员"),
    "GroupLog": ("重点案件协调组", "协调组工作日志"),
    "Evaluation": ("评价与监督", "年度评价通报"), "EvaluationEntry": ("评价与监督", "单位评价"),
    "Clue": ("评价与监督", "违纪违法线索"),
    "Unit": ("基础数据", "成员单位"), "Case": ("基础数据", "破产案件"), "CaseProgress": ("基础数据", "案件进展"),
    "Category": ("基础数据", "事项类别"),
    "Setting": ("系统管理", "系统设置"), "Holiday": ("系统管理", "节假日与调休"), "Audit": ("系统管理", "审计日志"),
    "UnitUserView": ("用户与权限", "用户"), "RoleModelView": ("用户与权限", "角色"),
    "UserGroupModelView": ("用户与权限", "用户组"), "UserInfoEditView": ("用户与权限", "个人信息"),
    "ResetPasswordView": ("用户与权限", "重设他人密码"), "ResetMyPasswordView": ("用户与权限", "修改本人密码"),
    "UserStatsChartView": ("用户与权限", "用户统计"), "PermissionModelView": ("用户与权限", "基础权限"),
    "ViewMenuModelView": ("用户与权限", "视图与菜单"), "PermissionViewModelView": ("用户与权限", "视图与菜单的权限"),
    "SwaggerView": ("系统管理", "接口文档"), "OpenApi": ("系统管理", "接口说明（OpenAPI）"),
    "MenuApi": ("系统管理", "菜单接口"), "FyldSecurityApi": ("用户与权限", "接口登录"),
    "AuthDBView": ("用户与权限", "登录"), "LocaleView": ("系统管理", "界面语言"), "UtilView": ("系统管理", "页面返回"),
    # FAB's own menu entries of the 用户权限 menu
    "Security": ("菜单", "用户权限（菜单组）"), "List Users": ("菜单", "用户列表"), "List Roles": ("菜单", "角色列表"),
    "List Groups": ("菜单", "用户组列表"), "User's Statistics": ("菜单", "用户统计"),
    "Base Permissions": ("菜单", "基础权限"), "Views/Menus": ("菜单", "视图与菜单"),
    "Permission on Views/Menus": ("菜单", "视图与菜单的权限"),
}

# the five permissions every resource has, in the matrix's column order
COMMON = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
PERMISSIONS = {
    "can_list": "查看列表", "can_show": "查看详情", "can_add": "新增", "can_edit": "修改", "can_delete": "删除",
    "can_download": "下载", "can_get": "读取", "can_info": "字段说明", "menu_access": "显示菜单",
    "can_send": "函告", "can_sign": "签收", "can_reply": "办理与函复", "can_close": "办结", "can_return": "退回",
    "can_cancel": "撤销", "can_remind": "催办", "can_extend": "申请延期", "can_extension_approve": "同意延期",
    "can_extension_refuse": "不同意延期", "can_inbox": "本单位待办", "can_supervise": "督办台", "can_letter": "打印函告",
    "can_reply_letter": "打印函复", "can_suggest": "建议承办单位", "can_start": "开始",
    "can_propose": "提议专题会议", "can_schedule": "安排会议", "can_decline": "不予召开或不予受理", "can_hold": "登记已召开",
    "can_signin": "签到", "can_followup": "督促落实情况", "can_issue": "印发", "can_amend": "制发修正",
    "can_pdf": "打印 PDF", "can_ledger": "重大敏感案件台账", "can_export": "导出 Excel", "can_import": "导入",
    "can_template": "下载导入模板", "can_override": "受理放行", "can_approve": "审定 / 批准", "can_activate": "启用",
    "can_complete": "完成", "can_contribute": "报送调研材料", "can_upload": "上传附件", "can_submit": "提交审议",
    "can_review": "审议", "can_compute": "计算指标", "can_grade": "评定等次", "can_dissolve": "撤销协调组",
    "can_task": "交办任务", "can_worklog": "记工作日志", "can_read": "标为已读", "can_read_all": "全部标为已读",
    "can_chart": "图表", "can_this_form_get": "打开表单", "can_this_form_post": "提交表单", "can_userinfo": "查看本人信息",
    "resetmypassword": "修改本人密码", "resetpasswords": "重设他人密码", "userinfoedit": "编辑本人信息",
    "copyrole": "复制角色", "can_put": "修改", "can_post": "新增",
    "can_all_units": "全部单位的记录", "can_own_unit": "本单位的记录", "can_own_cases": "本人承办或管理的案件",
    "can_accept": "受理", "can_merge": "并入已有事项", "can_results": "下载核查结果", "can_withdraw": "撤回申请",
    "can_attach": "上传附件", "can_file": "下载附件", "can_progress": "查看进展", "can_waiting": "待审核队列",
    "can_case_results": "案件核查结果", "can_attachments": "附件列表", "can_check": "信息核查", "can_revoke": "吊销",
}


def role_label(name: str | None) -> str:
    return ROLE_LABELS.get(name or "", name or "")


def resource_label(name: str) -> tuple[str, str]:
    """(group, Chinese name) of a resource; menu entries (already Chinese) go to the 菜单 group."""
    if name in RESOURCES:
        return RESOURCES[name]
    if any("\u4e00" <= ch <= "\u9fff" for ch in name):
        return "菜单", name
    return "其他", name


def permission_label(name: str) -> str:
    return PERMISSIONS.get(name, name.removeprefix("can_"))


def permission_view_label(pv) -> str:
    """“协调事项 · 函告”, or “菜单 · 督办台” for a menu entry."""
    permission, view = pv.permission.name, pv.view_menu.name
    group, resource = resource_label(view)
    if permission == "menu_access":
        return f"菜单 · {resource}"
    return f"{resource} · {permission_label(permission)}"


def sort_key(pv) -> tuple:
    permission, view = pv.permission.name, pv.view_menu.name
    group, resource = resource_label(view)
    if permission == "menu_access":
        group = "菜单"
    rank = GROUPS.index(group) if group in GROUPS else len(GROUPS)
    column = COMMON.index(permission) if permission in COMMON else len(COMMON)
    return rank, resource, column, permission_label(permission)

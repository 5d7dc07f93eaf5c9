"""The seven roles and their default permissions (DESIGN.md "Who uses it"), applied by a command.

Permissions are named per resource (the page and the API of a resource share them, see
app/views/base.py). `sync_roles` is idempotent and conservative: a new role gets its defaults, an
existing role only gains defaults for permissions that did not exist before this run (new views of
a new release), so what an administrator changed on FAB's role pages is kept. `--reset` restores
the defaults.
"""
from __future__ import annotations

import re

from app.security.menu_access import MENU_RESOURCES
from app.security.permissions import SCOPE_ALL, SCOPE_CASES, SCOPE_PERMISSIONS, SCOPE_RESOURCE, SCOPE_UNIT

READ = r"can_list|can_show"
BUSINESS = (r"Unit|Case|CaseProgress|Matter|Meeting|MeetingTopic|Attendance|Minutes|Decision|Policy|"
            r"Bulletin|BulletinSection|Assessment|DisposalPlan|PlanMeasure|Research|Proposal|Group|"
            r"GroupMember|GroupLog|Evaluation|EvaluationEntry|Clue|CaseAssignment|CoordinationRequest|CheckLine")
SHARED = r"Workbench|Notification|Attachment|Dashboard"
# Every user may see their own profile and change their own password (a forced change needs it),
# and read the API's description (`GET /api/v1/_openapi`): integrators build clients from it, and it
# holds no data; the Swagger page (SwaggerView) stays the administrator's.
SELF = [("ResetMyPasswordView", r"can_this_form_get|can_this_form_post"), ("UnitUserView", r"can_userinfo|resetmypassword"),
        ("OpenApi", "can_get")]
# 协调申请 (issue 14): the judge and the administrator of a case ask; the office decides; requesters
# file, amend (while waiting) and withdraw their own requests and download the results.
REQUESTER = [("CoordinationRequest", r"can_list|can_show|can_add|can_edit|can_withdraw|can_results|can_upload"),
             ("CheckLine", r"can_list|can_show|can_add|can_edit|can_delete"),
             ("Unit|Category|Policy|CheckItem|CaseAssignment", READ),
             ("Matter", "can_letter|can_reply_letter"), ("CaseProgress", "can_add"),
             (SHARED, r".*")] + SELF

# role -> (allow rules, deny rules); each rule is (resource regex, permission regex), full match.
ROLE_MATRIX: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    "Office": (
        [(SCOPE_RESOURCE, SCOPE_ALL), (BUSINESS, r".*"), ("Audit", READ), (r"Category|Holiday|RiskScheme", READ), (SHARED, r".*"),
         ("Category|Holiday", r"can_add|can_edit"), ("CheckItem", READ)] + SELF,
        [("Matter", r"can_sign|can_reply|can_extend|can_inbox"), ("Case", "can_override"),
         ("Evaluation", r"can_approve|can_issue"), ("Meeting", "can_propose"), ("Research", "can_contribute"),
         ("CoordinationRequest", r"can_add|can_edit|can_delete|can_withdraw|can_upload"),
         ("CheckLine", r"can_add|can_edit|can_delete")],
    ),
    "Convener": (
        [(SCOPE_RESOURCE, SCOPE_ALL), (BUSINESS, READ), ("Minutes", "can_issue|can_pdf"), ("Bulletin", "can_issue|can_pdf"),
         ("Evaluation", "can_approve|can_issue|can_pdf"), ("Case", "can_override|can_ledger|can_export"),
         ("Meeting", "can_add|can_edit|can_schedule|can_decline|can_cancel|can_hold|can_followup"), ("DisposalPlan", "can_approve"),
         ("Matter", "can_letter|can_reply_letter|can_supervise"), ("Category|Holiday|RiskScheme|CheckItem", READ),
         ("CoordinationRequest", "can_results"), (SHARED, r".*")] + SELF,
        [],
    ),
    "UnitStaff": (
        [(SCOPE_RESOURCE, SCOPE_UNIT), (r"Unit|Case|CaseProgress|Matter|Meeting|MeetingTopic|Attendance|Minutes|Decision|Policy|Bulletin|"
          r"BulletinSection|DisposalPlan|PlanMeasure|Research|Proposal|Group|GroupMember|GroupLog|Evaluation|"
          r"EvaluationEntry", READ),
         ("Matter", "can_sign|can_reply|can_extend|can_inbox|can_letter|can_reply_letter"),
         ("CaseProgress", "can_add"), ("Meeting", "can_propose|can_followup"), ("Clue", "can_add|can_list|can_show|can_upload"),
         ("Research", "can_contribute|can_upload"), ("Minutes|Bulletin|Evaluation", "can_pdf"), ("Case", "can_ledger|can_export"),
         ("Category|CheckItem", READ), (SHARED, r".*")] + SELF,
        [],
    ),
    "Viewer": (
        [(SCOPE_RESOURCE, SCOPE_ALL), (BUSINESS, READ), (r"Minutes|Bulletin|Evaluation", "can_pdf"), ("Case", "can_ledger|can_export"),
         ("Matter", "can_letter|can_reply_letter|can_supervise"), ("Meeting", "can_followup"),
         ("Category|Holiday|RiskScheme|CheckItem", READ), ("CoordinationRequest", "can_results"),
         (SHARED, r"can_list|can_show|can_download|can_index|can_home")] + SELF,
        [("Clue", ".*")],
    ),
    # 承办法官: the court's judge of a case reads everything about the cases assigned to them.
    "Judge": (
        [(SCOPE_RESOURCE, SCOPE_CASES), (r"Case|CaseProgress|Matter|Meeting|MeetingTopic|Attendance|Minutes|Decision|"
                                         r"Assessment|DisposalPlan|PlanMeasure|Group|GroupMember|GroupLog", READ),
         ("Case", "can_ledger"), ("Minutes", "can_pdf"), ("Meeting", "can_followup")] + REQUESTER,
        [],
    ),
    # 破产管理人: outside the government; their cases' matters and replies, nothing confidential (no
    # clues, risk assessments, disposal plans, minutes, meetings or coordination groups).
    "Trustee": (
        [(SCOPE_RESOURCE, SCOPE_CASES), (r"Case|CaseProgress|Matter", READ)] + REQUESTER,
        [],
    ),
}
ROLE_NAMES = ("Admin", "Convener", "Office", "UnitStaff", "Viewer", "Judge", "Trustee")


def _matches(rules, view_name: str, permission: str) -> bool:
    return any(re.fullmatch(v, view_name) and re.fullmatch(p, permission) for v, p in rules)


def default_grants(role_name: str, view_name: str, permission: str) -> bool:
    if role_name == "Admin":
        return True
    allow, deny = ROLE_MATRIX[role_name]
    return _matches(allow, view_name, permission) and not _matches(deny, view_name, permission)


class _OneCommit:
    """FAB commits after each permission, view and grant it adds (~730 on a new install: 5–8 s, more
    with a durable PostgreSQL): inside this block its commits are flushes and the caller commits once.
    Should FAB meet an error and roll back mid-way, the batch is gone with it: `failed` says so, and
    the caller runs FAB's own row-by-row path instead."""

    def __init__(self, session):
        self.session, self.failed = session, False

    def _rolled_back(self, *args):
        self.failed = True

    def __enter__(self):
        from sqlalchemy import event

        self.session.commit = self.session.flush
        event.listen(self.session, "after_soft_rollback", self._rolled_back)
        return self

    def __exit__(self, kind, error, trace):
        from sqlalchemy import event

        del self.session.commit
        event.remove(self.session, "after_soft_rollback", self._rolled_back)
        if error is None and not self.failed:
            self.session.commit()
        else:
            self.session.rollback()
        return False


def _permissions_in_place(appbuilder) -> bool:
    """Whether FAB's `add_permissions` would add and remove nothing: each view's resource holds its
    permissions (the union, where a page and its API share a resource), each menu entry its
    `menu_access`, the data scope its own, and the Admin role all of them. Two queries; FAB's own
    pass loads each resource's and the Admin role's permissions again, about 2 s on every
    `seed load`, `roles sync` and `make run` of an installed system."""
    from flask_appbuilder.security.sqla.models import assoc_permissionview_role
    from sqlalchemy import select

    from app.extensions import db

    sm = appbuilder.sm
    wanted: dict[str, set[str]] = {SCOPE_RESOURCE: set(SCOPE_PERMISSIONS)}
    for view in appbuilder.baseviews:
        wanted.setdefault(view.class_permission_name, set()).update(view.base_permissions or ())
    if appbuilder.menu is not None:
        for category in appbuilder.menu.get_list():
            for name in [category.name] + [item.name for item in category.childs if item.name != "-"]:
                wanted.setdefault(name, set()).add("menu_access")
    pv, perm, view_menu, role = sm.permissionview_model, sm.permission_model, sm.viewmenu_model, sm.role_model
    admin = select(role.id).where(role.name == sm.auth_role_admin).scalar_subquery()
    grant = assoc_permissionview_role.c
    rows = db.session.execute(
        select(view_menu.name, perm.name, grant.role_id)
        .select_from(view_menu).outerjoin(pv, pv.view_menu_id == view_menu.id)
        .outerjoin(perm, perm.id == pv.permission_id)
        .outerjoin(assoc_permissionview_role, (grant.permission_view_id == pv.id) & (grant.role_id == admin))
        .where(view_menu.name.in_(wanted))).all()
    held: dict[str, set[str]] = {view_name: set() for view_name, _, _ in rows}
    for view_name, permission, admin_holds in rows:
        if permission is not None:
            if admin_holds is None:
                return False  # FAB gives the Admin role every permission
            held[view_name].add(permission)
    return held == wanted


def sync_roles(appbuilder, reset: bool = False) -> dict[str, int]:
    """Create permissions for every registered view, the seven roles, and their default grants, in
    one transaction (FAB's row-by-row commits if that fails)."""
    from app.extensions import db

    with _OneCommit(db.session()) as batch:
        granted = _sync_roles(appbuilder, reset)
    if batch.failed:
        granted = _sync_roles(appbuilder, reset)
    return granted


def _sync_roles(appbuilder, reset: bool) -> dict[str, int]:
    from app.extensions import db

    sm = appbuilder.sm
    pv_model = sm.permissionview_model
    before = {pv.id for pv in db.session.query(pv_model)}
    created_roles = set()
    for role_name in ROLE_NAMES:  # before FAB's add_permissions, which grants to the Admin role
        if sm.find_role(role_name) is None:
            sm.add_role(role_name)
            created_roles.add(role_name)
    if not _permissions_in_place(appbuilder):
        appbuilder.add_permissions(update_perms=True)
        for permission in SCOPE_PERMISSIONS:  # the data scope is a permission without a view
            sm.add_permission_view_menu(permission, SCOPE_RESOURCE)
    all_pvs = db.session.query(pv_model).all()
    new_ids = {pv.id for pv in all_pvs} - before
    granted: dict[str, int] = {}
    for role_name in ROLE_NAMES:
        role = sm.find_role(role_name)
        created = role_name in created_roles
        business = {(pv.view_menu.name, pv.permission.name): pv for pv in all_pvs
                    if pv.permission.name != "menu_access"}
        wanted = {key: pv for key, pv in business.items() if default_grants(role_name, *key)}
        # A menu entry is shown to a role that may list (or open) the resource behind it.
        granted_resources = {(view, perm) for view, perm in wanted}
        for pv in all_pvs:
            if pv.permission.name != "menu_access":
                continue
            resource = MENU_RESOURCES.get(pv.view_menu.name)
            if role_name == "Admin" or (resource and any(
                    (res, perm) in granted_resources for res, perm in resource)):
                wanted[(pv.view_menu.name, "menu_access")] = pv
        current = {pv.id for pv in role.permissions}
        count = 0
        for pv in wanted.values():
            if pv.id in current:
                continue
            if created or reset or pv.id in new_ids:
                role.permissions.append(pv)
                count += 1
        if reset and role_name != "Admin":
            wanted_ids = {pv.id for pv in wanted.values()}
            role.permissions = [pv for pv in role.permissions if pv.id in wanted_ids]
        granted[role_name] = count
    db.session.commit()
    return granted

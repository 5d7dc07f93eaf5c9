"""Row-level scope: which records a user may see, defined ONCE per model.

Every path that reads records goes through `scope_clause` — list/show/edit/delete pages (as a FAB
base filter), related-field choices, the REST API, exports, PDFs, dashboard counts and charts — so
a record outside the scope answers 404 everywhere. Writes are checked with `ensure_in_scope`,
which evaluates the same clause against the row as it would be saved.
"""
from __future__ import annotations

from typing import Callable, Optional

from flask import g, has_request_context
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import and_, exists, false, or_, select, true, union
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from app import models as m
from app.security.permissions import can, sees_all_units, sees_own_cases, sees_own_unit
from app.services.errors import NotFound

REFERENCE_MODELS = (m.Unit, m.Category, m.Holiday, m.Setting, m.Policy, m.RiskScheme, m.CheckItem)
#: The resource whose read permission (can_list / can_show) a model's rows need: a role without it
#: sees none of them anywhere — lists, related choices, derived text, counts (e.g. 线索 for observers).
MODEL_RESOURCES: dict[type, str] = {
    m.Case: "Case", m.CaseProgress: "CaseProgress",
    m.Matter: "Matter", m.MatterAssignment: "Matter", m.MatterEvent: "Matter", m.ExtensionRequest: "Matter",
    m.Reminder: "Matter",
    m.Meeting: "Meeting", m.MeetingTopic: "MeetingTopic", m.Attendance: "Attendance", m.Minutes: "Minutes",
    m.MinutesDistribution: "Minutes", m.Decision: "Decision",
    m.Bulletin: "Bulletin", m.BulletinSection: "BulletinSection", m.BulletinDistribution: "Bulletin",
    m.Assessment: "Assessment", m.DisposalPlan: "DisposalPlan", m.PlanMeasure: "PlanMeasure",
    m.ResearchProject: "Research", m.Proposal: "Proposal",
    m.CoordinationGroup: "Group", m.GroupMember: "GroupMember", m.GroupLog: "GroupLog",
    m.Evaluation: "Evaluation", m.EvaluationEntry: "EvaluationEntry",
    m.ClueReport: "Clue", m.AuditLog: "Audit",
    m.CaseAssignment: "CaseAssignment", m.CoordinationRequest: "CoordinationRequest", m.CheckLine: "CheckLine",
    m.CheckItem: "CheckItem",
}


def current_user():
    if not has_request_context():
        return getattr(g, "user", None) if _has_app_g() else None
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def _has_app_g() -> bool:
    try:
        g.get("user")
        return True
    except RuntimeError:
        return False


def unit_id_of(user) -> Optional[int]:
    return getattr(user, "unit_id", None)


def may_read(user, model: type) -> bool:
    """The role-level half of the rule: the user's roles may list or open the model's resource."""
    resource = MODEL_RESOURCES.get(model)
    return resource is None or can(user, "can_list", resource) or can(user, "can_show", resource)


# --- the clauses for a user whose scope is their own unit `u` --------------------------------------------------

def _assigned_matter_ids(u: int):
    """Matters with a part for unit `u` (index matter_assignment(unit_id, status, matter_id) covers it)."""
    return select(m.MatterAssignment.matter_id).where(m.MatterAssignment.unit_id == u)


def _matter_visible(u: int, matter_id):
    """Rows of a matter's child table (parts, timeline, reminders …) whose matter the unit sees: a
    correlated EXISTS, probed only for the rows the rest of the query keeps (aliases, so that it
    never correlates with a `matter` table of the outer query)."""
    part, matter = aliased(m.MatterAssignment), aliased(m.Matter)
    return (select(part.matter_id).join(matter, matter.id == part.matter_id)
            .where(part.matter_id == matter_id, part.unit_id == u, matter.status != "draft").exists())


def _case_ids(u: int):
    via_matters = select(m.Matter.case_id).where(m.Matter.id.in_(_assigned_matter_ids(u)), m.Matter.status != "draft",
                                                 m.Matter.case_id.is_not(None))
    via_progress = select(m.CaseProgress.case_id).where(m.CaseProgress.unit_id == u)
    via_groups = (select(m.CoordinationGroup.case_id).join(m.GroupMember, m.GroupMember.group_id == m.CoordinationGroup.id)
                  .where(m.GroupMember.unit_id == u))
    via_plans = (select(m.DisposalPlan.case_id).join(m.PlanMeasure, m.PlanMeasure.plan_id == m.DisposalPlan.id)
                 .where(m.PlanMeasure.responsible_unit_id == u))
    return via_matters.union(via_progress, via_groups, via_plans)


def _meeting_ids(u: int):
    """Meetings the unit proposed, is invited to, attends or reports at: a UNION of four index
    look-ups by unit (not a scan of every meeting with three EXISTS each)."""
    return union(
        select(m.Meeting.id).where(m.Meeting.proposed_by_unit_id == u),
        select(m.meetings.meeting_unit.c.meeting_id).where(m.meetings.meeting_unit.c.unit_id == u),
        select(m.Attendance.meeting_id).where(m.Attendance.unit_id == u),
        select(m.MeetingTopic.meeting_id).where(m.MeetingTopic.reporting_unit_id == u),
    )


def _minutes_ids(u: int):
    return (select(m.MinutesDistribution.minutes_id).join(m.Minutes, m.Minutes.id == m.MinutesDistribution.minutes_id)
            .where(m.MinutesDistribution.unit_id == u, m.Minutes.status != "draft"))


def _bulletin_ids(u: int):
    return (select(m.BulletinDistribution.bulletin_id).join(m.Bulletin, m.Bulletin.id == m.BulletinDistribution.bulletin_id)
            .where(m.BulletinDistribution.unit_id == u, m.Bulletin.status == "issued"))


def _plan_ids(u: int):
    return select(m.PlanMeasure.plan_id).where(m.PlanMeasure.responsible_unit_id == u)


def _group_ids(u: int):
    return select(m.GroupMember.group_id).where(m.GroupMember.unit_id == u)


def _research_ids(u: int):
    return select(m.ResearchProject.id).where(or_(
        m.ResearchProject.lead_unit_id == u,
        exists().where(m.research.research_unit.c.research_id == m.ResearchProject.id,
                       m.research.research_unit.c.unit_id == u)))


def _evaluation_ids(u: int):
    return select(m.Evaluation.id).where(m.Evaluation.status == "issued")


UNIT_SCOPES: dict[type, Callable[[int, object], ColumnElement]] = {
    m.Unit: lambda u, user: true(),
    m.Category: lambda u, user: true(),
    m.Holiday: lambda u, user: true(),
    m.Setting: lambda u, user: true(),
    m.Policy: lambda u, user: true(),
    m.RiskScheme: lambda u, user: true(),
    m.Case: lambda u, user: m.Case.id.in_(_case_ids(u)),
    m.CaseProgress: lambda u, user: or_(m.CaseProgress.unit_id == u, m.CaseProgress.case_id.in_(_case_ids(u))),
    m.Matter: lambda u, user: and_(m.Matter.id.in_(_assigned_matter_ids(u)), m.Matter.status != "draft"),
    m.MatterAssignment: lambda u, user: _matter_visible(u, m.MatterAssignment.matter_id),
    m.MatterEvent: lambda u, user: _matter_visible(u, m.MatterEvent.matter_id),
    m.ExtensionRequest: lambda u, user: _matter_visible(u, m.ExtensionRequest.matter_id),
    m.Reminder: lambda u, user: and_(m.Reminder.unit_id == u, _matter_visible(u, m.Reminder.matter_id)),
    m.Meeting: lambda u, user: m.Meeting.id.in_(_meeting_ids(u)),
    m.MeetingTopic: lambda u, user: m.MeetingTopic.meeting_id.in_(_meeting_ids(u)),
    m.Attendance: lambda u, user: m.Attendance.meeting_id.in_(_meeting_ids(u)),
    m.Minutes: lambda u, user: m.Minutes.id.in_(_minutes_ids(u)),
    m.MinutesDistribution: lambda u, user: m.MinutesDistribution.minutes_id.in_(_minutes_ids(u)),
    m.Decision: lambda u, user: m.Decision.minutes_id.in_(_minutes_ids(u)),
    m.Bulletin: lambda u, user: m.Bulletin.id.in_(_bulletin_ids(u)),
    m.BulletinSection: lambda u, user: m.BulletinSection.bulletin_id.in_(_bulletin_ids(u)),
    m.BulletinDistribution: lambda u, user: m.BulletinDistribution.bulletin_id.in_(_bulletin_ids(u)),
    m.Assessment: lambda u, user: m.Assessment.case_id.in_(_case_ids(u)),
    m.DisposalPlan: lambda u, user: m.DisposalPlan.id.in_(_plan_ids(u)),
    m.PlanMeasure: lambda u, user: m.PlanMeasure.plan_id.in_(_plan_ids(u)),
    m.ResearchProject: lambda u, user: m.ResearchProject.id.in_(_research_ids(u)),
    m.Proposal: lambda u, user: or_(
        m.Proposal.status == "issued",
        exists().where(m.research.proposal_unit.c.proposal_id == m.Proposal.id, m.research.proposal_unit.c.unit_id == u)),
    m.CoordinationGroup: lambda u, user: m.CoordinationGroup.id.in_(_group_ids(u)),
    m.GroupMember: lambda u, user: m.GroupMember.group_id.in_(_group_ids(u)),
    m.GroupLog: lambda u, user: m.GroupLog.group_id.in_(_group_ids(u)),
    m.Evaluation: lambda u, user: m.Evaluation.id.in_(_evaluation_ids(u)),
    m.EvaluationEntry: lambda u, user: m.EvaluationEntry.evaluation_id.in_(_evaluation_ids(u)),
    m.ClueReport: lambda u, user: m.ClueReport.created_by_id == user.id,
    m.AuditLog: lambda u, user: false(),
}


# --- the clauses for a user whose scope is the cases assigned to them (承办法官, 破产管理人) -----------------------

def _my_case_ids(user):
    """Cases the user is assigned to (index case_assignment(user_id, case_id) covers it)."""
    assignment = aliased(m.CaseAssignment)
    return select(assignment.case_id).where(assignment.user_id == user.id)


def _case_matter_visible(user, matter_id):
    """Rows of a matter's child table whose matter is about one of the user's cases and was sent."""
    matter = aliased(m.Matter)
    return (select(matter.id).where(matter.id == matter_id, matter.case_id.in_(_my_case_ids(user)),
                                    matter.status != "draft").exists())


def _case_minutes_ids(user):
    """Issued minutes with a decision about, or of a meeting with a topic on, one of the user's cases.
    Aliases throughout: the subqueries never correlate with the outer query's own tables."""
    mine = _my_case_ids(user)
    minutes, decision, topic = aliased(m.Minutes), aliased(m.Decision), aliased(m.MeetingTopic)
    return select(minutes.id).where(minutes.status != "draft", or_(
        minutes.id.in_(select(decision.minutes_id).where(decision.case_id.in_(mine))),
        minutes.meeting_id.in_(select(topic.meeting_id).where(topic.case_id.in_(mine)))))


def _case_meeting_ids(user):
    topic, minutes = aliased(m.MeetingTopic), aliased(m.Minutes)
    return union(select(topic.meeting_id).where(topic.case_id.in_(_my_case_ids(user))),
                 select(minutes.meeting_id).where(minutes.id.in_(_case_minutes_ids(user))))


def _ids_of_my_cases(model, user):
    """Ids of a case-owned parent (plan, group, request) of the user's cases, through an alias."""
    parent = aliased(model)
    return select(parent.id).where(parent.case_id.in_(_my_case_ids(user)))


def _case_rows(column):
    return lambda user: column.in_(_my_case_ids(user))


#: What hangs off the user's cases. Which of these a role reads at all is its resource permissions
#: (a 破产管理人 role has none on minutes, assessments or clues: see app/security/roles.py).
CASE_SCOPES: dict[type, Callable[[object], ColumnElement]] = {
    m.Case: _case_rows(m.Case.id),
    m.CaseProgress: _case_rows(m.CaseProgress.case_id),
    m.CaseAssignment: _case_rows(m.CaseAssignment.case_id),
    m.Matter: lambda user: and_(m.Matter.case_id.in_(_my_case_ids(user)), m.Matter.status != "draft"),
    m.MatterAssignment: lambda user: _case_matter_visible(user, m.MatterAssignment.matter_id),
    m.MatterEvent: lambda user: _case_matter_visible(user, m.MatterEvent.matter_id),
    m.ExtensionRequest: lambda user: _case_matter_visible(user, m.ExtensionRequest.matter_id),
    m.Meeting: lambda user: m.Meeting.id.in_(_case_meeting_ids(user)),
    m.MeetingTopic: lambda user: m.MeetingTopic.meeting_id.in_(_case_meeting_ids(user)),
    m.Attendance: lambda user: m.Attendance.meeting_id.in_(_case_meeting_ids(user)),
    m.Minutes: lambda user: m.Minutes.id.in_(_case_minutes_ids(user)),
    m.Decision: lambda user: m.Decision.minutes_id.in_(_case_minutes_ids(user)),
    m.Assessment: _case_rows(m.Assessment.case_id),
    m.DisposalPlan: _case_rows(m.DisposalPlan.case_id),
    m.PlanMeasure: lambda user: m.PlanMeasure.plan_id.in_(_ids_of_my_cases(m.DisposalPlan, user)),
    m.CoordinationGroup: _case_rows(m.CoordinationGroup.case_id),
    m.GroupMember: lambda user: m.GroupMember.group_id.in_(_ids_of_my_cases(m.CoordinationGroup, user)),
    m.GroupLog: lambda user: m.GroupLog.group_id.in_(_ids_of_my_cases(m.CoordinationGroup, user)),
    m.CoordinationRequest: _case_rows(m.CoordinationRequest.case_id),
    m.CheckLine: lambda user: m.CheckLine.request_id.in_(_ids_of_my_cases(m.CoordinationRequest, user)),
}


def scope_clause(model: type, user=None) -> Optional[ColumnElement]:
    """The WHERE clause limiting `model` to what `user` may see; None means no restriction.

    Two halves, both from the roles page: the model's resource must be readable (`may_read`), and
    the rows are those of the user's data scope — every unit's (DataScope.can_all_units), what
    concerns the user's own unit (DataScope.can_own_unit, the rules in UNIT_SCOPES), what hangs off
    the cases assigned to the user (DataScope.can_own_cases, CASE_SCOPES); a role granted several
    scopes sees their union.
    """
    if model is m.Notification:
        return _notification_clause(user)
    if user is None:
        return false()
    if not may_read(user, model):
        return false()
    if sees_all_units(user):
        return None
    if model in REFERENCE_MODELS:
        return true()
    clauses = []
    if sees_own_unit(user):
        rule = UNIT_SCOPES.get(model)
        if rule is not None:
            clauses.append(rule(unit_id_of(user), user))
    if sees_own_cases(user):
        rule = CASE_SCOPES.get(model)
        if rule is not None:
            clauses.append(rule(user))
    if not clauses:
        return false()
    return clauses[0] if len(clauses) == 1 else or_(*clauses)


def _notification_clause(user) -> ColumnElement:
    if user is None:
        return false()
    clauses = [m.Notification.user_id == user.id]
    if unit_id_of(user) is not None:
        clauses.append(m.Notification.unit_id == unit_id_of(user))
    return or_(*clauses)


def scoped(query, model: type, user=None):
    """Apply the user's scope to a query over `model` (SQLAlchemy Query or Select)."""
    clause = scope_clause(model, user if user is not None else current_user())
    if clause is None:
        return query
    return query.filter(clause) if hasattr(query, "filter") else query.where(clause)


def get_in_scope(session, model: type, pk, user=None):
    """The record if the user may see it, else NotFound (404: do not confirm that it exists)."""
    user = user if user is not None else current_user()
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound()
    query = scoped(session.query(model).filter(model.id == pk), model, user)
    item = query.first()
    if item is None:
        raise NotFound()
    return item


def ensure_in_scope(session, item, user=None) -> None:
    """Refuse a write that would put the record outside the writer's scope (e.g. another unit's)."""
    from app.services.errors import PermissionRefused

    user = user if user is not None else current_user()
    model = type(item)
    clause = scope_clause(model, user)
    if clause is None:
        return
    session.add(item)
    session.flush()
    found = session.query(model.id).filter(model.id == item.id, clause).first()
    if found is None:
        session.rollback()
        raise PermissionRefused("无权保存该记录：记录将归属其他单位或超出本单位范围，未作任何修改。")


class RowScopeFilter(BaseFilter):
    """FAB base filter applying `scope_clause` to every list, show, edit, delete and choice query."""

    name = "本人可见范围"
    arg_name = "scope"

    def apply(self, query, value):
        return scoped(query, self.model)


SCOPE_FILTER = [["id", RowScopeFilter, None]]

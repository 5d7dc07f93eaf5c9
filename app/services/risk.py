"""风险评估机制 rules: scoring with the stored scheme, and the acceptance gate."""
from __future__ import annotations

from sqlalchemy import select

from app.services.errors import BusinessError


def latest_assessment(session, case_id: int):
    from app.models.risk import Assessment

    return session.execute(select(Assessment).where(Assessment.case_id == case_id)
                           .order_by(Assessment.assessed_on.desc(), Assessment.id.desc()).limit(1)).scalar()


def has_approved_plan(session, case_id: int) -> bool:
    from app.models.risk import DisposalPlan

    return session.execute(select(DisposalPlan.id).where(
        DisposalPlan.case_id == case_id, DisposalPlan.status.in_(("approved", "in_effect", "closed"))).limit(1)).first() is not None


def check_acceptance(session, case) -> None:
    """A case cannot move to accepted — or any later stage (债权申报, 宣告破产 …) — while its latest
    assessment is 重大 and no plan is approved, unless a convener recorded an override reason.
    Checked at flush time for every path (app/models/locks.py)."""
    from sqlalchemy import inspect

    from app.models.cases import ACCEPTED_STAGES

    history = inspect(case).attrs.stage.history
    was_accepted = any(stage in ACCEPTED_STAGES for stage in history.deleted)
    moving_to_accepted = case.stage in ACCEPTED_STAGES and history.has_changes() and not was_accepted
    if not moving_to_accepted or not case.id:
        return
    latest = latest_assessment(session, case.id)
    if latest is None or latest.level != "重大" or has_approved_plan(session, case.id):
        return
    if case.acceptance_override_reason:
        return
    raise BusinessError("该案件最近一次风险评估为“重大”且尚无已批准的处置方案，不能转为已受理；"
                        "请先制定并批准处置方案，或由召集人填写放行理由。", 409)


# --- schemes ------------------------------------------------------------------------------------
import json  # noqa: E402
import datetime as dt  # noqa: E402

from app.services.risk_scoring import AnswerError, SchemeError, load_scheme, score  # noqa: E402

WARNING_LEVELS = ("高", "重大")
APPROVED_PLAN_STATUSES = ("approved", "in_effect", "closed")
_scheme_cache: dict[str, object] = {}


def active_scheme_row(session):
    from app.models.risk import RiskScheme

    row = session.execute(select(RiskScheme).where(RiskScheme.active.is_(True))
                          .order_by(RiskScheme.scheme_version.desc()).limit(1)).scalar()
    if row is None:
        raise BusinessError("尚未启用风险评估方案，请管理员在“评估方案设置”中启用一个方案", 409)
    return row


def scheme_of(row):
    """The parsed scheme of a stored row (cached per row and version: definitions never change)."""
    key = row.definition  # a stored definition never changes; the text itself is the safest key
    if key not in _scheme_cache:
        try:
            _scheme_cache[key] = load_scheme(json.loads(row.definition))
        except (ValueError, SchemeError) as exc:
            raise BusinessError(f"评估方案第{row.scheme_version}版定义有误：{exc}", 500)
    return _scheme_cache[key]


def parse_scheme_text(text: str):
    """Validate an admin's JSON definition; Chinese errors listing every problem."""
    if not text or not text.strip():
        raise BusinessError("请填写方案定义（JSON）", 422)
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise BusinessError(f"方案定义不是合法的 JSON：第{getattr(exc, 'lineno', '?')}行第{getattr(exc, 'colno', '?')}列附近有误", 422)
    try:
        return load_scheme(raw), raw
    except SchemeError as exc:
        raise BusinessError(str(exc), 422)


def prepare_scheme(session, row) -> None:
    """Fill a new RiskScheme row from its definition: version and name come from the JSON; the
    version must be new and higher than every stored one (old assessments keep theirs)."""
    from app.models.risk import RiskScheme

    scheme, raw = parse_scheme_text(row.definition)
    with session.no_autoflush:
        highest = session.execute(select(RiskScheme.scheme_version).where(RiskScheme.id != (row.id or 0))
                                  .order_by(RiskScheme.scheme_version.desc()).limit(1)).scalar()
    if highest is not None and scheme.version <= highest:
        raise BusinessError(f"新方案的版本号（version）须大于现有最高版本{highest}，请改为{highest + 1}", 422)
    row.scheme_version = scheme.version
    row.name = scheme.name
    row.definition = json.dumps(raw, ensure_ascii=False, indent=1)


def activate_only(session, row) -> None:
    """At most one active scheme: activating one deactivates the others."""
    from app.models.risk import RiskScheme

    if row.active:
        for other in session.execute(select(RiskScheme).where(RiskScheme.active.is_(True),
                                                              RiskScheme.id != row.id)).scalars():
            other.active = False


# --- assessments --------------------------------------------------------------------------------
def assess_case(session, user, case, answers: dict, assessed_on: dt.date | None = None,
                note: str | None = None):
    """Score `answers` with the ACTIVE scheme and store the result with the scheme it used.

    Updates case.risk_level when this is now the latest assessment of the case. Caller commits.
    """
    from app.models.risk import Assessment

    row = active_scheme_row(session)
    scheme = scheme_of(row)
    cleaned = {k: v for k, v in (answers or {}).items()}
    try:
        result = score(scheme, cleaned)
    except AnswerError as exc:
        raise BusinessError("评估要素填写有误：" + "；".join(exc.errors), 422)
    from app.services.calendar import today

    assessment = Assessment(case=case, case_id=case.id, scheme=row, scheme_id=row.id,
                            assessed_on=assessed_on or today(), note=note or None,
                            answers=json.dumps(cleaned, ensure_ascii=False), score=result.score,
                            level=result.level, breakdown=json.dumps(result.to_dict(), ensure_ascii=False))
    session.add(assessment)
    session.flush()
    refresh_case_level(session, case)
    return assessment


def refresh_case_level(session, case) -> None:
    latest = latest_assessment(session, case.id)
    level = latest.level if latest is not None else None
    if case.risk_level != level:
        case.risk_level = level


def breakdown_of(assessment) -> dict:
    try:
        data = json.loads(assessment.breakdown or "{}")
    except ValueError:
        return {"breakdown": []}
    if isinstance(data, list):  # rows stored before the full result was kept
        data = {"breakdown": data}
    return data


def answers_of(assessment) -> dict:
    try:
        return json.loads(assessment.answers or "{}")
    except ValueError:
        return {}


# --- warnings and the acceptance gate -------------------------------------------------------------
def latest_assessments_subquery():
    """(case_id, assessment id) of the latest assessment of every case, as a subquery."""
    from sqlalchemy import func

    from app.models.risk import Assessment

    ranked = select(Assessment.id.label("id"), Assessment.case_id.label("case_id"),
                    func.row_number().over(partition_by=Assessment.case_id,
                                           order_by=(Assessment.assessed_on.desc(), Assessment.id.desc()))
                    .label("rn")).subquery()
    return select(ranked.c.id, ranked.c.case_id).where(ranked.c.rn == 1).subquery()


def cases_needing_plan(session, user=None) -> list[tuple]:
    """(case, latest assessment) for cases at 高/重大 without an approved disposal plan, in the
    user's scope, most severe first. One query."""
    from sqlalchemy import exists

    from app.models.cases import Case
    from app.models.risk import Assessment, DisposalPlan
    from app.security.scope import current_user, scoped

    user = user if user is not None else current_user()
    latest = latest_assessments_subquery()
    approved = exists().where(DisposalPlan.case_id == Case.id, DisposalPlan.status.in_(APPROVED_PLAN_STATUSES))
    stmt = (select(Case, Assessment).join(latest, latest.c.case_id == Case.id)
            .join(Assessment, Assessment.id == latest.c.id)
            .where(Assessment.level.in_(WARNING_LEVELS), ~approved))
    stmt = scoped(stmt, Case, user)
    rows = session.execute(stmt).unique().all()
    rank = {"重大": 0, "高": 1}
    return sorted(((c, a) for c, a in rows), key=lambda ca: (rank.get(ca[1].level, 9), -ca[1].score, ca[0].id))


def risk_status(session, case, user) -> dict:
    """What the case page shows `user`: the latest assessment (only to those who may read
    assessments: its score and level are the assessment's), whether a plan is needed, whether the
    acceptance gate blocks."""
    from app.models.risk import Assessment
    from app.security.scope import scope_clause

    latest = latest_assessment(session, case.id)
    clause = scope_clause(Assessment, user)
    if latest is not None and clause is not None and session.query(Assessment.id).filter(
            Assessment.id == latest.id, clause).first() is None:
        latest = None
    plan = has_approved_plan(session, case.id)
    return {
        "latest": latest,
        "has_plan": plan,
        "needs_plan": latest is not None and latest.level in WARNING_LEVELS and not plan,
        "gate_blocks": (latest is not None and latest.level == "重大" and not plan
                        and not case.acceptance_override_reason and case.stage == "application"),
    }


def override_acceptance(session, case, user, reason: str | None = None):
    """A convener lets a 重大 case without an approved plan be accepted; the reason is kept on the
    case (and, like every change, in the audit log with who and when)."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise BusinessError("请填写放行理由（至少4个字）", 422)
    if case.stage not in ("application",):
        raise BusinessError(f"案件当前阶段为“{case.stage_label}”，只有申请审查阶段的案件需要受理放行", 409)
    latest = latest_assessment(session, case.id)
    if latest is None or latest.level != "重大" or has_approved_plan(session, case.id):
        raise BusinessError("该案件不属于“重大风险且无已批准处置方案”的情形，无需放行", 409)
    who = getattr(user, "username", "") or ""
    case.acceptance_override_reason = f"{reason}（{who} {dt.date.today().isoformat()}）"[:2000]
    return case


# --- disposal plans -------------------------------------------------------------------------------
PLAN_TRANSITIONS = {"approve": ("draft", "approved"), "activate": ("approved", "in_effect"),
                    "close": ("in_effect", "closed")}


def next_measure_seq(plan, measure=None) -> int:
    """The number a new measure of `plan` takes: after the last one (措施一、二 …)."""
    return max([ms.seq for ms in plan.measures if ms is not measure] or [0]) + 1


def check_plan_editable(plan) -> None:
    if plan is not None and plan.status != "draft":
        raise BusinessError(f"处置方案已{plan.status_label}，措施不能再修改", 409)


def _transition(plan, action: str) -> None:
    source, target = PLAN_TRANSITIONS[action]
    if plan.status != source:
        from app.models.risk import PLAN_STATUS_LABELS

        raise BusinessError(f"处置方案当前状态为“{plan.status_label}”，只有“{PLAN_STATUS_LABELS[source]}”"
                            f"的方案可以{ {'approve': '批准', 'activate': '启动执行', 'close': '结束'}[action] }", 409)
    plan.status = target


def approve_plan(session, plan, user, create_matters: bool = True) -> list:
    """draft → approved; optionally one supervised matter per measure, sent to its responsible unit."""
    from app.models.base import now
    from app.services import settings
    from app.services.calendar import today, work_calendar
    from app.services.matters import create_matter, dispatch_matter

    _transition(plan, "approve")
    if not plan.measures:
        raise BusinessError("处置方案至少须有一项处置措施才能批准", 422)
    plan.approved_at = now()
    plan.approved_by_id = getattr(user, "id", None)
    created = []
    if create_matters:
        on = today()
        for measure in plan.measures:
            if measure.matters:
                continue
            deadline = measure.deadline or work_calendar().add_workdays(
                on, settings.get_int("default_deadline_workdays"))
            if deadline < on:
                raise BusinessError(f"措施“{measure.content[:20]}”的完成期限已过，请先修改期限再批准", 422)
            matter = create_matter(session, user, title=f"落实处置方案措施：{measure.content.strip()[:60]}",
                                   lead_unit=measure.responsible_unit, content=(
                                       f"根据《{plan.title}》（{plan.case.case_number} {plan.case.enterprise_name}），"
                                       f"请落实以下措施：\n{measure.content}"),
                                   deadline=deadline, case=plan.case, source="plan", plan_measure=measure,
                                   assigned_date=on)
            dispatch_matter(session, matter, user, note="处置方案批准")
            created.append(matter)
    session.flush()
    return created


def activate_plan(session, plan, user):
    _transition(plan, "activate")
    return plan


def close_plan(session, plan, user):
    _transition(plan, "close")
    return plan

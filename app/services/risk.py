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
    """A case cannot move to accepted while its latest assessment is 重大 and no plan is approved,
    unless a convener recorded an override reason."""
    from sqlalchemy import inspect

    history = inspect(case).attrs.stage.history
    moving_to_accepted = case.stage == "accepted" and history.has_changes()
    if not moving_to_accepted or not case.id:
        return
    latest = latest_assessment(session, case.id)
    if latest is None or latest.level != "重大" or has_approved_plan(session, case.id):
        return
    if case.acceptance_override_reason:
        return
    raise BusinessError("该案件最近一次风险评估为“重大”且尚无已批准的处置方案，不能转为已受理；"
                        "请先制定并批准处置方案，或由召集人填写放行理由。", 409)

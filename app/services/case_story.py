"""The case's whole story (案件全程): one timeline of everything about a case, as the reader may see it.

Requests, matters and the units' replies, meetings and decisions, assessments and plans, groups and
their work log, progress entries — each read through `scoped(...)`, so a 破产管理人 meets no
assessment, minutes or group (their roles cannot read them) and a unit liaison only its own matters.
Each kind is one LIMITed statement; the entries are merged and sorted here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app import models as m
from app.security.scope import scoped

PER_KIND = 200  # the newest entries of each kind; a case's story rarely reaches it
KIND_LABELS = {"case": "案件", "request": "协调申请", "matter": "协调事项", "reply": "函复", "meeting": "会议",
               "decision": "议定事项", "assessment": "风险评估", "plan": "处置方案", "group": "协调组",
               "group_log": "协调组日志", "progress": "案件进展"}
KIND_COLOURS = {"case": "default", "request": "info", "matter": "primary", "reply": "success", "meeting": "warning",
                "decision": "warning", "assessment": "danger", "plan": "danger", "group": "default",
                "group_log": "default", "progress": "info"}


@dataclass
class Entry:
    at: dt.datetime
    kind: str
    title: str
    detail: str = ""
    link: str = ""

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def colour(self) -> str:
        return KIND_COLOURS[self.kind]

    def as_json(self) -> dict:
        return {"at": self.at.isoformat(), "kind": self.kind, "kind_label": self.kind_label, "title": self.title,
                "detail": self.detail, "link": self.link}


def _at(value) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time())


def _rows(session, query, model, user):
    return list(session.execute(scoped(query, model, user).options(lazyload("*")).limit(PER_KIND)).scalars())


def case_story(session, user, case: m.Case, kinds: set[str] | None = None) -> list[Entry]:
    """Newest first. `case` has been fetched in the reader's scope already."""
    entries: list[Entry] = []
    units = {u.id: u.name for u in session.query(m.Unit).options(lazyload("*"))}

    def add(at, kind, title, detail="", link=""):
        at = _at(at)
        if at is not None and (kinds is None or kind in kinds):
            entries.append(Entry(at, kind, title, detail or "", link))

    add(case.application_date, "case", "申请破产", case.procedure_label)
    add(case.acceptance_date, "case", "法院裁定受理", case.procedure_label)
    add(case.closing_date, "case", "程序终结", case.stage_label)

    for r in _rows(session, select(m.CoordinationRequest).where(m.CoordinationRequest.case_id == case.id)
                   .order_by(m.CoordinationRequest.id.desc()), m.CoordinationRequest, user):
        link = f"/request/show/{r.id}"
        add(r.submitted_at, "request", f"{r.requester_label or '申请人'}提出{r.kind_label}：{r.title}", r.needs[:200], link)
        if r.decided_at and r.status != "submitted":
            add(r.decided_at, "request", f"{r.kind_label}{r.status_label}：{r.title}", r.decision_note or "", link)

    matters = _rows(session, select(m.Matter).where(m.Matter.case_id == case.id, m.Matter.status != "draft")
                    .order_by(m.Matter.id.desc()), m.Matter, user)
    for mt in matters:
        link = f"/matter/show/{mt.id}"
        add(mt.sent_at or mt.assigned_date, "matter", f"函告{units.get(mt.lead_unit_id, '')}：{mt.title}",
            f"{mt.letter_number or ''} 办理期限{mt.deadline.isoformat() if mt.deadline else '未定'}，{mt.status_label}", link)
        if mt.closed_at:
            add(mt.closed_at, "matter", f"办结：{mt.title}", mt.letter_number or "", link)
    if matters:
        parts = _rows(session, select(m.MatterAssignment).where(
            m.MatterAssignment.matter_id.in_([mt.id for mt in matters]), m.MatterAssignment.replied_at.is_not(None))
            .order_by(m.MatterAssignment.replied_at.desc()), m.MatterAssignment, user)
        titles = {mt.id: mt.title for mt in matters}
        for p in parts:
            add(p.replied_at, "reply", f"{units.get(p.unit_id, '')}函复：{titles[p.matter_id]}",
                (p.reply_result or "") + ("：" if p.reply_result else "") + (p.reply_content or "")[:200],
                f"/matter/show/{p.matter_id}")

    meeting_ids = select(m.MeetingTopic.meeting_id).where(m.MeetingTopic.case_id == case.id)
    for mt in _rows(session, select(m.Meeting).where(m.Meeting.id.in_(meeting_ids)).order_by(m.Meeting.id.desc()),
                    m.Meeting, user):
        add(mt.start_at, "meeting", f"{mt.kind_label}：{mt.title}", mt.status_label, f"/meeting/show/{mt.id}")
    decisions = _rows(session, select(m.Decision).where(m.Decision.case_id == case.id).order_by(m.Decision.id.desc()),
                      m.Decision, user)
    minutes_of = {mi.id: mi for mi in session.query(m.Minutes).options(lazyload("*")).filter(
        m.Minutes.id.in_({d.minutes_id for d in decisions}))} if decisions else {}
    for d in decisions:
        minutes = minutes_of[d.minutes_id]
        add(minutes.issued_at or minutes.created_at, "decision", f"议定事项（{minutes.number or '纪要草稿'}）",
            d.content[:200], f"/minutes/show/{d.minutes_id}")

    for a in _rows(session, select(m.Assessment).where(m.Assessment.case_id == case.id).order_by(m.Assessment.id.desc()),
                   m.Assessment, user):
        add(a.assessed_on, "assessment", f"风险评估：{a.score}分，{a.level}", a.note or "", f"/assessmentview/show/{a.id}")
    for p in _rows(session, select(m.DisposalPlan).where(m.DisposalPlan.case_id == case.id)
                   .order_by(m.DisposalPlan.id.desc()), m.DisposalPlan, user):
        add(p.approved_at or p.created_at, "plan", f"处置方案：{p.title}", p.status_label, f"/planview/show/{p.id}")

    groups = _rows(session, select(m.CoordinationGroup).where(m.CoordinationGroup.case_id == case.id)
                   .order_by(m.CoordinationGroup.id.desc()), m.CoordinationGroup, user)
    for g in groups:
        add(g.setup_date or g.created_at, "group", f"成立领导协调组：{g.name}", g.mandate or "", f"/group/show/{g.id}")
        if g.dissolved_date:
            add(g.dissolved_date, "group", f"撤销领导协调组：{g.name}", g.dissolve_reason or "", f"/group/show/{g.id}")
    if groups:
        names = {g.id: g.name for g in groups}
        for log in _rows(session, select(m.GroupLog).where(m.GroupLog.group_id.in_(list(names)))
                         .order_by(m.GroupLog.id.desc()), m.GroupLog, user):
            add(log.log_date, "group_log", f"{names[log.group_id]}工作日志", log.content[:200], f"/group/show/{log.group_id}")

    for p in _rows(session, select(m.CaseProgress).where(m.CaseProgress.case_id == case.id)
                   .order_by(m.CaseProgress.id.desc()), m.CaseProgress, user):
        who = units.get(p.unit_id, "")
        add(p.entry_date, "progress", f"案件进展{('（' + p.stage_label + '）') if p.stage else ''}",
            (f"{who}：" if who else "") + p.content[:300])

    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


__all__ = ["Entry", "case_story", "KIND_LABELS"]

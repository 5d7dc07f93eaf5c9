"""联合调研及提案机制 workflow: research projects (planned → ongoing → completed) and proposals
(drafting → submitted to a joint meeting → adopted / returned → issued into the policies library).

Like every workflow service: functions take the session and the acting user, check the rules,
change the records — and never commit (the caller commits once, so a refusal changes nothing).
Attachments of research reports and clue reports use the shared store (app/services/attachments.py).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func

from app import models as m
from app.security.permissions import can
from app.security.scope import unit_id_of
from app.services import attachments, settings
from app.services.errors import BusinessError, NotFound

EDITABLE_PROPOSAL_STATUSES = ("drafting", "returned")  # 退回修改 is drafting again, with the note kept
REVIEWABLE_MEETING_STATUSES = ("held", "minutes_issued")
SUBMITTABLE_MEETING_STATUSES = ("scheduled", "held")


def _today() -> dt.date:
    from app.services.calendar import today

    return today()


def actor_name(user) -> str:
    if user is None:
        return "系统"
    # users are created with the full name as first_name (last_name holds the role)
    return (getattr(user, "first_name", "") or "").strip() or getattr(user, "username", "") or "系统"


# --- research projects ----------------------------------------------------------------------------

def participant_unit_ids(project: m.ResearchProject) -> set[int]:
    ids = {u.id for u in project.units}
    if project.lead_unit_id:
        ids.add(project.lead_unit_id)
    return ids


def start_research(session, project: m.ResearchProject, user) -> m.ResearchProject:
    """计划中 → 进行中; the start date defaults to today."""
    if project.status != "planned":
        raise BusinessError(f"调研当前状态为“{project.status_label}”，只有计划中的调研可以启动", 409)
    project.status = "ongoing"
    if project.start_date is None:
        project.start_date = _today()
    return project


def complete_research(session, project: m.ResearchProject, user, report: str | None = None) -> m.ResearchProject:
    """进行中 → 已完成; a completed project needs its report (text here, or an attached file)."""
    if project.status != "ongoing":
        raise BusinessError(f"调研当前状态为“{project.status_label}”，只有进行中的调研可以结题", 409)
    if report and report.strip():
        project.report = report.strip()
    has_file = session.query(m.Attachment.id).filter_by(owner_type="research", owner_id=project.id).first()
    if not (project.report and project.report.strip()) and not has_file:
        raise BusinessError("结题前请填写调研报告或上传报告附件", 422)
    project.status = "completed"
    if project.end_date is None:
        project.end_date = _today()
    return project


def check_participant(project: m.ResearchProject, user) -> None:
    """Only the lead and participating units contribute; anybody else is told it does not exist."""
    unit_id = unit_id_of(user)
    if unit_id is None or unit_id not in participant_unit_ids(project):
        raise NotFound()


def contribute(session, project: m.ResearchProject, user, text: str) -> m.ResearchProject:
    """A participating unit's dated contribution, appended to the findings (earlier text is kept)."""
    check_participant(project, user)
    if project.status == "completed":
        raise BusinessError("调研已完成，不能再补充调研发现", 409)
    text = (text or "").strip()
    if not text:
        raise BusinessError("请填写补充的调研内容", 422)
    unit = session.get(m.Unit, unit_id_of(user))
    entry = f"【{_today().isoformat()} {unit.name} {actor_name(user)}】{text}"
    project.findings = f"{project.findings.rstrip()}\n{entry}" if project.findings and project.findings.strip() else entry
    return project


def check_research_editable(project: m.ResearchProject) -> None:
    if project.status == "completed":
        raise BusinessError("调研已完成，不能修改", 409)


# --- proposals -------------------------------------------------------------------------------------

def check_proposal_editable(proposal: m.Proposal) -> None:
    if proposal.status not in EDITABLE_PROPOSAL_STATUSES:
        raise BusinessError(f"提案当前状态为“{proposal.status_label}”，只有起草中或退回修改的提案可以修改", 409)


def submit_proposal(session, proposal: m.Proposal, user, meeting: m.Meeting) -> m.MeetingTopic:
    """起草中/退回修改 → 已提交联席会议: the proposal becomes a topic of a scheduled or held joint meeting."""
    if proposal.status not in EDITABLE_PROPOSAL_STATUSES:
        raise BusinessError(f"提案当前状态为“{proposal.status_label}”，只有起草中或退回修改的提案可以提交", 409)
    if not (proposal.text and proposal.text.strip()):
        raise BusinessError("提交前请填写提案正文", 422)
    if meeting is None:
        raise BusinessError("请选择提交审议的联席会议", 422)
    if meeting.kind != "joint":
        raise BusinessError("提案须提交联席会议审议，不能提交专题会议", 422)
    if meeting.status not in SUBMITTABLE_MEETING_STATUSES:
        raise BusinessError(f"会议当前状态为“{meeting.status_label}”，只能提交已安排或已召开的联席会议", 409)
    last = session.query(func.max(m.MeetingTopic.sort_order)).filter(m.MeetingTopic.meeting_id == meeting.id).scalar()
    topic = m.MeetingTopic(meeting=meeting, title=f"审议{proposal.kind_label}：{proposal.title}"[:200],
                           proposal_id=proposal.id, reporting_unit=proposal.units[0] if proposal.units else None,
                           material=proposal.text, sort_order=(last or 0) + 1)
    session.add(topic)
    proposal.meeting = meeting
    proposal.status = "submitted"
    return topic


def review_proposal(session, proposal: m.Proposal, user, outcome: str, note: str | None = None) -> m.Proposal:
    """Record the joint meeting's outcome: adopted, or returned for revision (then editable again)."""
    if proposal.status != "submitted" or proposal.meeting is None:
        raise BusinessError(f"提案当前状态为“{proposal.status_label}”，只有已提交联席会议的提案可以记录审议结果", 409)
    if proposal.meeting.status not in REVIEWABLE_MEETING_STATUSES:
        raise BusinessError("会议尚未召开，不能记录审议结果", 409)
    if outcome not in ("adopted", "returned"):
        raise BusinessError("审议结果只能是“审议通过”（adopted）或“退回修改”（returned）", 422)
    note = (note or "").strip()
    if outcome == "returned" and not note:
        raise BusinessError("退回修改须写明修改意见", 422)
    label = "审议通过" if outcome == "adopted" else "退回修改"
    meeting_label = proposal.meeting.number_label or proposal.meeting.title
    line = f"{meeting_label}{label}" + (f"：{note}" if note else "。")
    proposal.review_note = f"{proposal.review_note.rstrip()}\n{line}" if proposal.review_note else line
    proposal.status = outcome
    return proposal


def issue_proposal(session, proposal: m.Proposal, user, doc_number: str | None = None,
                   publish_date: dt.date | None = None) -> m.Policy:
    """已审议通过 → 已印发: the text enters the policies library (操作指引 as a guide, else a policy)."""
    if proposal.status != "adopted":
        raise BusinessError(f"提案当前状态为“{proposal.status_label}”，只有审议通过的提案可以印发", 409)
    policy = m.Policy(kind="guide" if proposal.kind == "guide" else "policy", title=proposal.title,
                      doc_number=(doc_number or "").strip() or None,
                      issuer=settings.get("mechanism_name"), publish_date=publish_date or _today(),
                      summary=f"{proposal.kind_label}，经联席会议审议通过后印发。", content=proposal.text,
                      proposal_id=proposal.id)
    session.add(policy)
    proposal.status = "issued"
    return policy


# --- attachments (the shared store in app/services/attachments.py) ------------------------------------

def save_attachment(session, owner_type: str, owner_id: int, upload, user, unit_id: int | None = None) -> m.Attachment:
    return attachments.save_upload(session, upload, owner_type=owner_type, owner_id=owner_id, user=user,
                                   unit_id=unit_id)


def attachments_of(session, owner_type: str, owner_id: int) -> list[m.Attachment]:
    return attachments.attachments_for(session, owner_type, owner_id)


def attachment_file(session, owner_type: str, owner_id: int, attachment_id: int):
    """(path, attachment) of a file of a record the caller already found in the user's scope."""
    attachment, path = attachments.readable_attachment(session, attachment_id)
    if attachment.owner_type != owner_type or attachment.owner_id != owner_id:
        raise NotFound()
    return path, attachment


def upload_research_file(session, project: m.ResearchProject, user, upload) -> m.Attachment:
    """Those who manage research projects, or a participating unit, attach a report or material
    (not after completion)."""
    if not can(user, "edit", "Research"):
        check_participant(project, user)
    if project.status == "completed":
        raise BusinessError("调研已完成，不能再上传附件", 409)
    return save_attachment(session, "research", project.id, upload, user, unit_id=unit_id_of(user))

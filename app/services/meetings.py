"""会议机制 workflow: meetings from proposal to issued minutes, and the follow-up of their decisions.

Plain functions used by the pages, the API and tests. Each takes the session and the acting user,
checks the rules, changes the records — and never commits: the caller commits once, so a refusal
changes nothing. Reads (upcoming meetings, follow-up rows) go through the row-level scope.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Optional

from app import models as m
from app.models.base import now
from app.models.meetings import ATTENDANCE_LABELS, MEETING_KIND_LABELS
from app.pdf import DecisionLine, FollowupData, Letterhead, MinutesData, TableData
from app.security.permissions import acts_for_own_unit_only, require
from app.security.scope import scoped
from app.services import settings
from app.services.errors import BusinessError, PermissionRefused
from app.services.identifiers import format_doc_number
from app.services.matters import create_matter, dispatch_matter
from app.services.notifications import notify_office, notify_unit
from app.services.numbering import next_sequence

OPEN_FOR_ATTENDANCE = ("scheduled", "held")
DONE_MATTER_STATUSES = ("replied", "closed", "cancelled")


def _today() -> dt.date:
    from app.services.calendar import today

    return today()


def _status_refusal(meeting: m.Meeting, allowed: str) -> BusinessError:
    return BusinessError(f"会议当前状态为“{meeting.status_label}”，{allowed}", 409)


def _text(value: Optional[str]) -> str:
    return (value or "").strip()


def _dedupe_units(units: Iterable[m.Unit]) -> list[m.Unit]:
    seen, out = set(), []
    for unit in units:
        if unit is not None and unit.id not in seen:
            seen.add(unit.id)
            out.append(unit)
    return out


# ---------------------------------------------------------------- meetings

def assign_number(session, meeting: m.Meeting) -> int:
    """第N次 within the meeting's year and kind, assigned once (a later date change keeps it)."""
    if meeting.seq is None:
        year = (meeting.start_at.date() if meeting.start_at else _today()).year
        meeting.year = year
        meeting.seq = next_sequence(session, f"meeting-{meeting.kind}", year)
    return meeting.seq


def prepare_new_meeting(session, meeting: m.Meeting, user) -> m.Meeting:
    """A meeting the office or a convener creates directly is scheduled and numbered at once."""
    require(user, "add", "Meeting", "直接安排会议（成员单位请提议召开专题会议）")
    if meeting.kind not in MEETING_KIND_LABELS:
        raise BusinessError("会议类型无效", 422)
    if not _text(meeting.title):
        raise BusinessError("请填写会议名称", 422)
    if meeting.start_at is None:
        raise BusinessError("请填写会议时间", 422)
    meeting.status = "scheduled"
    assign_number(session, meeting)
    return meeting


def create_meeting(session, user, *, title: str, start_at: dt.datetime, kind: str = "joint",
                   place: str | None = None, chair: str | None = None, convener: str | None = None,
                   units: Iterable[m.Unit] = (), reason: str | None = None) -> m.Meeting:
    meeting = m.Meeting(kind=kind, title=_text(title), start_at=start_at, place=place, chair=chair,
                        convener=convener, reason=reason)
    meeting.units = _dedupe_units(units)
    prepare_new_meeting(session, meeting, user)
    session.add(meeting)
    return meeting


def propose_meeting(session, user, *, title: str, reason: str, units: Iterable[m.Unit] = (),
                    unit: Optional[m.Unit] = None, start_at: Optional[dt.datetime] = None,
                    place: str | None = None) -> m.Meeting:
    """A member unit proposes a special meeting (专题会议) for itself; the office decides."""
    require(user, "propose", "Meeting", "提议召开专题会议")
    own_unit = getattr(user, "unit", None)
    if unit is None:
        unit = own_unit
    if unit is None:
        raise BusinessError("您的账号未关联成员单位，不能提议专题会议", 422)
    if acts_for_own_unit_only(user) and unit.id != getattr(user, "unit_id", None):
        raise PermissionRefused("只能以本单位名义提议专题会议")
    if not _text(title):
        raise BusinessError("请填写会议议题", 422)
    if not _text(reason):
        raise BusinessError("请填写提议理由", 422)
    meeting = m.Meeting(kind="special", status="proposed", title=_text(title), reason=_text(reason),
                        start_at=start_at, place=place, proposed_by_unit=unit)
    meeting.units = _dedupe_units([unit, *units])
    session.add(meeting)
    session.flush()
    notify_office(session, f"{unit.name}提议召开专题会议：{meeting.title}", f"/meeting/show/{meeting.id}",
                  permission="can_schedule", resource="Meeting")
    return meeting


def schedule_meeting(session, meeting: m.Meeting, user, *, start_at: Optional[dt.datetime] = None,
                     place: str | None = None, chair: str | None = None, convener: str | None = None) -> m.Meeting:
    """提议中 → 已安排: the office fixes time and place; the meeting gets its number."""
    require(user, "schedule", "Meeting", "安排会议")
    if meeting.status != "proposed":
        raise _status_refusal(meeting, "只有提议中的会议可以安排")
    for key, value in (("start_at", start_at), ("place", place), ("chair", chair), ("convener", convener)):
        if value not in (None, ""):
            setattr(meeting, key, value)
    if meeting.start_at is None:
        raise BusinessError("安排会议前请填写会议时间", 422)
    meeting.status = "scheduled"
    meeting.decline_reason = None
    assign_number(session, meeting)
    when = f"{meeting.start_at:%Y-%m-%d %H:%M}"
    for unit in meeting.units:
        notify_unit(session, unit.id, f"会议已安排：{meeting.number_label}《{meeting.title}》，{when}"
                    + (f"，{meeting.place}" if meeting.place else ""), f"/meeting/show/{meeting.id}")
    return meeting


def decline_meeting(session, meeting: m.Meeting, user, reason: str) -> m.Meeting:
    """提议中 → 不予召开, with the reason the proposing unit is told."""
    require(user, "decline", "Meeting", "答复会议提议")
    if meeting.status != "proposed":
        raise _status_refusal(meeting, "只有提议中的会议可以不予召开")
    if not _text(reason):
        raise BusinessError("请填写不予召开的理由", 422)
    meeting.status = "declined"
    meeting.decline_reason = _text(reason)
    if meeting.proposed_by_unit_id:
        notify_unit(session, meeting.proposed_by_unit_id, f"专题会议提议《{meeting.title}》不予召开：{_text(reason)}",
                    f"/meeting/show/{meeting.id}")
    return meeting


def cancel_meeting(session, meeting: m.Meeting, user, reason: str) -> m.Meeting:
    """已安排 → 已取消 (the number stays used: 第N次 is never reassigned)."""
    require(user, "cancel", "Meeting", "取消会议")
    if meeting.status != "scheduled":
        raise _status_refusal(meeting, "只有已安排的会议可以取消")
    if not _text(reason):
        raise BusinessError("请填写取消原因", 422)
    meeting.status = "cancelled"
    meeting.decline_reason = _text(reason)
    for unit in meeting.units:
        notify_unit(session, unit.id, f"会议已取消：《{meeting.title}》：{_text(reason)}", f"/meeting/show/{meeting.id}")
    return meeting


def hold_meeting(session, meeting: m.Meeting, user) -> m.Meeting:
    """已安排 → 已召开."""
    require(user, "hold", "Meeting", "登记会议召开")
    if meeting.status != "scheduled":
        raise _status_refusal(meeting, "只有已安排的会议可以登记为已召开")
    if meeting.start_at is not None and meeting.start_at.date() > _today():
        raise BusinessError(f"会议定于{meeting.start_at:%Y-%m-%d %H:%M}召开，尚未到会议日期，不能登记为已召开；"
                            "如会议已改期提前召开，请先修改会议时间", 409)
    meeting.status = "held"
    return meeting


def check_meeting_open(meeting: m.Meeting, what: str = "议题和签到") -> None:
    if meeting is not None and meeting.status not in OPEN_FOR_ATTENDANCE:
        raise _status_refusal(meeting, f"{what}不能修改")


# ---------------------------------------------------------------- attendance (签到)

def attendance_sheet(session, meeting: m.Meeting) -> list[dict]:
    """One row per member unit (and per unit already signed in): the sign-in sheet."""
    members = (session.query(m.Unit).filter(m.Unit.kind == "member", m.Unit.active.is_(True))
               .order_by(m.Unit.sort_order, m.Unit.id).all())
    by_unit: dict[int, m.Attendance] = {}
    for a in meeting.attendances:
        if a.unit_id is not None and a.unit_id not in by_unit:
            by_unit[a.unit_id] = a
    units = _dedupe_units(members + [a.unit for a in meeting.attendances if a.unit is not None])
    concerned = {u.id for u in meeting.units}
    rows = []
    for unit in units:
        a = by_unit.get(unit.id)
        rows.append({"unit": unit, "attendance": a, "status": a.status if a else "",
                     "person_name": (a.person_name if a else "") or "", "person_title": (a.person_title if a else "") or "",
                     "note": (a.note if a else "") or "", "concerned": unit.id in concerned})
    return rows


def record_attendance(session, meeting: m.Meeting, user, rows: Iterable[dict]) -> int:
    """Save the sign-in sheet: per unit a status (出席/请假/列席/缺席, or "" = not recorded), person,
    title and note. Edits the unit's first attendance row; further persons stay as they are."""
    require(user, "signin", "Meeting", "登记签到")
    check_meeting_open(meeting, "签到")
    existing: dict[int, m.Attendance] = {}
    for a in meeting.attendances:
        if a.unit_id is not None and a.unit_id not in existing:
            existing[a.unit_id] = a
    changed = 0
    for row in rows:
        try:
            unit_id = int(row.get("unit_id"))
        except (TypeError, ValueError):
            raise BusinessError("签到表中的单位无效", 422)
        unit = session.get(m.Unit, unit_id)
        if unit is None:
            raise BusinessError("签到表中的单位无效", 422)
        status = _text(row.get("status"))
        if status and status not in ATTENDANCE_LABELS:
            raise BusinessError(f"出席情况取值无效：{status}；可选：{'、'.join(ATTENDANCE_LABELS.values())}", 422)
        a = existing.get(unit_id)
        fields = {k: (_text(row.get(k)) or None) for k in ("person_name", "person_title", "note")}
        for key, limit in (("person_name", 50), ("person_title", 100), ("note", 200)):
            if fields[key] and len(fields[key]) > limit:
                raise BusinessError(f"{unit.name}的填写内容过长（不超过{limit}个字符）", 422)
        if not status:
            if a is not None:
                meeting.attendances.remove(a)
                changed += 1
            continue
        if a is None:
            a = m.Attendance(meeting=meeting, unit=unit)
            meeting.attendances.append(a)
        if (a.status, a.person_name, a.person_title, a.note) != (status, fields["person_name"], fields["person_title"], fields["note"]) or a.id is None:
            a.status = status
            a.person_name, a.person_title, a.note = fields["person_name"], fields["person_title"], fields["note"]
            if status in ("present", "nonvoting") and a.signed_in_at is None:
                a.signed_in_at = now()
            changed += 1
    return changed


def _person_line(a: m.Attendance) -> str:
    org = a.unit.name if a.unit is not None else _text(a.organisation)
    name, title = _text(a.person_name), _text(a.person_title)
    if name:
        detail = f"{org}{title}" if org or title else ""
        line = f"{name}（{detail}）" if detail else name
    else:
        line = org + (title and f"（{title}）")
    note = _text(a.note)
    return f"{line}（{note}）" if note and a.status == "leave" else line


def attendance_lines(meeting: m.Meeting) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {key: [] for key in ATTENDANCE_LABELS}
    for a in meeting.attendances:
        line = _person_line(a)
        if line:
            out.setdefault(a.status, []).append(line)
    return out


# ---------------------------------------------------------------- minutes (纪要)

def check_new_minutes(session, meeting: m.Meeting, minutes: Optional[m.Minutes] = None) -> None:
    """A meeting gets one draft at a time; after issue, changes go through an amendment."""
    if meeting is None:
        raise BusinessError("请选择会议", 422)
    if meeting.status not in ("scheduled", "held"):
        raise _status_refusal(meeting, "不能起草纪要（已印发的纪要请制发修正纪要）")
    others = [x for x in meeting.minutes if x is not minutes and x.id is not None and x.status in ("draft", "issued")]
    if others:
        raise BusinessError("该会议已有纪要，请在原纪要上编辑；已印发的请制发修正纪要", 409)


def draft_minutes(session, meeting: m.Meeting, user, *, title: str | None = None, body: str = "",
                  cc_text: str | None = None) -> m.Minutes:
    require(user, "add", "Minutes", "起草纪要")
    check_new_minutes(session, meeting)
    minutes = m.Minutes(meeting=meeting, title=_text(title) or f"{meeting.title}纪要", body=body or "",
                        cc_text=cc_text, status="draft")
    session.add(minutes)
    return minutes


def check_minutes_editable(minutes: Optional[m.Minutes], what: str = "修改") -> None:
    if minutes is not None and minutes.status != "draft":
        if what == "修改":
            raise BusinessError("纪要已印发，不能修改；如需更正请制发修正纪要", 409)
        raise BusinessError(f"纪要已印发，议定事项不能{what}", 409)


def distribution_units(session, minutes: m.Minutes) -> list[m.Unit]:
    """主送: the units concerned, those present or attending, the units of the decisions, and for an
    amendment everyone who received the amended minutes. The office itself is the issuer."""
    meeting = minutes.meeting
    units: list[m.Unit] = list(meeting.units)
    units += [a.unit for a in meeting.attendances if a.unit is not None and a.status in ("present", "nonvoting", "leave")]
    for d in minutes.decisions:
        units.append(d.lead_unit)
        units += list(d.co_units)
    if minutes.amends is not None:
        units += [x.unit for x in minutes.amends.distributions if x.kind == "main"]
    units = [u for u in _dedupe_units(units) if u.kind != "office"]
    return sorted(units, key=lambda u: (u.sort_order, u.id))


def _plan_decisions(minutes: m.Minutes) -> list[tuple[m.Decision, Optional[m.Decision]]]:
    """Each decision with the amended minutes' identical decision whose matter it keeps (or None),
    checked before anything changes: every decision that becomes a new matter needs a deadline."""
    seqs = [d.seq for d in minutes.decisions]
    if len(seqs) != len(set(seqs)):
        raise BusinessError("议定事项序号重复，请调整后再印发", 422)
    previous = list(minutes.amends.decisions) if minutes.amends is not None else []
    plan = []
    for d in sorted(minutes.decisions, key=lambda x: x.seq):
        if not _text(d.content):
            raise BusinessError(f"第{d.seq}项议定事项内容为空", 422)
        if d.lead_unit is None:
            raise BusinessError(f"第{d.seq}项议定事项未确定牵头单位", 422)
        carried = next((p for p in previous if _same_decision(p, d) and p.matters), None)
        if carried is not None:
            previous.remove(carried)
        elif d.deadline is None:
            raise BusinessError(f"第{d.seq}项议定事项未设定办理期限，印发前请补充（印发后将函告牵头单位督办）", 422)
        elif d.deadline < _today():
            raise BusinessError(f"第{d.seq}项议定事项的办理期限早于今天，请调整", 422)
        plan.append((d, carried))
    return plan


def _same_decision(a: m.Decision, b: m.Decision) -> bool:
    return (_text(a.content), a.lead_unit_id, a.deadline, a.case_id, sorted(u.id for u in a.co_units)) == (
        _text(b.content), b.lead_unit_id, b.deadline, b.case_id, sorted(u.id for u in b.co_units))


def matter_title(minutes: m.Minutes, d: m.Decision) -> str:
    content = _text(d.content).replace("\n", "")
    short = content if len(content) <= 60 else content[:59] + "…"
    return f"{minutes.number}议定事项（{d.seq}）：{short}"[:200]


def issue_minutes(session, minutes: m.Minutes, user, on: Optional[dt.date] = None) -> m.Minutes:
    """草稿 → 已印发: number, lock, distribute, and one supervised matter per decision (sent by letter).

    An amendment's decision identical to one of the amended minutes keeps that decision's matter
    (re-linked to the new decision), so a re-issue never duplicates supervision."""
    require(user, "issue", "Minutes", "印发纪要")
    if minutes.status == "issued":
        raise BusinessError(f"纪要已于{minutes.issued_at:%Y-%m-%d}印发（{minutes.number}），不能重复印发", 409)
    if minutes.status != "draft":
        raise BusinessError(f"纪要当前状态为“{minutes.status_label}”，不能印发", 409)
    meeting = minutes.meeting
    if meeting.status not in ("scheduled", "held", "minutes_issued"):
        raise _status_refusal(meeting, "不能印发纪要")
    if minutes.amends is not None and minutes.amends.status != "issued":
        raise BusinessError("被修正的纪要已被其他修正纪要替代，不能印发本修正稿", 409)
    if not _text(minutes.title):
        raise BusinessError("请填写纪要标题", 422)
    if not _text(minutes.body) and not minutes.decisions:
        raise BusinessError("纪要正文和议定事项均为空，不能印发", 422)
    on = on or minutes.document_date or _today()
    plan = _plan_decisions(minutes)

    year = on.year
    seq = next_sequence(session, "minutes", year)
    number = format_doc_number(settings.get("org_short_name"), settings.get("minutes_prefix"), year, seq)
    if session.query(m.Minutes.id).filter(m.Minutes.number == number).first() is not None:
        raise BusinessError(f"文号{number}已被使用，请检查文号计数后重试", 409)
    minutes.number, minutes.year, minutes.seq = number, year, seq
    minutes.document_date = on
    minutes.status = "issued"
    minutes.issued_at = now()
    minutes.issued_by_id = getattr(user, "id", None)

    minutes.distributions = [m.MinutesDistribution(unit=u, kind="main") for u in distribution_units(session, minutes)]

    for d, carried in plan:
        if carried is not None:
            for matter in list(carried.matters):
                matter.decision = d
            continue
        matter = create_matter(session, user, title=matter_title(minutes, d), lead_unit=d.lead_unit,
                               co_units=list(d.co_units), content=_text(d.content), deadline=d.deadline,
                               case=d.case, source="meeting", decision=d)
        dispatch_matter(session, matter, user, note=f"会议纪要{number}议定事项（{d.seq}）")

    if minutes.amends is not None:
        minutes.amends.status = "superseded"
    meeting.status = "minutes_issued"
    session.flush()
    for dist in minutes.distributions:
        notify_unit(session, dist.unit_id, f"会议纪要已印发：{number}《{minutes.title}》", f"/minutes/show/{minutes.id}")
    return minutes


def amend_minutes(session, minutes: m.Minutes, user) -> m.Minutes:
    """A new draft naming the issued minutes it amends, with their text and decisions to edit."""
    require(user, "amend", "Minutes", "制发修正纪要")
    if minutes.status == "draft":
        raise BusinessError("纪要尚未印发，可直接修改，无需制发修正纪要", 409)
    if minutes.status != "issued":
        raise BusinessError("该纪要已被修正，请在最新的纪要上制发修正", 409)
    pending = session.query(m.Minutes.id).filter(m.Minutes.amends_id == minutes.id, m.Minutes.status == "draft").first()
    if pending is not None:
        raise BusinessError("该纪要已有未印发的修正稿，请在修正稿上编辑", 409)
    with session.no_autoflush:
        copies = [m.Decision(seq=d.seq, content=d.content, lead_unit=d.lead_unit, co_units=list(d.co_units),
                             deadline=d.deadline, case=d.case) for d in minutes.decisions]
        amendment = m.Minutes(meeting=minutes.meeting, title=minutes.title, body=minutes.body,
                              cc_text=minutes.cc_text, amends=minutes, status="draft", decisions=copies)
        session.add(amendment)
    return amendment


def visible_minutes(session, meeting: m.Meeting, user) -> list[m.Minutes]:
    """The meeting's minutes (drafts and issued) that `user` may see: a unit learns neither the
    number of minutes not distributed to it nor that a draft exists (issue 11)."""
    query = session.query(m.Minutes).filter(m.Minutes.meeting_id == meeting.id,
                                            m.Minutes.status.in_(("draft", "issued")))
    return scoped(query, m.Minutes, user).order_by(m.Minutes.id).all()


def current_minutes(meeting: m.Meeting, user=None, session=None) -> Optional[m.Minutes]:
    """The minutes in force: the issued version (superseded ones and drafts are history/work) —
    for `user`, only if distributed to them."""
    issued = [x for x in meeting.minutes if x.status == "issued"]
    if user is not None and issued:
        from app.extensions import db

        visible = {x.id for x in visible_minutes(session or db.session, meeting, user)}
        issued = [x for x in issued if x.id in visible]
    return issued[-1] if issued else None


# ---------------------------------------------------------------- PDFs

def letterhead() -> Letterhead:
    org = settings.get("org_name") or "平陆县"
    return Letterhead(org_name=org, issuer=settings.get("office_name"),
                      meeting_mark=f"{org}企业破产处置府院联动联席会议纪要",
                      special_meeting_mark=f"{org}企业破产处置府院联动专题会议纪要",
                      bulletin_mark=f"{org}企业破产处置府院联动工作通报")


def minutes_data(session, minutes: m.Minutes) -> MinutesData:
    meeting = minutes.meeting
    lines = {key: ["、".join(items)] if items else [] for key, items in attendance_lines(meeting).items()}
    present = ([_text(meeting.chair) + "（主持）"] if _text(meeting.chair) else []) + lines["present"]
    if minutes.status == "draft":
        recipients = distribution_units(session, minutes)
    else:
        recipients = [x.unit for x in minutes.distributions if x.kind == "main"]
        recipients.sort(key=lambda u: (u.sort_order, u.id))
    decisions = [DecisionLine(d.seq, d.content, d.lead_unit.name if d.lead_unit else "", [u.name for u in d.co_units],
                              d.deadline) for d in minutes.decisions]
    return MinutesData(
        head=letterhead(), kind=meeting.kind, number=minutes.number or "",
        issue_label=f"第{minutes.seq}期" if minutes.seq else "（草稿）",
        title=minutes.title, date=minutes.document_date or (minutes.issued_at.date() if minutes.issued_at else _today()),
        body=minutes.body or "", decisions=decisions, present=present, on_leave=lines["leave"],
        nonvoting=lines["nonvoting"], main_recipients="，".join(u.name for u in recipients),
        cc_recipients=_text(minutes.cc_text), amends=minutes.amends.number if minutes.amends is not None else "")


def _pdf_font() -> Optional[str]:
    from flask import current_app

    return current_app.config.get("PDF_FONT")


def minutes_pdf(session, minutes: m.Minutes) -> bytes:
    from app.pdf import build_minutes

    return build_minutes(minutes_data(session, minutes), pdf_font=_pdf_font())


FOLLOWUP_HEADERS = ["序号", "议定事项", "牵头单位", "期限", "状态", "函复情况", "预警"]


def followup_rows(session, meeting: m.Meeting, user, on: Optional[dt.date] = None) -> list[dict]:
    """Each decision of the minutes in force with its matter's status, deadline, reply and alert.

    Decisions and matters are read through the user's scope: a unit sees the decisions of minutes
    distributed to it, and the handling details only of matters assigned to it."""
    from app.services.calendar import ALERT_LABELS, alert_for

    minutes = current_minutes(meeting, user, session)
    if minutes is None:
        return []
    decisions = (scoped(session.query(m.Decision).filter(m.Decision.minutes_id == minutes.id), m.Decision, user)
                 .order_by(m.Decision.seq).all())
    matter_ids = {d.id: [x.id for x in d.matters] for d in decisions}
    visible = set()
    all_ids = [i for ids in matter_ids.values() for i in ids]
    if all_ids:
        visible = {i for (i,) in scoped(session.query(m.Matter.id).filter(m.Matter.id.in_(all_ids)), m.Matter, user)}
    rows = []
    for d in decisions:
        matters = [x for x in d.matters if x.id in visible]
        matter = max(matters, key=lambda x: x.id) if matters else None
        units = d.lead_unit.name if d.lead_unit else ""
        if d.co_units:
            units += "（配合：" + "、".join(u.name for u in d.co_units) + "）"
        if matter is None:
            rows.append({"seq": d.seq, "decision": d, "matter": None, "content": d.content, "units": units,
                         "deadline": d.deadline, "status": "非本单位承办" if d.matters else "未交办", "reply": "", "alert": "none",
                         "alert_label": ""})
            continue
        done = matter.status in DONE_MATTER_STATUSES
        alert = alert_for(matter.deadline, done, on) if matter.deadline else "none"
        replies = []
        for part in matter.assignments:
            if part.replied_at:
                text = f"{part.unit.name}{part.replied_at:%m-%d}函复"
                if _text(part.reply_result):
                    text += "：" + _text(part.reply_result)
                replies.append(text)
        rows.append({"seq": d.seq, "decision": d, "matter": matter, "content": d.content, "units": units,
                     "deadline": matter.deadline, "status": matter.status_label, "reply": "；".join(replies) or "未函复",
                     "alert": alert, "alert_label": ALERT_LABELS.get(alert, "")})
    return rows


def followup_summary(meeting: m.Meeting, rows: list[dict]) -> str:
    if not rows:
        return "该会议尚无已印发的纪要或议定事项。"
    closed = sum(1 for r in rows if r["matter"] is not None and r["matter"].status == "closed")
    replied = sum(1 for r in rows if r["matter"] is not None and r["matter"].status == "replied")
    overdue = sum(1 for r in rows if r["alert"] in ("overdue", "escalated"))
    open_ = sum(1 for r in rows if r["matter"] is not None and r["matter"].status not in DONE_MATTER_STATUSES)
    hidden = sum(1 for r in rows if r["matter"] is None and r["decision"].matters)
    label = meeting.number_label or meeting.title
    text = (f"{label}议定事项{len(rows)}项，已办结{closed}项，已函复待办结{replied}项，"
            f"正在办理{open_}项，其中逾期{overdue}项。")
    if hidden:
        text = (f"{label}议定事项{len(rows)}项，其中本单位承办{len(rows) - hidden}项：已办结{closed}项，"
                f"已函复待办结{replied}项，正在办理{open_}项，其中逾期{overdue}项。")
    return text


def followup_pdf(session, meeting: m.Meeting, user, on: Optional[dt.date] = None) -> bytes:
    from app.pdf import build_followup

    rows = followup_rows(session, meeting, user, on)
    minutes = current_minutes(meeting, user, session)
    table = TableData(FOLLOWUP_HEADERS, [[f"（{r['seq']}）", r["content"], r["units"],
                                          f"{r['deadline']:%Y-%m-%d}" if r["deadline"] else "", r["status"],
                                          r["reply"], r["alert_label"]] for r in rows])
    title = f"{meeting.number_label or meeting.title}议定事项督促落实情况"
    label = minutes.number if minutes is not None and minutes.number else ""
    data = FollowupData(head=letterhead(), title=title, meeting_label=label, date=on or _today(), table=table,
                        summary=followup_summary(meeting, rows))
    return build_followup(data, pdf_font=_pdf_font())


# ---------------------------------------------------------------- calendar

def upcoming_meetings(session, user, limit: int = 10, on: Optional[dt.date] = None) -> list[m.Meeting]:
    """Scheduled meetings from today on, soonest first, within the user's scope."""
    start = dt.datetime.combine(on or _today(), dt.time.min)
    query = (session.query(m.Meeting).filter(m.Meeting.status == "scheduled", m.Meeting.start_at >= start)
             .order_by(m.Meeting.start_at, m.Meeting.id))
    return scoped(query, m.Meeting, user).limit(limit).all()


def pending_proposals(session, user, limit: int = 50) -> list[m.Meeting]:
    query = session.query(m.Meeting).filter(m.Meeting.status == "proposed").order_by(m.Meeting.created_at, m.Meeting.id)
    return scoped(query, m.Meeting, user).limit(limit).all()


def recent_meetings(session, user, limit: int = 10, on: Optional[dt.date] = None) -> list[m.Meeting]:
    start = dt.datetime.combine(on or _today(), dt.time.min)
    query = (session.query(m.Meeting).filter(m.Meeting.status.in_(("scheduled", "held", "minutes_issued")),
                                             m.Meeting.start_at < start)
             .order_by(m.Meeting.start_at.desc(), m.Meeting.id.desc()))
    return scoped(query, m.Meeting, user).limit(limit).all()



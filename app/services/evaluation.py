"""评价通报: the annual evaluation of member units (section 五(三) of the founding document).

`compute_evaluation` derives every metric from the records of the year and stores, per unit, the
value together with a sentence saying how it was derived (and which records it counted), so the
office, the convener and the units can check each number. Grades and comments are the office's;
a convener approves and issues, which numbers the bulletin and freezes everything.

Definitions (year Y, computation day D = today):
- matters of the year: matters sent (函告时间) in Y, not cancelled; per unit its part (lead / co);
- replied on time: the unit's reply date ≤ the matter's deadline (the deadline day itself is on
  time; an approved extension has already moved the deadline);
- replied late: reply date > deadline;
- still overdue: no reply from the unit, matter still open, deadline < D;
- average days to reply: calendar days from the sending date to the reply date, mean, 1 decimal;
- reminders / extension requests: rows for the unit created in Y;
- meetings: attendance rows of the unit at meetings held in Y (not cancelled/declined), one status
  per meeting (present or nonvoting = attended, else leave, else absent);
- proposals: proposals created in Y with the unit among the drafting units;
- research: projects started in Y (created in Y when no start date) led by or joined by the unit.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, extract, or_
from sqlalchemy.orm import contains_eager

from app import models as m
from app.models.base import now
from app.models.evaluation import GRADE_CHOICES
from app.models.supervision import OPEN_MATTER_STATUSES
from app.services import settings
from app.services.errors import BusinessError
from app.services.identifiers import format_doc_number
from app.services.numbering import next_sequence
from app.services import notifications

METRICS = [  # key, label, short column title for the PDF
    ("lead", "牵头办理事项", "牵头"),
    ("co", "配合办理事项", "配合"),
    ("on_time", "按期函复", "按期"),
    ("late", "逾期函复", "逾期复"),
    ("overdue", "尚未函复且已逾期", "仍逾期"),
    ("avg_days", "平均函复用时（日）", "平均用时"),
    ("reminders", "被催办次数", "催办"),
    ("extensions", "申请延期次数", "延期"),
    ("attended", "出席（含列席）会议", "出席"),
    ("leave", "请假会议", "请假"),
    ("absent", "缺席会议", "缺席"),
    ("proposals", "参与起草提案", "提案"),
    ("research", "参与联合调研", "调研"),
]
METRIC_LABELS = {key: label for key, label, _ in METRICS}
LIST_LIMIT = 8


def _today() -> dt.date:
    from app.services.calendar import today

    return today()


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)


def _items(model: str, pairs) -> list[dict]:
    """The records a figure was counted from, shown to each reader only as far as their scope
    reaches (see `entry_metrics`): other units' matters never appear by number or title."""
    return [{"model": model, "id": record.id, "text": text} for record, text in pairs]


def _matter_name(matter: m.Matter) -> str:
    return f"{matter.letter_number or '未编号'}《{matter.title}》"


def _matters(parts, detail=lambda p: "") -> list[dict]:
    return _items("matter", [(p.matter, _matter_name(p.matter) + detail(p)) for p in parts])


def round1(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def compute_unit_metrics(session, year: int, units: list[m.Unit], on: dt.date | None = None) -> dict[int, dict]:
    """{unit_id: {metric key: {"label", "value", "derivation"}}} for the year, as of day `on`."""
    on = on or _today()
    start, end = _year_bounds(year)
    ids = [u.id for u in units]
    parts = (session.query(m.MatterAssignment).join(m.Matter, m.Matter.id == m.MatterAssignment.matter_id)
             .options(contains_eager(m.MatterAssignment.matter))
             .filter(m.MatterAssignment.unit_id.in_(ids), m.Matter.sent_at >= start, m.Matter.sent_at < end,
                     m.Matter.status.notin_(("draft", "cancelled")))
             .order_by(m.Matter.sent_at, m.Matter.id).all())
    by_unit: dict[int, list[m.MatterAssignment]] = defaultdict(list)
    for part in parts:
        by_unit[part.unit_id].append(part)

    def rows_in_year(model, column):
        return session.query(model).filter(model.unit_id.in_(ids), column >= start, column < end).all()

    reminders = defaultdict(list)
    for row in rows_in_year(m.Reminder, m.Reminder.created_at):
        reminders[row.unit_id].append(row)
    extensions = defaultdict(list)
    for row in rows_in_year(m.ExtensionRequest, m.ExtensionRequest.requested_at):
        extensions[row.unit_id].append(row)

    attendance: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    meetings: dict[int, m.Meeting] = {}
    rows = (session.query(m.Attendance).join(m.Meeting, m.Meeting.id == m.Attendance.meeting_id)
            .filter(m.Attendance.unit_id.in_(ids), m.Meeting.start_at >= start, m.Meeting.start_at < end,
                    m.Meeting.status.notin_(("cancelled", "declined", "proposed"))).all())
    for row in rows:
        attendance[row.unit_id][row.meeting_id].add(row.status)
        meetings[row.meeting_id] = row.meeting

    proposals = defaultdict(list)
    for proposal in (session.query(m.Proposal).filter(m.Proposal.created_at >= start, m.Proposal.created_at < end)
                     .order_by(m.Proposal.id)):
        for unit in proposal.units:
            proposals[unit.id].append(proposal)
    research = defaultdict(list)
    in_year = or_(and_(m.ResearchProject.start_date.is_not(None), extract("year", m.ResearchProject.start_date) == year),
                  and_(m.ResearchProject.start_date.is_(None), m.ResearchProject.created_at >= start,
                       m.ResearchProject.created_at < end))
    for project in session.query(m.ResearchProject).filter(in_year).order_by(m.ResearchProject.id):
        for unit_id in {project.lead_unit_id, *(u.id for u in project.units)}:
            research[unit_id].append(project)

    out = {}
    scope = f"{year}年函告（未撤销）的事项中"
    for unit in units:
        mine = by_unit.get(unit.id, [])
        lead = [p for p in mine if p.role == "lead"]
        co = [p for p in mine if p.role == "co"]
        replied = [p for p in mine if p.replied_at is not None]
        on_time = [p for p in replied if p.matter.deadline is None or p.replied_at.date() <= p.matter.deadline]
        late = [p for p in replied if p not in on_time]
        overdue = [p for p in mine if p.replied_at is None and p.matter.status in OPEN_MATTER_STATUSES
                   and p.matter.deadline is not None and p.matter.deadline < on]
        days = [(p.replied_at.date() - p.matter.sent_at.date()).days for p in replied]
        avg = round1(Decimal(sum(days)) / Decimal(len(days))) if days else None
        best = {}
        for meeting_id, statuses in attendance.get(unit.id, {}).items():
            if statuses & {"present", "nonvoting"}:
                best[meeting_id] = "attended"
            elif "leave" in statuses:
                best[meeting_id] = "leave"
            elif "absent" in statuses:
                best[meeting_id] = "absent"

        def meetings_of(kind):
            return _items("meeting", [(meetings[mid], meetings[mid].number_label or meetings[mid].title)
                                      for mid, s in best.items() if s == kind])

        late_detail = lambda p: f"（期限{p.matter.deadline.isoformat()}，{p.replied_at.date().isoformat()}函复）"  # noqa: E731
        unit_reminders, unit_extensions = reminders.get(unit.id, []), extensions.get(unit.id, [])
        attended, leave, absent = meetings_of("attended"), meetings_of("leave"), meetings_of("absent")
        unit_proposals = _items("proposal", [(p, f"《{p.title}》") for p in proposals.get(unit.id, [])])
        unit_research = _items("research", [(r, f"《{r.topic}》") for r in research.get(unit.id, [])])
        metrics = {
            "lead": (len(lead), f"{scope}本单位为牵头单位的{len(lead)}项", _matters(lead)),
            "co": (len(co), f"{scope}本单位为配合单位的{len(co)}项", _matters(co)),
            "on_time": (len(on_time), f"上述事项中本单位函复日期不晚于办理期限（期限当日函复计为按期，已批准延期的按延期后期限）的"
                                      f"{len(on_time)}项", _matters(on_time)),
            "late": (len(late), f"上述事项中本单位函复日期晚于办理期限的{len(late)}项", _matters(late, late_detail)),
            "overdue": (len(overdue), f"截至{on.isoformat()}，上述事项中本单位尚未函复、事项仍在办理且已过办理期限的"
                                      f"{len(overdue)}项", _matters(overdue, lambda p: f"（期限{p.matter.deadline.isoformat()}）")),
            "avg_days": (avg, (f"本单位已函复的{len(days)}项，自函告日至函复日的自然日数（"
                               f"{'+'.join(str(d) for d in days)}）÷{len(days)}，保留一位小数") if days
                         else "本年度无函复记录，不计算", []),
            "reminders": (len(unit_reminders), f"{year}年对本单位的催办记录（含办公室催办和系统自动催办）"
                                               f"{len(unit_reminders)}次", []),
            "extensions": (len(unit_extensions), f"{year}年本单位提出的延期申请{len(unit_extensions)}次"
                           f"（同意{sum(1 for e in unit_extensions if e.status == 'approved')}次）", []),
            "attended": (len(attended), f"{year}年召开的会议中本单位出席或列席的{len(attended)}次", attended),
            "leave": (len(leave), f"{year}年召开的会议中本单位请假的{len(leave)}次", leave),
            "absent": (len(absent), f"{year}年召开的会议中本单位缺席的{len(absent)}次", absent),
            "proposals": (len(unit_proposals), f"{year}年起草的提案中本单位为起草单位的{len(unit_proposals)}件",
                          unit_proposals),
            "research": (len(unit_research), f"{year}年开展的联合调研中本单位牵头或参与的{len(unit_research)}项",
                         unit_research),
        }
        out[unit.id] = {key: {"label": METRIC_LABELS[key], "value": value, "derivation": derivation, "items": items}
                        for key, (value, derivation, items) in metrics.items()}
    return out


def evaluated_units(session) -> list[m.Unit]:
    return (session.query(m.Unit).filter(m.Unit.kind == "member", m.Unit.active.is_(True))
            .order_by(m.Unit.sort_order, m.Unit.id).all())


def default_title(year: int) -> str:
    return f"关于{year}年度{settings.get('mechanism_name')}成员单位工作评价情况的通报"


def default_intro(year: int) -> str:
    return (f"根据《{settings.get('mechanism_name')}》关于评价通报的要求，联动办公室依据{year}年度协调事项办理、"
            f"会议出席、联合调研及提案等工作记录，对各成员单位履职情况进行了评价，现将结果通报如下。")


def compute_evaluation(session, user, year: int) -> m.Evaluation:
    """Create the year's evaluation, or recompute its metrics (grades and comments are kept).

    Refused once issued; recomputing an approved evaluation sends it back to draft, since the
    convener approved other numbers.
    """
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise BusinessError("请填写评价年度（四位数字）", 422)
    if not 2000 <= year <= _today().year:
        raise BusinessError(f"评价年度应在2000年至{_today().year}年之间", 422)
    evaluation = session.query(m.Evaluation).filter(m.Evaluation.year == year).first()
    if evaluation is None:
        evaluation = m.Evaluation(year=year, title=default_title(year), intro=default_intro(year), status="draft")
        session.add(evaluation)
    elif evaluation.status == "issued":
        raise BusinessError(f"{year}年度评价通报已印发，指标已冻结，不能重新计算", 409)
    units = evaluated_units(session)
    metrics = compute_unit_metrics(session, year, units)
    entries = {entry.unit_id: entry for entry in evaluation.entries}
    for unit in units:
        entry = entries.get(unit.id)
        if entry is None:
            entry = m.EvaluationEntry(unit=unit)
            evaluation.entries.append(entry)
        entry.metrics = json.dumps(metrics[unit.id], ensure_ascii=False)
    if evaluation.status == "approved":
        evaluation.status = "draft"
        evaluation.approved_at = None
        evaluation.approved_by_id = None
    evaluation.computed_at = now()
    session.flush()
    return evaluation


def check_editable(evaluation: m.Evaluation) -> None:
    if evaluation.status == "issued":
        raise BusinessError("评价通报已印发，指标和评价已冻结，不能修改", 409)


def grade_entry(session, entry: m.EvaluationEntry, user, grade: str | None, comment: str | None) -> m.EvaluationEntry:
    check_editable(entry.evaluation)
    check_grade(grade)
    entry.grade = grade or None
    entry.comment = (comment or "").strip() or None
    if entry.evaluation.status == "approved":  # what the convener approved has changed
        entry.evaluation.status = "draft"
        entry.evaluation.approved_at = None
        entry.evaluation.approved_by_id = None
    return entry


def check_grade(grade: str | None) -> None:
    if grade not in (None, "") and grade not in GRADE_CHOICES:
        raise BusinessError(f"评价等次只能是：{'、'.join(GRADE_CHOICES)}", 422)


def approve_evaluation(session, evaluation: m.Evaluation, user) -> m.Evaluation:
    """草稿 → 已审定 (召集人): every unit graded first."""
    if evaluation.status != "draft":
        raise BusinessError(f"评价通报当前状态为“{evaluation.status_label}”，只有草稿可以审定", 409)
    if not evaluation.entries or evaluation.computed_at is None:
        raise BusinessError("请先计算各单位指标", 422)
    missing = [e.unit.name for e in evaluation.entries if not e.grade]
    if missing:
        raise BusinessError(f"以下单位尚未评定等次：{'、'.join(missing[:5])}" + ("等" if len(missing) > 5 else ""), 422)
    evaluation.status = "approved"
    evaluation.approved_at = now()
    evaluation.approved_by_id = getattr(user, "id", None)
    return evaluation


def issue_evaluation(session, evaluation: m.Evaluation, user) -> m.Evaluation:
    """已审定 → 已印发 (召集人): numbered with the evaluation prefix; metrics and grades frozen."""
    if evaluation.status != "approved":
        raise BusinessError(f"评价通报当前状态为“{evaluation.status_label}”，须经召集人审定后才能印发", 409)
    today = _today()
    seq = next_sequence(session, "evaluation", today.year)
    evaluation.number = format_doc_number(settings.get("org_short_name"), settings.get("evaluation_prefix"),
                                          today.year, seq)
    evaluation.status = "issued"
    evaluation.issued_at = now()
    evaluation.document_date = today
    for entry in evaluation.entries:
        notifications.notify_unit(session, entry.unit_id, f"{evaluation.number}《{evaluation.title}》已印发",
                    f"/evaluation/show/{evaluation.id}")
    return evaluation


ITEM_MODELS = {"matter": m.Matter, "meeting": m.Meeting, "proposal": m.Proposal, "research": m.ResearchProject}


def stored_metrics(entry: m.EvaluationEntry) -> dict:
    """The figures as computed and frozen, with every record they were counted from."""
    try:
        data = json.loads(entry.metrics or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        return {}
    # only the computed shape {key: {label, value, derivation}}; a database seeded by an older demo
    # holds bare numbers, which read as not computed (shown as —) instead of failing the page or PDF
    return {key: item for key, item in data.items() if isinstance(item, dict)}


def entry_metrics(entry: m.EvaluationEntry, user=None) -> dict:
    """The figures as `user` may read them: the derivation names only records in the user's scope;
    the others are counted ("另有N项无权查看"). An evaluation is read by every unit once issued, so
    another unit's letters and titles must not travel in its text (issue 11)."""
    from app.extensions import db
    from app.security.permissions import sees_all_units
    from app.security.scope import current_user, scoped

    user = user if user is not None else current_user()
    data = stored_metrics(entry)
    wanted: dict[str, set[int]] = {}
    for metric in data.values():
        for item in (metric.get("items") or []) if isinstance(metric, dict) else []:
            wanted.setdefault(item.get("model"), set()).add(item.get("id"))
    visible = {kind: {pk for (pk,) in scoped(db.session.query(ITEM_MODELS[kind].id)
                                             .filter(ITEM_MODELS[kind].id.in_(ids)), ITEM_MODELS[kind], user)}
               for kind, ids in wanted.items() if kind in ITEM_MODELS}
    out = {}
    for key, metric in data.items():
        if not isinstance(metric, dict):
            continue
        metric = dict(metric)
        items = metric.pop("items", None)
        if items is None and not sees_all_units(user):
            # computed before derivations named records per reader: only the figure is shown
            metric["derivation"] = "（明细仅联动办公室可见）"
        elif items:
            shown = [i["text"] for i in items if i.get("id") in visible.get(i.get("model"), set())]
            hidden = len(items) - len(shown)
            text = "、".join(shown[:LIST_LIMIT]) + (f"等{len(shown)}项" if len(shown) > LIST_LIMIT else "")
            if hidden:
                text += ("；" if text else "") + f"另有{hidden}项您无权查看"
            metric["derivation"] = f"{metric.get('derivation', '')}：{text}"
        out[key] = metric
    return out


def metric_value(entry: m.EvaluationEntry, key: str):
    return (stored_metrics(entry).get(key) or {}).get("value")


def _fmt(value) -> str:
    return "—" if value is None else str(value)


def letterhead():
    from app.pdf.data import Letterhead

    org = settings.get("org_name")
    mechanism = settings.get("mechanism_name")
    return Letterhead(org_name=org, issuer=settings.get("office_name"),
                      meeting_mark=f"{mechanism.replace('机制', '')}联席会议纪要",
                      special_meeting_mark=f"{mechanism.replace('机制', '')}专题会议纪要",
                      bulletin_mark=f"{mechanism.replace('机制', '')}工作通报")


def evaluation_pdf(evaluation: m.Evaluation, pdf_font: str | None = None) -> bytes:
    """The evaluation bulletin: one table of units with their main figures and grade, then comments."""
    from app.pdf import build_evaluation
    from app.pdf.data import EvaluationData, TableData

    headers = ["单位", "交办（牵头/配合）", "按期/逾期函复", "仍逾期", "平均用时（日）", "催办/延期", "出席/缺席", "等次"]
    rows = []
    for entry in evaluation.entries:
        v = lambda key: _fmt(metric_value(entry, key))  # noqa: E731
        rows.append([entry.unit.short_name or entry.unit.name, f"{v('lead')}/{v('co')}", f"{v('on_time')}/{v('late')}",
                     v("overdue"), v("avg_days"), f"{v('reminders')}/{v('extensions')}",
                     f"{v('attended')}/{v('absent')}", entry.grade or ""])
    comments = [(e.unit.name, e.grade or "", e.comment) for e in evaluation.entries if e.comment]  # grades are in the table
    data = EvaluationData(head=letterhead(), number=evaluation.number or "", year=evaluation.year,
                          title=evaluation.title, date=evaluation.document_date or _today(),
                          intro=evaluation.intro or "", comments=comments,
                          table=TableData(headers, rows, f"{evaluation.year}年度成员单位评价结果"))
    return build_evaluation(data, pdf_font=pdf_font)

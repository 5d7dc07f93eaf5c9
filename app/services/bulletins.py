"""工作通报: draft a bulletin from the data of a period, let the office edit it, issue and print it.

Drafting reads the period's cases, progress entries, matters and policies and writes one editable
section per topic; the figures each section was written from are kept as JSON next to the text
(the per-unit table is printed from them as 附表). Issuing numbers the bulletin, locks it and
distributes it to every member unit.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Optional

from sqlalchemy import and_, or_, select

from app import models as m
from app.models.base import now
from app.models.sharing import BULLETIN_KIND_LABELS
from app.security.scope import scoped
from app.services import settings
from app.services.errors import BusinessError
from app.services import notifications

CN_QUARTERS = {1: "一", 2: "二", 3: "三", 4: "四"}
UNIT_TABLE_HEADERS = ["单位", "本期交办", "本期办结", "其中逾期办结", "期末逾期未办结"]


def letterhead():
    """The organisation texts printed on documents, from the admin-editable settings."""
    from app.pdf import Letterhead

    org = settings.get("org_name") or "平陆县"
    return Letterhead(org_name=org, issuer=settings.get("office_name") or f"{org}企业破产处置府院联动机制办公室",
                      meeting_mark=f"{org}企业破产处置府院联动联席会议纪要",
                      special_meeting_mark=f"{org}企业破产处置府院联动专题会议纪要",
                      bulletin_mark=f"{org}企业破产处置府院联动工作通报")


def period_label(kind: str, start: dt.date, end: dt.date) -> str:
    if kind == "month" and start.day == 1 and start.year == end.year and start.month == end.month:
        return f"{start.year}年{start.month}月"
    if kind == "quarter" and start.day == 1 and start.month in (1, 4, 7, 10) and end.year == start.year \
            and end.month == start.month + 2:
        return f"{start.year}年第{CN_QUARTERS[(start.month - 1) // 3 + 1]}季度"
    if kind == "year" and (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return f"{start.year}年度"
    return f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"


def default_period(kind: str, on: dt.date) -> tuple[dt.date, dt.date]:
    """The last complete month / quarter / year before `on` (what a periodic bulletin reports)."""
    if kind == "month":
        end = on.replace(day=1) - dt.timedelta(days=1)
        return end.replace(day=1), end
    if kind == "year":
        return dt.date(on.year - 1, 1, 1), dt.date(on.year - 1, 12, 31)
    q_start = dt.date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
    end = q_start - dt.timedelta(days=1)
    return dt.date(end.year, end.month - 2, 1), end


def _in(column, start: dt.date, end: dt.date):
    return and_(column >= start, column <= end)


def _in_dt(column, start: dt.date, end: dt.date):
    return and_(column >= dt.datetime.combine(start, dt.time.min),
                column < dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))


def _day(value) -> Optional[dt.date]:
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def _lines(items: list[str]) -> str:
    return "\n".join(f"{i}. {text}" for i, text in enumerate(items, 1))


LISTED = 5  # items a section lists itself; the rest go to the annex tables (附件：本期明细)


def _annex(title: str, headers: list[str], rows: list[list]) -> dict:
    return {"title": title, "headers": headers, "rows": [[str(v) for v in row] for row in rows]}


def _counted(labels: list[str]) -> str:
    """“宣告破产3次、终结2次” from a list of labels, most frequent first."""
    from collections import Counter

    return "、".join(f"“{label}”{n}次" for label, n in Counter(labels).most_common())


# --- the drafted sections ----------------------------------------------------------------------
def _cases_section(session, user, start, end) -> tuple[str, str, dict]:
    q = lambda stmt: session.execute(scoped(stmt, m.Case, user)).scalars().all()  # noqa: E731
    new_cases = q(select(m.Case).where(_in(m.Case.application_date, start, end)).order_by(m.Case.application_date))
    accepted = q(select(m.Case).where(_in(m.Case.acceptance_date, start, end)).order_by(m.Case.acceptance_date))
    concluded = q(select(m.Case).where(_in(m.Case.closing_date, start, end)))
    pending = q(select(m.Case).where(m.Case.acceptance_date <= end,
                                     or_(m.Case.closing_date.is_(None), m.Case.closing_date > end)))
    by_procedure = defaultdict(int)
    for case in accepted:
        by_procedure[case.procedure_label] += 1
    parts = "、".join(f"{label}{n}件" for label, n in by_procedure.items())
    body = (f"本期新收破产申请{len(new_cases)}件，新受理破产案件{len(accepted)}件"
            + (f"（其中{parts}）" if parts else "") + f"，审结{len(concluded)}件。"
            f"截至期末，在办破产案件{len(pending)}件，其中重大敏感案件{sum(1 for c in pending if c.is_major_sensitive)}件。")
    annex = None
    if accepted:
        if len(accepted) <= LISTED:
            body += "\n本期受理的案件：\n" + _lines([f"{c.case_number} {c.enterprise_name}（{c.procedure_label}）"
                                              for c in accepted])
        else:
            body += "本期受理的案件见附件。"
            annex = _annex("本期受理的破产案件", ["受理日期", "案号", "企业名称", "程序"],
                           [[c.acceptance_date, c.case_number, c.enterprise_name, c.procedure_label] for c in accepted])
    data = {"new_cases": len(new_cases), "accepted_cases": len(accepted), "concluded_cases": len(concluded),
            "pending_cases": len(pending), "pending_major": sum(1 for c in pending if c.is_major_sensitive),
            "accepted": [c.id for c in accepted], "annex": [annex] if annex else []}
    return "案件受理审理情况", body, data


def _progress_in_period(session, user, start, end):
    stmt = (select(m.CaseProgress).join(m.Case, m.Case.id == m.CaseProgress.case_id)
            .where(_in(m.CaseProgress.entry_date, start, end))
            .order_by(m.CaseProgress.entry_date, m.CaseProgress.id))
    stmt = scoped(scoped(stmt, m.CaseProgress, user), m.Case, user)
    return session.execute(stmt).unique().scalars().all()


def _stage_section(entries) -> tuple[str, str, dict]:
    changes = [e for e in entries if e.stage]
    cases = {e.case_id for e in changes}
    annex = None
    if changes:
        body = (f"本期{len(cases)}件案件报送阶段变化{len(changes)}次，其中进入{_counted([e.stage_label for e in changes])}。")
        if len(changes) <= LISTED:
            body += "\n" + _lines([f"{e.entry_date.month}月{e.entry_date.day}日，{e.case.case_number} "
                                   f"{e.case.enterprise_name}进入“{e.stage_label}”阶段" for e in changes])
        else:
            body += "逐案明细见附件。"
            annex = _annex("案件程序阶段变化", ["日期", "案号", "企业名称", "进入阶段"],
                           [[e.entry_date, e.case.case_number, e.case.enterprise_name, e.stage_label] for e in changes])
    else:
        body = "本期无案件报送阶段变化。"
    return "案件程序进展", body, {"stage_changes": len(changes), "cases": len(cases), "annex": [annex] if annex else []}


def _major_section(entries) -> tuple[str, str, dict]:
    major = [e for e in entries if e.case.is_major_sensitive]
    grouped: dict[int, list] = defaultdict(list)
    for e in major:
        grouped[e.case_id].append(e)
    if not grouped:
        return "重大敏感案件进展", "本期重大敏感案件无新报送进展。", {"major_cases": 0, "entries": 0}
    paragraphs = [f"本期{len(grouped)}件重大敏感案件报送进展{len(major)}条"
                  + ("。" if len(grouped) <= LISTED else f"，以下列出最近报送进展的{LISTED}件，其余见附件。")]
    groups = sorted(grouped.values(), key=lambda items: max(e.entry_date for e in items), reverse=True)
    rows = []
    for items in groups[LISTED:]:
        case = items[0].case
        latest = max(items, key=lambda e: (e.entry_date, e.id))
        rows.append([case.case_number, case.enterprise_name, latest.entry_date, latest.content.strip()[:120], len(items)])
    annex = _annex("其他重大敏感案件的最新进展", ["案号", "企业名称", "日期", "最新进展", "本期条数"], rows) if rows else None
    for i, items in enumerate(groups[:LISTED], 1):
        case = items[0].case
        head = f"（{_cn(i)}）{case.case_number} {case.enterprise_name}"
        if case.monitoring_points:
            head += f"（监测评估重点：{case.monitoring_points}）"
        lines = [head + "。"]
        for e in items[-2:]:  # the latest two entries; the case page has them all
            who = f"（{e.unit.name}报送）" if e.unit else ""
            lines.append(f"{e.entry_date.month}月{e.entry_date.day}日，{e.content.strip()}{who}")
        if len(items) > 2:
            lines.append(f"（本期共报送{len(items)}条进展。）")
        paragraphs.append("\n".join(lines))
    return "重大敏感案件进展", "\n".join(paragraphs), {"major_cases": len(grouped), "entries": len(major),
                                                    "annex": [annex] if annex else []}


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九十"
    if n <= 10:
        return digits[n]
    if n < 20:
        return "十" + digits[n - 10]
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")


def _matters_sections(session, user, start, end) -> list[tuple[str, str, dict]]:
    from app.services.calendar import today, work_calendar
    from app.services.workdays import deadline_alert

    on = min(end, today())
    calendar = work_calendar()
    near, escalate = settings.get_int("near_deadline_workdays"), max(1, settings.get_int("escalate_workdays"))
    end_dt = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)
    stmt = (select(m.MatterAssignment, m.Matter).join(m.Matter, m.Matter.id == m.MatterAssignment.matter_id)
            .where(m.Matter.sent_at.is_not(None), m.Matter.sent_at < end_dt, m.Matter.status != "cancelled"))
    stmt = scoped(scoped(stmt, m.Matter, user), m.MatterAssignment, user)
    per_unit: dict[int, dict] = {}
    units: dict[int, m.Unit] = {}
    matters: dict[int, m.Matter] = {}
    for part, matter in session.execute(stmt).unique():
        matters[matter.id] = matter
        units[part.unit_id] = part.unit
        row = per_unit.setdefault(part.unit_id, {"sent": 0, "closed": 0, "closed_late": 0, "overdue": 0})
        if _day(matter.sent_at) >= start:
            row["sent"] += 1
        closed_on = _day(matter.closed_at)
        if closed_on and start <= closed_on <= end:
            row["closed"] += 1
            if matter.deadline and closed_on > calendar.effective_deadline(matter.deadline):
                row["closed_late"] += 1
        done = (closed_on is not None and closed_on <= end) or (
            part.replied_at is not None and _day(part.replied_at) <= end)
        if deadline_alert(matter.deadline, on, calendar, near, escalate, done) in ("overdue", "escalated"):
            row["overdue"] += 1
    order = sorted(per_unit, key=lambda uid: (units[uid].sort_order, units[uid].name))
    table_rows = [[units[uid].name, per_unit[uid]["sent"], per_unit[uid]["closed"], per_unit[uid]["closed_late"],
                   per_unit[uid]["overdue"]] for uid in order
                  if any(per_unit[uid].values())]
    sent = [mt for mt in matters.values() if _day(mt.sent_at) >= start]
    closed = [mt for mt in matters.values() if mt.closed_at and start <= _day(mt.closed_at) <= end]
    overdue, escalated = [], []
    for mt in matters.values():
        done = (mt.closed_at is not None and _day(mt.closed_at) <= end) or (
            mt.replied_at is not None and _day(mt.replied_at) <= end)
        alert = deadline_alert(mt.deadline, on, calendar, near, escalate, done)
        if alert in ("overdue", "escalated"):
            overdue.append(mt)
        if alert == "escalated":
            escalated.append(mt)
    totals = {"sent": len(sent), "closed": len(closed), "overdue": len(overdue), "escalated": len(escalated)}
    body = (f"本期函告协调事项{len(sent)}件，办结{len(closed)}件；截至{on.month}月{on.day}日，"
            f"逾期未办结{len(overdue)}件，其中严重逾期{len(escalated)}件。各成员单位办理情况见附表。")
    if not table_rows:
        body = f"本期函告协调事项{len(sent)}件，办结{len(closed)}件；截至{on.month}月{on.day}日无逾期未办结事项。"
    table = {"title": "各成员单位协调事项办理情况统计表", "headers": UNIT_TABLE_HEADERS,
             "rows": [[str(v) for v in row] for row in table_rows]}
    data = {"totals": totals, "table": table,
            "per_unit": {units[uid].name: per_unit[uid] for uid in order}}
    escalated.sort(key=lambda mt: (mt.deadline, mt.id))
    annex = None
    if escalated:
        from collections import Counter

        items = [f"{mt.letter_number or ''}《{mt.title}》，牵头单位{mt.lead_unit.name}，办理期限"
                 f"{mt.deadline.isoformat()}，已超期{calendar.workdays_overdue(mt.deadline, on)}个工作日"
                 for mt in escalated]
        by_unit = "、".join(f"{name}{n}件" for name, n in Counter(mt.lead_unit.name for mt in escalated).most_common())
        esc_body = (f"{len(escalated)}件协调事项超过办理期限{escalate}个工作日以上仍未办结（按牵头单位：{by_unit}），"
                    "列入联席会议督办，请责任单位抓紧办理并书面说明原因")
        if len(items) <= LISTED:
            esc_body += "：\n" + _lines(items)
        else:
            esc_body += "。逐项明细见附件。"
            annex = _annex("严重逾期的协调事项", ["函告文号", "事项", "牵头单位", "办理期限", "超期工作日"],
                           [[mt.letter_number or "", mt.title, mt.lead_unit.name, mt.deadline,
                             calendar.workdays_overdue(mt.deadline, on)] for mt in escalated])
    else:
        esc_body = "本期无严重逾期的协调事项。"
    return [("协调事项办理情况", body, data),
            ("严重逾期事项", esc_body, {"escalated": len(escalated), "matters": [mt.id for mt in escalated],
                                   "annex": [annex] if annex else []})]


def _policy_section(session, user, start, end) -> tuple[str, str, dict]:
    stmt = select(m.Policy).where(or_(_in(m.Policy.publish_date, start, end),
                                      and_(m.Policy.publish_date.is_(None), _in_dt(m.Policy.created_at, start, end))))
    policies = session.execute(scoped(stmt.order_by(m.Policy.publish_date, m.Policy.id), m.Policy, user)).scalars().all()
    if policies:
        items = []
        for p in policies:
            extra = "，".join(x for x in (p.doc_number, p.issuer) if x)
            items.append(f"【{p.kind_label}】《{p.title}》" + (f"（{extra}）" if extra else ""))
        body = f"本期收录政策文件、典型案例和工作经验{len(policies)}篇，请各成员单位在平台“信息共享”栏目查阅：\n" + _lines(items)
    else:
        body = "本期未新增政策文件、典型案例和工作经验。"
    return "政策文件与工作经验", body, {"policies": len(policies), "ids": [p.id for p in policies]}


ANNEX_HEADING = "附件：本期明细"


def _annex_section(sections) -> tuple[str, str, dict] | None:
    """What the sections left out, in full, as the bulletin's last part (the text stays short: a
    month with 64 stage changes drafted 22 pages)."""
    tables = [table for _heading, _body, data in sections for table in data.get("annex") or [] if table["rows"]]
    if not tables:
        return None
    body = "本期明细见以下附表：\n" + _lines([f"{t['title']}（{len(t['rows'])}项）" for t in tables])
    return ANNEX_HEADING, body, {"tables": tables}


def draft_sections(session, user, start: dt.date, end: dt.date) -> list[tuple[str, str, dict]]:
    entries = _progress_in_period(session, user, start, end)
    sections = [_cases_section(session, user, start, end), _stage_section(entries), _major_section(entries),
                *_matters_sections(session, user, start, end), _policy_section(session, user, start, end)]
    annex = _annex_section(sections)
    for _heading, _body, data in sections:
        data.pop("annex", None)  # kept once, in the annex section
    return sections + ([annex] if annex else [])


def draft_bulletin(session, user, kind: str, period_start: dt.date, period_end: dt.date,
                   title: str | None = None) -> m.Bulletin:
    """A new draft bulletin for the period, its sections drafted from the data (caller commits)."""
    if kind not in BULLETIN_KIND_LABELS:
        raise BusinessError(f"通报类别无效：{kind}；可选：{'、'.join(BULLETIN_KIND_LABELS.values())}", 422)
    if period_start is None or period_end is None:
        raise BusinessError("请填写通报期间的开始和结束日期", 422)
    if period_end < period_start:
        raise BusinessError("通报期间的结束日期不能早于开始日期", 422)
    label = period_label(kind, period_start, period_end)
    if not title:
        title = (f"关于{label}企业破产处置府院联动工作情况的通报" if kind != "special"
                 else f"关于企业破产处置府院联动工作情况的专项通报（{label}）")
    bulletin = m.Bulletin(kind=kind, period_start=period_start, period_end=period_end, title=title.strip()[:200],
                          status="draft", recipients="各成员单位")
    for seq, (heading, body, data) in enumerate(draft_sections(session, user, period_start, period_end), 1):
        bulletin.sections.append(m.BulletinSection(seq=seq, heading=heading, body=body,
                                                   data=json.dumps(data, ensure_ascii=False)))
    session.add(bulletin)
    session.flush()
    return bulletin


def check_draft(bulletin: m.Bulletin) -> None:
    if bulletin.status != "draft":
        raise BusinessError("通报已印发，不能修改", 409)


def update_section(section: m.BulletinSection, heading: str | None, body: str | None,
                   version: int | None = None) -> None:
    from app.services.errors import StaleEdit

    check_draft(section.bulletin)
    if version is not None and int(version) != section.version_id:
        raise StaleEdit()
    if heading is not None:
        if not heading.strip():
            raise BusinessError("小标题不能为空", 422)
        if len(heading) > 200:
            raise BusinessError("小标题不能超过200个字符", 422)
        section.heading = heading.strip()
    if body is not None:
        section.body = body


def issue_bulletin(session, bulletin: m.Bulletin, user, on: dt.date | None = None) -> m.Bulletin:
    """印发: number it (平府院通〔2026〕N号, 2026年第N期（总第M期）), lock it, distribute to member units."""
    from app.services.calendar import today
    from app.services.identifiers import format_doc_number
    from app.services.numbering import next_sequence

    check_draft(bulletin)
    if not bulletin.sections or not any((s.body or "").strip() for s in bulletin.sections):
        raise BusinessError("通报没有正文，不能印发", 422)
    on = on or today()
    bulletin.document_date = bulletin.document_date or on
    year = bulletin.document_date.year
    bulletin.year = year
    bulletin.seq = next_sequence(session, "bulletin", year)
    bulletin.total_seq = next_sequence(session, "bulletin_total", 0, floor=_issued_total(session))
    bulletin.number = format_doc_number(settings.get("org_short_name"), settings.get("bulletin_prefix"),
                                        year, bulletin.seq)
    bulletin.status = "issued"
    bulletin.issued_at = now()
    bulletin.issued_by_id = getattr(user, "id", None)
    units = session.execute(select(m.Unit).where(m.Unit.active.is_(True), m.Unit.kind == "member")
                            .order_by(m.Unit.sort_order)).scalars().all()
    for unit in units:
        bulletin.distributions.append(m.BulletinDistribution(unit=unit))
        notifications.notify_unit(session, unit.id, f"新通报：{bulletin.number}《{bulletin.title}》", f"/bulletinview/show/{bulletin.id}")
    session.flush()
    return bulletin


def _issued_total(session) -> int:
    """The highest 总第N期 already printed: the running count continues from it even when bulletins
    were numbered outside the counter (demo data, imports, databases from before it)."""
    from sqlalchemy import func

    return session.execute(select(func.max(m.Bulletin.total_seq))).scalar() or 0


def issue_label(bulletin: m.Bulletin) -> str:
    if bulletin.year and bulletin.seq:
        label = f"{bulletin.year}年第{bulletin.seq}期"
        return label + (f"（总第{bulletin.total_seq}期）" if bulletin.total_seq else "")
    return "（草稿）"


def section_data(section: m.BulletinSection) -> dict:
    try:
        return json.loads(section.data) if section.data else {}
    except ValueError:
        return {}


def bulletin_pdf(bulletin: m.Bulletin, pdf_font: str | None = None) -> bytes:
    from app.pdf import BulletinData, BulletinSection, TableData, build_bulletin
    from app.services.calendar import today

    tables = []
    for section in bulletin.sections:
        data = section_data(section)
        for table in [data.get("table")] + list(data.get("tables") or []):  # the annex section holds several
            if table and table.get("rows"):
                tables.append(TableData(headers=table["headers"], rows=table["rows"], title=table.get("title", "")))
    data = BulletinData(head=letterhead(), number=bulletin.number or "", issue_label=issue_label(bulletin),
                        title=bulletin.title, date=bulletin.document_date or today(),
                        recipients=bulletin.recipients or "各成员单位",
                        sections=[BulletinSection(s.heading, s.body) for s in bulletin.sections],
                        tables=tables)
    return build_bulletin(data, pdf_font=pdf_font)

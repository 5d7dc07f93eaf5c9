"""重点案件专门领导协调组 workflow: dissolving a group, its tasks (supervised matters) and work log.

Tasks are ordinary matters with `group_id`, created and sent through app.services.matters, so they
follow the supervision workflow (sign, reply, remind, overdue) like every other matter.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Optional

from app import models as m
from app.services.errors import BusinessError
from app.services.matters import create_matter, send_matter


def _today() -> dt.date:
    from app.services.calendar import today

    return today()


def member_unit_ids(group: m.CoordinationGroup) -> set[int]:
    return {member.unit_id for member in group.members if member.unit_id}


def check_active(group: m.CoordinationGroup) -> None:
    if group.status != "active":
        raise BusinessError("协调组已撤销，不能再安排任务或记录工作", 409)


def dissolve_group(session, group: m.CoordinationGroup, user, date: Optional[dt.date] = None,
                   reason: str = "") -> m.CoordinationGroup:
    """运行中 → 已撤销, with the date and the reason (e.g. the case concluded)."""
    check_active(group)
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError("请填写撤销原因", 422)
    date = date or _today()
    if group.setup_date and date < group.setup_date:
        raise BusinessError("撤销日期不能早于成立日期", 422)
    group.status = "dissolved"
    group.dissolved_date = date
    group.dissolve_reason = reason
    add_log(session, group, user, f"协调组撤销：{reason}", date, allow_dissolved=True)
    return group


def create_task(session, group: m.CoordinationGroup, user, *, title: str, lead_unit: m.Unit,
                co_units: Iterable[m.Unit] = (), deadline: Optional[dt.date] = None, content: str = "",
                send: bool = True) -> m.Matter:
    """A task of the group: a supervised matter for member units, about the group's case, sent at once."""
    check_active(group)
    members = member_unit_ids(group)
    co_units = list(co_units)
    outside = [u.name for u in [lead_unit, *co_units] if u is not None and u.id not in members]
    if outside:
        raise BusinessError(f"任务只能交由协调组成员单位办理：{'、'.join(outside)}不是本组成员单位", 422)
    matter = create_matter(session, user, title=title, lead_unit=lead_unit, co_units=co_units, deadline=deadline,
                           content=content or "", case=group.case, source="group", group=group)
    if send:
        session.flush()
        send_matter(session, matter, user, note=f"{group.name}任务")
    add_log(session, group, user, f"安排任务：{matter.title}（牵头：{lead_unit.name}）", allow_dissolved=False)
    return matter


def add_log(session, group: m.CoordinationGroup, user, content: str, date: Optional[dt.date] = None,
            allow_dissolved: bool = False) -> m.GroupLog:
    if not allow_dissolved:
        check_active(group)
    content = (content or "").strip()
    if not content:
        raise BusinessError("请填写工作日志内容", 422)
    from app.services.research import actor_name

    log = m.GroupLog(group=group, log_date=date or _today(), content=content, author=actor_name(user))
    session.add(log)
    return log

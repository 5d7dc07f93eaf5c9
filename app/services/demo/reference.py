"""Reference data the demo reads once (units, categories, settings, the risk scheme) and the demo's
judges' and trustees' accounts."""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import select

from app import models as m
from app.services import settings
from app.services.risk_scoring import load_scheme

from app.services.demo.vocabulary import JUDGES, LAW_FIRMS


@dataclass
class Ref:
    """Reference data read once: units, categories, settings, the active risk scheme."""

    office_id: int
    member_ids: list[int]
    unit_names: dict[int, str]
    categories: list[tuple[int, str, list[int]]]
    org_short: str
    letter_prefix: str
    minutes_prefix: str
    bulletin_prefix: str
    evaluation_prefix: str
    office_name: str
    scheme_id: Optional[int]
    scheme: object
    judge_ids: list = field(default_factory=list)                 # demo 承办法官 users
    trustee_ids: dict = field(default_factory=dict)               # law firm → demo 破产管理人 user
    items: list = field(default_factory=list)                     # (id, unit id, name, deadline workdays)


def read_reference(session) -> Ref:
    units = session.execute(select(m.Unit.id, m.Unit.name, m.Unit.kind).order_by(m.Unit.sort_order, m.Unit.id)).all()
    if not units:
        raise RuntimeError("请先运行 flask seed load 载入成员单位等基础数据")
    office = next((u.id for u in units if u.kind == "office"), units[0].id)
    members = [u.id for u in units if u.kind == "member"] or [u.id for u in units]
    cat_units: dict[int, list[int]] = defaultdict(list)
    for cid, uid in session.execute(select(m.category_unit.c.category_id, m.category_unit.c.unit_id)):
        cat_units[cid].append(uid)
    categories = [(c.id, c.name, cat_units.get(c.id, []))
                  for c in session.execute(select(m.Category.id, m.Category.name).order_by(m.Category.sort_order))]
    if not categories:
        raise RuntimeError("请先运行 flask seed load 载入事项类别")
    scheme_row = session.execute(select(m.RiskScheme.id, m.RiskScheme.definition)
                                 .where(m.RiskScheme.active.is_(True))).first()
    items = [tuple(row) for row in session.execute(
        select(m.CheckItem.id, m.CheckItem.unit_id, m.CheckItem.name, m.CheckItem.deadline_workdays)
        .where(m.CheckItem.active.is_(True)).order_by(m.CheckItem.sort_order, m.CheckItem.id))]
    return Ref(
        items=items,
        office_id=office, member_ids=members, unit_names={u.id: u.name for u in units}, categories=categories,
        org_short=settings.get("org_short_name"), letter_prefix=settings.get("letter_prefix"),
        minutes_prefix=settings.get("minutes_prefix"), bulletin_prefix=settings.get("bulletin_prefix"),
        evaluation_prefix=settings.get("evaluation_prefix"), office_name=settings.get("office_name"),
        scheme_id=scheme_row.id if scheme_row else None,
        scheme=load_scheme(json.loads(scheme_row.definition)) if scheme_row else None,
    )


def demo_people(session, password: Optional[str] = None) -> tuple[list[int], dict[str, int]]:
    """The demo's 承办法官 and 破产管理人 accounts (one per law firm), made once through the same
    checks as `flask users add`. Without `password` they get a random one: an administrator sets a
    real one on the users page before anybody signs in as them."""
    import secrets

    from flask import current_app

    from app.services.users import create_user

    sm = current_app.appbuilder.sm
    if sm.find_role("Judge") is None or sm.find_role("Trustee") is None:
        return [], {}
    wanted = [(f"demo_judge{i}", "Judge", name) for i, name in enumerate(JUDGES, 1)] + \
             [(f"demo_trustee{i}", "Trustee", firm) for i, firm in enumerate(LAW_FIRMS, 1)]
    ids = {}
    for username, role, full_name in wanted:
        user = sm.find_user(username=username)
        if user is None:
            user = create_user(username=username, password=password or secrets.token_urlsafe(18), role=role,
                               full_name=full_name)
        ids[username] = user.id
    judges = [ids[f"demo_judge{i}"] for i in range(1, len(JUDGES) + 1)]
    return judges, {firm: ids[f"demo_trustee{i}"] for i, firm in enumerate(LAW_FIRMS, 1)}

"""Reference data from seed/: units and responsibilities, categories, settings, risk scheme, roles.

Idempotent: rows are matched by their natural key (unit name, category name, setting key, scheme
version) and only missing ones are inserted, so running it twice changes nothing and never
overwrites what an administrator edited.
"""
from __future__ import annotations

import json
from pathlib import Path

from app.extensions import db

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"


def _read(name: str) -> dict:
    return json.loads((SEED_DIR / name).read_text(encoding="utf-8"))


def load_units(session) -> int:
    from app.models.org import Unit

    data = _read("units.json")
    existing = {unit.name: unit for unit in session.query(Unit)}
    added = 0
    for row in [data["office"], *data["members"]]:
        unit = existing.get(row["name"])
        if unit is None:
            session.add(Unit(**row))
            added += 1
        elif not unit.full_name and row.get("full_name"):
            unit.full_name = row["full_name"]   # databases from before the column (0005); never an edited one
    session.flush()
    return added


def load_categories(session) -> int:
    from app.models.org import Category, Unit, category_unit

    data = _read("categories.json")["categories"]
    units = {u.name: u for u in session.query(Unit)}
    existing = {name for (name,) in session.query(Category.name)}
    added = 0
    for order, row in enumerate(data):
        if row["name"] in existing:
            continue
        missing = [n for n in row["units"] if n not in units]
        if missing:
            raise ValueError(f"seed/categories.json 引用了未知单位：{missing}")
        category = Category(name=row["name"], description=row.get("description"), sort_order=(order + 1) * 10)
        session.add(category)
        session.flush()
        for position, unit_name in enumerate(row["units"]):
            session.execute(category_unit.insert().values(category_id=category.id, unit_id=units[unit_name].id,
                                                          position=position))
        added += 1
    return added


def load_risk_scheme(session) -> int:
    from app.models.risk import RiskScheme
    from app.services.risk_scoring import load_scheme

    raw = _read("risk_scheme.json")
    scheme = load_scheme(raw)
    if session.query(RiskScheme.id).filter(RiskScheme.scheme_version == scheme.version).first():
        return 0
    has_active = session.query(RiskScheme.id).filter(RiskScheme.active.is_(True)).first() is not None
    session.add(RiskScheme(scheme_version=scheme.version, name=scheme.name,
                           definition=json.dumps(raw, ensure_ascii=False, indent=1), active=not has_active))
    return 1


def load_check_items(session) -> int:
    """The catalogue of standard information items (信息核查事项, issue 14), by unit and name."""
    from app.models.org import Unit
    from app.models.requests import CheckItem

    data = _read("check_items.json")
    units = {u.name: u for u in session.query(Unit)}
    existing = {(unit_id, name) for unit_id, name in session.query(CheckItem.unit_id, CheckItem.name)}
    added = 0
    for order, row in enumerate(data["items"]):
        unit = units.get(row["unit"])
        if unit is None:
            raise ValueError(f"seed/check_items.json 引用了未知单位：{row['unit']}")
        if (unit.id, row["name"]) in existing:
            continue
        session.add(CheckItem(unit_id=unit.id, name=row["name"], description=row.get("description"),
                              requirements=row.get("requirements"),
                              deadline_workdays=row["deadline_workdays"], sort_order=(order + 1) * 10, active=True))
        added += 1
    session.flush()
    return added


def load_reference_data(appbuilder) -> dict[str, int]:
    from app.security.roles import sync_roles
    from app.services import settings

    from flask import current_app

    from app.services.holidays import load_state_council_holidays

    session = db.session
    counts = {
        "单位": load_units(session),
        "事项类别": load_categories(session),
        "系统设置": settings.ensure_defaults(session),
        "评估方案": load_risk_scheme(session),
        "信息核查事项": load_check_items(session),
    }
    if current_app.config.get("STATE_COUNCIL_HOLIDAYS", True):
        counts["法定节假日与调休"] = load_state_council_holidays(session)
    session.commit()
    granted = sync_roles(appbuilder)
    counts["新授权限"] = sum(granted.values())
    return counts

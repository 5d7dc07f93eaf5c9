"""A category's suggested units: the lead unit first, then the co-units, in the order the office sets."""
from __future__ import annotations

from sqlalchemy import delete, insert

from app import models as m
from app.models.org import category_unit
from app.services import audit
from app.services.errors import BusinessError


def set_suggested_units(session, category: m.Category, lead: m.Unit | None, co_units=()) -> None:
    """Replace the category's suggestions: `lead` at position 0, the co-units after it (the
    responsibilities map the matter form uses to suggest who handles a matter of this category)."""
    co = [u for u in dict.fromkeys(co_units or []) if u is not None and (lead is None or u.id != lead.id)]
    if lead is None and co:
        raise BusinessError("请先选择建议牵头单位，再选择配合单位", 422, field="suggest_lead")
    session.add(category)
    session.flush()
    before = [u.name for u in category.suggested_units]
    session.execute(delete(category_unit).where(category_unit.c.category_id == category.id))
    rows = [{"category_id": category.id, "unit_id": unit.id, "position": position}
            for position, unit in enumerate(([lead] if lead else []) + co)]
    if rows:
        session.execute(insert(category_unit), rows)
    session.expire(category, ["suggested_units"])
    after = [u.name for u in ([lead] if lead else []) + co]
    audit.record_update(session, category, {"suggested_units": before}, {"suggested_units": after})

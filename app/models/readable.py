"""A readable `str()` for every record that has no `__repr__` of its own.

What a clerk reads where a record is named: the audit log's 记录 column, drop-downs, messages.
Without it Python prints `<app.models.sharing.BulletinDistribution object at 0x…>`. Records with
a number or a name show it; link rows (分送, 承办单位 …) show the records they link, as far as
those are loaded (this runs inside a flush: it never loads anything itself).
"""
from __future__ import annotations

from sqlalchemy import inspect

PREFERRED = ("letter_number", "number", "case_number", "title", "name", "topic", "heading", "person_name",
             "organisation", "label", "day", "filename", "content", "message", "description")


def readable(obj) -> str:
    for field in PREFERRED:
        value = obj.__dict__.get(field)
        if value not in (None, ""):
            return str(value)[:80]
    parents = []
    for rel in inspect(type(obj)).relationships:
        if rel.direction.name != "MANYTOONE":
            continue
        value = obj.__dict__.get(rel.key)
        if value is not None and value is not obj:
            parents.append(str(value)[:60])
    if parents:
        return " · ".join(parents)
    ident = obj.__dict__.get("id")
    return f"第{ident}条记录" if ident is not None else "新记录"


def install(models) -> None:
    """Give each of our model classes without its own __repr__/__str__ the readable one."""
    for cls in models:
        if "__str__" in cls.__dict__ or "__repr__" in cls.__dict__:
            continue
        cls.__str__ = readable
        cls.__repr__ = readable

"""Document sequence numbers per kind and year, without gaps or duplicates under concurrency.

The counter row is incremented with a single UPDATE, which takes a row lock on PostgreSQL and the
database write lock on SQLite, so two users sending at once serialise here; the unique constraints
on the documents are the last line of defence.
"""
from __future__ import annotations

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.models.org import DocCounter


def next_sequence(session, kind: str, year: int, floor: int = 0) -> int:
    """The next number of `kind` in `year`, and at least `floor` + 1 (numbers already used elsewhere)."""
    dialect = session.get_bind().dialect.name
    table = DocCounter.__table__
    if dialect == "postgresql":
        session.execute(pg_insert(table).values(kind=kind, year=year, last_number=0).on_conflict_do_nothing(
            index_elements=["kind", "year"]))
    elif dialect == "sqlite":
        session.execute(sqlite_insert(table).values(kind=kind, year=year, last_number=0).on_conflict_do_nothing(
            index_elements=["kind", "year"]))
    else:  # pragma: no cover - other databases: optimistic insert
        if session.execute(select(table.c.id).where(table.c.kind == kind, table.c.year == year)).first() is None:
            session.execute(table.insert().values(kind=kind, year=year, last_number=0))
    last = table.c.last_number
    if floor:
        last = case((last < floor, floor), else_=last)
    session.execute(update(table).where(table.c.kind == kind, table.c.year == year)
                    .values(last_number=last + 1))
    return session.execute(select(table.c.last_number).where(table.c.kind == kind, table.c.year == year)).scalar_one()


def peek_sequence(session, kind: str, year: int) -> int:
    value = session.execute(select(DocCounter.last_number).where(DocCounter.kind == kind, DocCounter.year == year)).scalar()
    return value or 0

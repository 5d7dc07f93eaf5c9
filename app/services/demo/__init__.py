"""`flask seed demo --cases N`: a realistic demo data set of any size, fast.

Why it looks like this: a province-sized data set (N = 100000 cases, about a million matters and
several million timeline rows) must be written in minutes. So rows are built as plain dicts and
written with SQLAlchemy Core executemany in batches (no ORM objects, no per-row flush), primary keys
are assigned here from max(id) (so children can point at parents without a round trip), and each
batch of cases is committed once. Core inserts bypass the ORM audit hook on purpose: demo data is not
a user's change.

The data is consistent with the workflow rules: every matter not in draft has a unique letter number
(文号 per year, the `letter` DocCounter is moved on so later sends continue the sequence) and a lead
unit's part; replied and closed matters carry the lead unit's reply; issued minutes have a number
and numbered decisions, each turned into a matter with source "meeting"; assessments are scored with
the active risk scheme. It is deterministic for a given seed, date and starting database, and
running it again adds more data (case numbers, meeting numbers and document numbers continue).

The package, by mechanism: vocabulary.py (names, texts, weights), values.py (random values),
reference.py (reference data, demo accounts), bulk.py (batches, ids, counters, the writer thread),
generator.py with its mixins cases.py, requests.py, matters.py, meetings.py, once.py (the rows),
run.py (`generate_demo`).
"""
from __future__ import annotations

from app.services.demo.bulk import TABLE_ORDER  # noqa: F401
from app.services.demo.generator import DemoGenerator  # noqa: F401
from app.services.demo.reference import demo_people, read_reference  # noqa: F401
from app.services.demo.run import finish_evaluation, generate_demo  # noqa: F401
from app.services.demo.vocabulary import MATTER_STATUSES  # noqa: F401

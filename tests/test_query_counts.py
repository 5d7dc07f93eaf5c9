"""A list page runs a constant number of SQL statements, whatever its page size or the rows behind it.

Counts, not timings (timings live in bench/). Each page is requested with page size 10 and 100 over a
demo data set with more than 100 matters; an N+1 (a dotted column or a relationship loaded per row)
shows as more statements for the larger page. The workbenches (inbox, 督办台, ledger, home pages,
the matter page) are requested before and after more demo cases are added: same count, at most 12
under test (= 10 in production, where settings and holidays are cached per process).
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.conftest import BACKENDS

# (page, list URL for a page size, role)
WEB_PAGES = [
    pytest.param("matters", "/matter/list/?psize_MatterView={n}", "office", id="matters"),
    pytest.param("matters (unit)", "/matter/list/?psize_MatterView={n}", "tax", id="matters (unit)"),
    pytest.param("matters by case name", "/matter/list/?psize_MatterView={n}&_flt_2_case=企业", "office",
                 id="matters by case name"),
    pytest.param("cases", "/caseview/list/?psize_CaseView={n}", "office", id="cases"),
    pytest.param("meetings", "/meeting/list/?psize_MeetingView={n}", "office", id="meetings"),
    pytest.param("minutes", "/minutes/list/?psize_MinutesView={n}", "office", id="minutes"),
    pytest.param("units", "/unitview/list/?psize_UnitView={n}", "office", id="units"),
    pytest.param("progress", "/caseprogressview/list/?psize_CaseProgressView={n}", "office", id="progress"),
    pytest.param("decisions", "/decision/list/?psize_DecisionView={n}", "office", id="decisions"),
]
# Pages that are not paged by FAB: their statement count must not grow with the rows behind them
# (rows are added between the two counts).
WORKBENCHES = [
    ("inbox", "/matter/inbox", "tax"),
    ("督办台", "/matter/supervise", "office"),
    ("ledger", "/caseview/ledger/", "office"),
    ("home (office)", "/", "office"),
    ("home (unit)", "/", "tax"),
    ("home (convener)", "/", "convener"),
    ("matter page", "/matter/show/{matter}", "office"),
]
# Tables that grow with the data: a page may read them only a page at a time (LIMIT) or by id.
LARGE_TABLES = ("bankruptcy_case", "matter", "meeting", "minutes")
API_PAGES = [
    ("api items", "/api/v1/item/?q=(page_size:{n})", "office"),
    ("api items (unit)", "/api/v1/item/?q=(page_size:{n})", "tax"),
    ("api cases", "/api/v1/case/?q=(page_size:{n})", "office"),
    ("api meetings", "/api/v1/meeting/?q=(page_size:{n})", "office"),
    ("api minutes", "/api/v1/minutes/?q=(page_size:{n})", "office"),
]


class StatementCounter:
    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def _hook(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __enter__(self):
        self.statements = []
        event.listen(self.engine, "before_cursor_execute", self._hook)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._hook)

    @property
    def business(self) -> list[str]:
        """All but FAB's permission look-ups (one per menu item and button, the same on every page)."""
        return [s for s in self.statements if "ab_permission_view" not in s]




def add_demo_rows(app) -> None:
    """About 150 matters (N+1 shows between page size 10 and 100) and more than ten meetings and minutes."""
    from app.services.demo import generate_demo
    from tests.factories import Factory

    factory = Factory(app)
    with app.app_context():
        generate_demo(15, 5, today=dt.date(2026, 5, 20))
        for i in range(12):
            meeting = factory.meeting(units=("县税务局", "县人社局"), year=2030, seq=i + 1)
            factory.minutes(meeting, distributed_to=("县税务局",), status="issued", number=f"平府院联纪〔2030〕{i + 1}号")


@pytest.fixture
def demo_rows(app):
    """The demo rows in the test's own data (the workbench tests add more between their two counts)."""
    add_demo_rows(app)
    return app


@pytest.fixture(scope="module", params=BACKENDS)
def demo_site(request):
    """For the list tests, which only read: one database per backend with the demo rows, built once for
    the module, and its logged-in clients."""
    from tests.conftest import RoleClients, seeded_app

    app, cleanup = seeded_app(request.param)
    add_demo_rows(app)
    yield app, RoleClients(app)
    cleanup()


def _count(app, client, url, n) -> StatementCounter:
    client.get(url.format(n=n))  # warm-up: settings and calendar caches, first-request work
    with app.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        response = client.get(url.format(n=n))
    assert response.status_code == 200, (url, response.status_code)
    return counter


def _unbounded_reads(statements: list[str]) -> list[str]:
    """Top-level SELECTs of whole rows of a large table with neither LIMIT nor a WHERE on the key."""
    found = []
    for statement in statements:
        head = " ".join(statement.split())
        for table in LARGE_TABLES:
            if head.startswith(f"SELECT {table}.id AS {table}_id") and " LIMIT " not in head \
                    and f"WHERE {table}.id" not in head:
                found.append(head[:200])
    return found


@pytest.mark.parametrize("name,url,role", WEB_PAGES)
def test_web_list_query_count_is_constant(demo_site, name, url, role):
    app, clients = demo_site
    client = clients.web(role)
    small, large = _count(app, client, url, 10), _count(app, client, url, 100)
    assert len(large.statements) == len(small.statements), (name, len(small.statements), len(large.statements),
                                                            large.business)
    assert len(large.business) <= 10, (name, len(large.business), large.business)
    assert not _unbounded_reads(large.statements), (name, _unbounded_reads(large.statements))


@pytest.mark.parametrize("name,url,role", API_PAGES, ids=[p[0] for p in API_PAGES])
def test_api_list_query_count_is_constant(demo_site, name, url, role):
    app, clients = demo_site
    client = clients.api(role)
    small, large = _count(app, client, url, 10), _count(app, client, url, 100)
    assert len(large.statements) == len(small.statements), (name, len(small.statements), len(large.statements),
                                                            large.statements)
    assert len(large.statements) <= 10, (name, len(large.statements), large.statements)
    assert not _unbounded_reads(large.statements), (name, _unbounded_reads(large.statements))


def test_web_list_total_queries_at_most_ten(demo_site):
    """FAB's per-button permission look-ups are answered from one set per request."""
    app, clients = demo_site
    counter = _count(app, clients.web("office"), "/caseview/list/?psize_CaseView={n}", 100)
    assert len(counter.statements) <= 10, counter.statements
    assert sum("ab_permission" in s for s in counter.statements) == 1


def test_workbench_query_counts_do_not_grow_with_rows(demo_rows, clients):
    """Every workbench page counted, ten more demo cases added once, every page counted again."""
    from sqlalchemy import func, select

    from app import models as m
    from app.services.demo import generate_demo

    app = demo_rows
    with app.app_context():
        matter = db.session.scalar(select(func.max(m.Matter.id)).where(m.Matter.status == "closed"))
    pages = [(name, url.format(matter=matter), clients.web(role)) for name, url, role in WORKBENCHES]
    before = {name: _count(app, client, url, 0) for name, url, client in pages}
    with app.app_context():
        generate_demo(10, 7, today=dt.date(2026, 5, 20))
    after = {name: _count(app, client, url, 0) for name, url, client in pages}
    grown = {name: (len(before[name].statements), len(after[name].statements), after[name].statements)
             for name in after if len(after[name].statements) != len(before[name].statements)}
    assert not grown, grown
    # ≤ 12 under test = ≤ 10 in production: settings and holidays are cached per process there
    many = {name: counter.statements for name, counter in after.items() if len(counter.statements) > 12}
    assert not many, many

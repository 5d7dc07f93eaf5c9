"""Stored XSS: markup saved in the main text fields of every mechanism comes back literally — escaped
on every page (lists, show pages, workbenches, home pages, custom templates), as text in Excel cells
and printed as-is in PDFs. Rendering does not depend on the database: SQLite only."""
from __future__ import annotations

import io
import re

import pytest

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"甲{SCRIPT}{IMG}乙"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
RAW = re.compile(r"<script>alert\(1\)|<img src=x onerror", re.I)


@pytest.fixture
def stored(sqlite_app):
    """One record per mechanism with the payload in its main text fields."""
    from app import models as m
    from app.extensions import db
    from tests.factories import Factory

    with sqlite_app.app_context():
        f = Factory(sqlite_app)
        tax = f.unit("县税务局")
        scheme = db.session.query(m.RiskScheme).filter_by(active=True).first()
        case = f.case(enterprise_name=PAYLOAD, monitoring_points=PAYLOAD, is_major_sensitive=True)
        matter = f.matter(title=PAYLOAD, content=PAYLOAD, status="sent", case_id=case.id)
        meeting = f.meeting(units=("县税务局",), title=PAYLOAD, place=PAYLOAD, status="held")
        f.add(m.MeetingTopic(meeting_id=meeting.id, title=PAYLOAD, material=PAYLOAD))
        minutes = f.minutes(meeting, distributed_to=("县税务局",), title=PAYLOAD, body=PAYLOAD)
        f.add(m.Decision(minutes_id=minutes.id, seq=1, content=PAYLOAD, lead_unit_id=tax.id))
        policy = f.add(m.Policy(title=PAYLOAD, summary=PAYLOAD, content=PAYLOAD))
        bulletin = f.add(m.Bulletin(title=PAYLOAD))
        f.add(m.BulletinSection(bulletin_id=bulletin.id, seq=1, heading=PAYLOAD, body=PAYLOAD))
        assessment = f.add(m.Assessment(case_id=case.id, scheme_id=scheme.id, note=PAYLOAD)) if scheme else None
        plan = f.add(m.DisposalPlan(case_id=case.id, title=PAYLOAD, summary=PAYLOAD))
        f.add(m.PlanMeasure(plan_id=plan.id, seq=1, content=PAYLOAD, responsible_unit_id=tax.id))
        research = f.add(m.ResearchProject(topic=PAYLOAD, problem=PAYLOAD, findings=PAYLOAD, lead_unit_id=tax.id))
        proposal = f.add(m.Proposal(title=PAYLOAD, text=PAYLOAD))
        group = f.add(m.CoordinationGroup(name=PAYLOAD, case_id=case.id, mandate=PAYLOAD))
        f.add(m.GroupLog(group_id=group.id, content=PAYLOAD))
        evaluation = f.add(m.Evaluation(year=2026, title=PAYLOAD, intro=PAYLOAD))
        f.add(m.EvaluationEntry(evaluation_id=evaluation.id, unit_id=tax.id, comment=PAYLOAD))
        clue = f.add(m.ClueReport(title=PAYLOAD, description=PAYLOAD))
        ids = dict(case=case.id, matter=matter.id, meeting=meeting.id, minutes=minutes.id, policy=policy.id,
                   bulletin=bulletin.id, plan=plan.id, research=research.id, proposal=proposal.id, group=group.id,
                   evaluation=evaluation.id, clue=clue.id, assessment=assessment.id if assessment else None)
        db.session.remove()
    return ids


@pytest.fixture
def clients(sqlite_app):
    """Role clients on the SQLite app only (conftest's `clients` would run on both backends)."""
    from tests.conftest import RoleClients

    return RoleClients(sqlite_app)


def _model_views(app):
    from flask_appbuilder import ModelView

    return [v for v in app.appbuilder.baseviews if isinstance(v, ModelView) and type(v).__module__.startswith("app.")]


def test_markup_is_escaped_on_every_list_and_show_page(sqlite_app, clients, stored):
    """Every ModelView of ours: its list page and the show page of each of its rows, as the admin."""
    from app.extensions import db

    admin = clients.web("admin")
    seen_escaped = set()
    pages = 0
    for view in _model_views(sqlite_app):
        model = view.datamodel.obj
        with sqlite_app.app_context():
            pks = [pk for (pk,) in db.session.query(model.id).limit(5)]
        urls = [f"{view.route_base}/list/"] + [f"{view.route_base}/show/{pk}" for pk in pks]
        for url in urls:
            response = admin.get(url)
            if response.status_code in (403, 404, 405):  # e.g. views without show pages
                continue
            assert response.status_code == 200, (url, response.status_code)
            html = response.get_data(as_text=True)
            assert not RAW.search(html), url
            pages += 1
            if ESCAPED_SCRIPT in html:
                seen_escaped.add(type(view).__name__)
    assert pages > 40
    # the payload really was on the pages of each mechanism's main records
    for name in ("MatterView", "MeetingView", "MinutesView", "CaseView", "PolicyView", "BulletinView",
                 "PlanView", "ResearchView", "ProposalView", "GroupView", "EvaluationView", "ClueView"):
        assert name in seen_escaped, name


CUSTOM_PAGES = [
    ("admin", "/"), ("office", "/"), ("convener", "/"), ("viewer", "/"), ("tax", "/"),
    ("office", "/matter/supervise"), ("tax", "/matter/inbox"), ("tax", "/matter/show/{matter}"),
    ("office", "/meeting/calendar"), ("office", "/meeting/followup/{meeting}"), ("tax", "/meeting/show/{meeting}"),
    ("office", "/meeting/signin/{meeting}"), ("office", "/minutes/show/{minutes}"),
    ("office", "/caseview/ledger/"), ("office", "/caseview/show/{case}"), ("office", "/policyview/library/"),
    ("office", "/bulletinview/compose/{bulletin}"), ("office", "/bulletinview/show/{bulletin}"),
    ("office", "/assessmentview/warnings/"), ("office", "/planview/show/{plan}"),
    ("office", "/research/show/{research}"), ("office", "/proposal/show/{proposal}"),
    ("office", "/group/show/{group}"), ("office", "/evaluation/show/{evaluation}"), ("office", "/clue/show/{clue}"),
    ("office", "/audit/list/"), ("office", "/notificationview/list/"),
]


def test_markup_is_escaped_on_workbenches_home_pages_and_custom_templates(sqlite_app, clients, stored):
    checked = 0
    for username, url in CUSTOM_PAGES:
        url = url.format(**stored)
        response = clients.web(username).get(url)
        assert response.status_code == 200, (username, url, response.status_code)
        html = response.get_data(as_text=True)
        assert not RAW.search(html), (username, url)
        checked += ESCAPED_SCRIPT in html
    assert checked >= 15


def test_markup_is_escaped_in_form_values_and_search(sqlite_app, clients, stored):
    """Edit forms put the stored text in value="…" / <textarea>; a search echoes the query."""
    office = clients.web("office")
    for url in (f"/matter/edit/{stored['matter']}", f"/policyview/edit/{stored['policy']}",
                f"/research/edit/{stored['research']}"):
        response = office.get(url)
        if response.status_code == 200:
            assert not RAW.search(response.get_data(as_text=True)), url
    from urllib.parse import quote

    response = office.get("/matter/list/?_flt_2_title=" + quote(PAYLOAD))
    assert response.status_code == 200 and not RAW.search(response.get_data(as_text=True))


def _pdf_text(data: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pdf.pages))


def test_pdfs_print_the_markup_literally(sqlite_app, clients, stored):
    office = clients.web("office")
    printed = 0
    for url in (f"/matter/letter/{stored['matter']}", f"/minutes/pdf/{stored['minutes']}",
                f"/bulletinview/pdf/{stored['bulletin']}", f"/evaluation/pdf/{stored['evaluation']}",
                "/caseview/ledger/pdf", f"/meeting/followup_pdf/{stored['meeting']}"):
        response = office.get(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf", (url, response.status_code)
        text = _pdf_text(response.data)
        if "<script>alert(1)</script>" in text:
            printed += 1
        assert "&lt;" not in text and "&gt;" not in text, url  # not double-escaped either
    assert printed >= 4


def test_excel_exports_hold_the_markup_as_plain_text(sqlite_app, clients, stored):
    import openpyxl

    from app import models as m
    from app.extensions import db
    from tests.factories import Factory

    with sqlite_app.app_context():
        Factory(sqlite_app).case(enterprise_name='=HYPERLINK("http://evil.example","点我")', is_major_sensitive=True)
        db.session.remove()
    office = clients.web("office")
    for url in ("/caseview/export/xlsx", "/caseview/ledger/xlsx"):
        response = office.get(url)
        assert response.status_code == 200, url
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
        assert any(PAYLOAD in c.value for c in cells), (url, [c.value for c in cells if "alert" in c.value])
        formula_like = [c for c in cells if "HYPERLINK" in c.value]
        assert formula_like, url
        assert all(c.data_type == "s" for c in formula_like), url  # text, never a formula
    assert m.Case  # models imported for the factory

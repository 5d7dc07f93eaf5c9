"""A bulletin a reader gets through (issue 13, 10): the text summarises, the detail is an annex of
tables; the list's + drafts from the data instead of saving an empty bulletin; 起草 is in the menu."""
from __future__ import annotations

import datetime as dt
import io

import pdfplumber
import pytest

from app import models as m
from app.extensions import db
from app.services import bulletins


@pytest.fixture
def frozen_today(monkeypatch):
    from app.services import calendar

    monkeypatch.setattr(calendar, "today", lambda: dt.date(2026, 12, 3))


def test_a_busy_month_is_summarised_with_the_detail_in_an_annex(app, clients, factory, frozen_today):
    stages = ["accepted", "claims", "creditors_meeting", "bankruptcy_declared", "concluded"]
    cases = [factory.case(case_number=f"（2026）晋0829破{700 + i}号", enterprise_name=f"山西阶段{i}有限公司")
             for i in range(12)]
    for i, case in enumerate(cases):
        factory.add(m.CaseProgress(case=case, entry_date=dt.date(2026, 11, 1 + i), stage=stages[i % len(stages)],
                                   content="进入新阶段。"))
    office = db.session.query(m.AppUser).filter_by(username="office").one()
    with app.test_request_context("/"):
        from flask import g

        g.user = office
        bulletin = bulletins.draft_bulletin(db.session, office, "month", dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        db.session.commit()
        stage = next(s for s in bulletin.sections if s.heading == "案件程序进展")
        assert "12件案件报送阶段变化12次" in stage.body and "见附件" in stage.body
        assert "山西阶段0有限公司" not in stage.body  # no list of every change in the text
        annex = bulletin.sections[-1]
        assert annex.heading == bulletins.ANNEX_HEADING
        table = next(t for t in bulletins.section_data(annex)["tables"] if t["title"] == "案件程序阶段变化")
        assert len(table["rows"]) == 12
        with pdfplumber.open(io.BytesIO(bulletins.bulletin_pdf(bulletin))) as pdf:
            text = "".join((p.extract_text() or "") for p in pdf.pages).replace("\n", "").replace(" ", "")
        assert "附件：本期明细" in text and "案件程序阶段变化" in text
        assert all(f"山西阶段{i}有限" in text for i in range(12))  # every change is in the annex


def test_list_plus_drafts_from_data_and_the_draft_page_is_in_the_menu(app, clients):
    response = clients.office.get("/bulletinview/add")
    assert response.status_code == 302 and response.headers["Location"].endswith("/bulletinview/draft/")
    clients.office.post("/bulletinview/add", data={"title": "空通报", "kind": "quarter"})
    with app.app_context():
        assert db.session.query(m.Bulletin).filter_by(title="空通报").count() == 0
    home = clients.office.get("/").get_data(as_text=True)
    assert 'href="/bulletinview/draft/"' in home and "起草工作通报" in home
    assert "起草工作通报" not in clients.tax.get("/").get_data(as_text=True)

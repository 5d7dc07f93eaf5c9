"""Grading every unit on one page beside its figures (issue 13, 11), and irreversible steps that ask first."""
from __future__ import annotations

import datetime as dt

import lxml.html

from app import models as m
from app.extensions import db


def _evaluation(app, year: int):
    from app.services import evaluation as service

    with app.test_request_context("/"):
        from flask import g

        g.user = db.session.query(m.AppUser).filter_by(username="office").one()
        item = service.compute_evaluation(db.session, g.user, year)
        db.session.commit()
        return item.id, {e.unit.name: e.id for e in item.entries}


def test_all_units_graded_on_one_page_beside_their_figures(app, clients):
    with app.app_context():
        pk, entries = _evaluation(app, dt.date.today().year - 1)
    page = clients.office.get(f"/evaluation/grade/{pk}")
    assert page.status_code == 200
    tree = lxml.html.fromstring(page.get_data(as_text=True))
    rows = tree.xpath("//table[@id='grade-table']/tbody/tr")
    assert len(rows) == len(entries) >= 19
    tax_row = tree.get_element_by_id(f"entry-{entries['县税务局']}")
    assert tax_row.xpath("./th")[0].text_content().strip().startswith("县税务局")
    assert len(tax_row.xpath("./td")) >= 12  # the figures, then grade and comment
    data = {f"grade_{eid}": "良好" for eid in entries.values()}
    data.update({f"comment_{entries['县税务局']}": "按期函复率高。", f"grade_{entries['县人社局']}": "优秀"})
    assert clients.office.post(f"/evaluation/grade/{pk}", data=data).status_code == 302
    with app.app_context():
        graded = {e.unit.name: (e.grade, e.comment) for e in db.session.get(m.Evaluation, pk).entries}
    assert graded["县税务局"] == ("良好", "按期函复率高。") and graded["县人社局"][0] == "优秀"
    assert all(grade for grade, _ in graded.values())
    # an invalid grade: nothing saved, the typed comment kept, the message beside the row
    bad = {**data, f"grade_{entries['县税务局']}": "很好", f"comment_{entries['县税务局']}": "改一下评语"}
    html = clients.office.post(f"/evaluation/grade/{pk}", data=bad).get_data(as_text=True)
    row = lxml.html.fromstring(html).get_element_by_id(f"entry-{entries['县税务局']}")
    assert "评价等次只能是" in row.text_content()
    assert row.xpath(".//input[starts-with(@name,'comment_')]/@value") == ["改一下评语"]
    with app.app_context():
        assert db.session.get(m.EvaluationEntry, entries["县税务局"]).comment == "按期函复率高。"
    # units only see issued evaluations; the grading page is the office's
    assert clients.tax.get(f"/evaluation/grade/{pk}").status_code in (403, 404)


def test_irreversible_steps_ask_first(app, clients, factory):
    with app.app_context():
        pk, _ = _evaluation(app, dt.date.today().year)
        item = db.session.get(m.Evaluation, pk)
        item.status = "approved"
        db.session.commit()
    tree = lxml.html.fromstring(clients.convener.get(f"/evaluation/show/{pk}").get_data(as_text=True))
    confirm = tree.get_element_by_id("btn-issue-evaluation").get("data-confirm")
    assert f"{dt.date.today().year}年度尚未结束" in confirm
    matter = factory.matter(status="draft")
    tree = lxml.html.fromstring(clients.office.get(f"/matter/show/{matter.id}").get_data(as_text=True))
    assert "不能撤回" in tree.get_element_by_id("btn-send").get("data-confirm")

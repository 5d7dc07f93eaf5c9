"""Issue 13, 12: the timeline names people, not sign-in names, and never reads “拟办：拟办”; a
category's suggested lead unit can be changed; a scheme's version is not printed twice."""
from __future__ import annotations

import json

import lxml.html

from app import models as m
from app.extensions import db


def test_timeline_shows_peoples_names(app, clients):
    with app.app_context():
        lead = db.session.query(m.Unit).filter_by(name="县税务局").one()
    response = clients.office.post("/matter/add", data={"title": "关于税收债权申报的协调事项", "content": "请办理。",
                                                        "lead_unit": str(lead.id), "source": "office",
                                                        "assigned_date": "2026-03-02", "deadline": "2026-12-30"})
    assert response.status_code == 302
    with app.app_context():
        db.session.query(m.AppUser).filter_by(username="office").one().first_name = "李明"
        db.session.commit()
        matter = db.session.query(m.Matter).filter_by(title="关于税收债权申报的协调事项").one()
    tree = lxml.html.fromstring(clients.office.get(f"/matter/show/{matter.id}").get_data(as_text=True))
    item = tree.xpath("//ul[@class='matter-timeline']/li[@data-action='create']")[0]
    assert item.xpath(".//span[@class='who']")[0].text == "李明"
    assert "拟办：拟办" not in item.text_content().replace(" ", "")


def test_category_lead_unit_can_be_changed(app, clients):
    from app.services.matters import suggest_units

    with app.app_context():
        category = db.session.query(m.Category).filter_by(name="税收申报").one()
        lead, co = suggest_units(category)
        hr = db.session.query(m.Unit).filter_by(name="县人社局").one()
        pk, old_lead, hr_id, co_ids = category.id, lead.id, hr.id, [u.id for u in co]
    form = lxml.html.fromstring(clients.office.get(f"/categoryview/edit/{pk}").get_data(as_text=True))
    assert form.xpath("//select[@id='suggest_lead']/option[@selected]/@value") == [str(old_lead)]
    data = {"name": "税收申报", "sort_order": "3", "suggest_lead": str(hr_id),
            "suggest_co": [str(old_lead)] + [str(i) for i in co_ids]}
    version = form.xpath("//input[@name='lock_version']/@value")
    if version:
        data["lock_version"] = version[0]
    assert clients.office.post(f"/categoryview/edit/{pk}", data=data).status_code == 302
    with app.app_context():
        lead, co = suggest_units(db.session.get(m.Category, pk))
        assert lead.id == hr_id and co[0].id == old_lead
    suggestion = clients.office.get(f"/matter/suggest?category_id={pk}").get_json()
    assert suggestion["lead_unit"]["name"] == "县人社局"
    # the change of the responsibilities map is in the audit log, before and after, by the office
    with app.app_context():
        rows = (db.session.query(m.AuditLog).filter_by(table_name="category", record_id=str(pk), action="update")
                .order_by(m.AuditLog.id).all())
        changed = [json.loads(r.before)["suggested_units"] for r in rows if "suggested_units" in (r.before or "")]
        after = [json.loads(r.after)["suggested_units"] for r in rows if "suggested_units" in (r.after or "")]
        assert changed and changed[-1][0] != "县人社局" and after[-1][0] == "县人社局"
        assert {r.username for r in rows if "suggested_units" in (r.after or "")} == {"office"}


def test_scheme_version_is_not_printed_twice(app):
    with app.app_context():
        scheme = db.session.query(m.RiskScheme).first()
        assert str(scheme).count(f"第{scheme.scheme_version}版") == 1

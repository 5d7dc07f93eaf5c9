"""The office hears of what waits for it (issue 13, 9): a reply, an extension request and a meeting
proposal each leave a notice for the office — also for an office clerk set up without a unit — and
the office's home page counts pending extensions and proposals."""
from __future__ import annotations

import datetime as dt

import lxml.html

from tests.conftest import PASSWORD


def notices(client) -> str:
    return lxml.html.fromstring(client.get("/notificationview/list/").get_data(as_text=True)).text_content()


def card(client, key: str) -> int:
    tree = lxml.html.fromstring(client.get("/").get_data(as_text=True))
    return int(tree.get_element_by_id(f"stat-{key}").get("data-value"))


def test_replies_extensions_and_proposals_reach_the_office(app, clients, factory):
    from app.services.users import create_user
    from tests.conftest import RoleClients

    with app.app_context():
        create_user(username="office_nounit", password=PASSWORD, role="Office", unit_name=None, full_name="办公室小王")
    clerk = RoleClients(app).web("office_nounit")
    later = dt.date.today() + dt.timedelta(days=40)
    replied = factory.matter(title="关于税收债权申报的协调事项", deadline=later)
    extended = factory.matter(title="关于清税证明的协调事项", deadline=later)
    assert card(clients.office, "pending_extensions") == 0 and card(clients.office, "pending_proposals") == 0

    tax = clients.tax
    assert tax.post(f"/matter/sign/{replied.id}").status_code == 302
    assert tax.post(f"/matter/reply/{replied.id}", data={"content": "已申报税收债权。"}).status_code == 302
    assert tax.post(f"/matter/sign/{extended.id}").status_code == 302
    assert tax.post(f"/matter/extend/{extended.id}", data={"deadline": (later + dt.timedelta(days=10)).isoformat(),
                                                           "reason": "需等待评估报告"}).status_code == 302
    with app.app_context():
        from app import models as m
        from app.extensions import db

        hr = db.session.query(m.Unit).filter_by(name="县人社局").one()
    assert clients.hr.post("/meeting/propose", data={"title": "职工安置专题会议", "reason": "协调职工安置",
                                                     "units": [str(hr.id)]}).status_code == 302

    for client in (clients.office, clerk):
        text = notices(client)
        assert "县税务局已函复" in text and "关于税收债权申报的协调事项" in text
        assert "县税务局申请延期" in text and "关于清税证明的协调事项" in text
        assert "县人社局提议召开专题会议：职工安置专题会议" in text
    assert notices(clients.office).count("县税务局申请延期") == 1  # the unit's notice only, not twice
    assert "县人社局提议召开专题会议" in notices(clients.convener)  # the convener schedules proposals too
    assert "申请延期" not in notices(clients.hr)

    assert card(clients.office, "pending_extensions") == 1
    assert card(clients.office, "pending_proposals") == 1
    home = lxml.html.fromstring(clients.office.get("/").get_data(as_text=True))
    assert "关于清税证明的协调事项" in home.get_element_by_id("pending-extensions").text_content()
    proposals = home.xpath("//a[.//*[@id='stat-pending_proposals']]/@href")[0]
    assert "职工安置专题会议" in clients.office.get(proposals).get_data(as_text=True)
    assert card(clients.convener, "pending_proposals") == 1

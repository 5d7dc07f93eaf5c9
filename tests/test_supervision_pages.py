"""督促推进机制 through the pages: draft → sent → signed → replied (with a file) → closed, the
workbenches (本单位待办, 督办台), bulk 催办, refusals, menu entries and the navbar count."""
from __future__ import annotations

import datetime as dt
import io

from app import models as m
from app.extensions import db
from tests.supervision_support import create_draft, events, frozen, load, part, sent_matter, unit_id  # noqa: F401


def html(response) -> str:
    return response.get_data(as_text=True)


def test_main_path_through_pages(app, clients, frozen):
    office, tax, hr = clients.web("office"), clients.web("tax"), clients.web("hr")
    form = html(office.get("/matter/add"))
    assert 'name="co_unit_list"' in form and "/matter/suggest" in form
    assert 'value="2026-03-16"' in form  # default deadline: 10 working days after Monday 2026-03-02

    response = office.post("/matter/add", data={
        "title": "关于协助核查<b>股权&变更</b>的函", "lead_unit": str(unit_id(app, "县税务局")),
        "co_unit_list": [str(unit_id(app, "县市场监管局"))], "source": "office", "content": "请核查。",
        "assigned_date": "2026-03-02", "deadline": "2026-03-20"})
    assert response.status_code == 302, html(response)[:2000]
    with app.app_context():
        pk = db.session.query(m.Matter.id).filter(m.Matter.title.like("关于协助核查%")).scalar()
    matter = load(app, pk)
    assert matter.status == "draft" and [a.unit.name for a in matter.assignments] == ["县税务局", "县市场监管局"]
    assert response.headers["Location"].endswith(f"/matter/show/{pk}")
    assert "平陆县企业破产处置府院联动机制办公室</option>" not in form  # the office is never a lead unit
    assert events(app, pk) == ["create"]

    page = html(office.get(f"/matter/show/{pk}"))
    assert 'id="btn-send"' in page and "&lt;b&gt;股权&amp;变更&lt;/b&gt;" in page and "<b>股权" not in page
    response = office.post(f"/matter/send/{pk}")
    assert response.status_code == 302 and load(app, pk).status == "sent"
    page = html(office.get(f"/matter/show/{pk}", follow_redirects=True))
    assert "平府院函〔2026〕1号" in page and 'id="btn-send"' not in page and 'id="btn-remind"' in page

    # editing after sending: the page refuses and nothing changes
    response = office.get(f"/matter/edit/{pk}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/matter/show/{pk}")
    office.post(f"/matter/edit/{pk}", data={"title": "改了"})
    assert load(app, pk).title.startswith("关于协助核查")

    # the unit: navbar count, inbox, one-click sign, reply with an attachment
    inbox = html(tax.get("/matter/inbox"))
    assert 'id="nav-unread"' in inbox and f'data-matter="{pk}"' in inbox and "签收" in inbox
    response = tax.post(f"/matter/sign/{pk}", data={"next": "/matter/inbox"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/matter/inbox")
    assert load(app, pk).status == "signed"
    page = html(tax.get(f"/matter/show/{pk}"))
    assert 'id="reply-panel"' in page and 'id="btn-sign"' not in page and 'id="btn-close"' not in page

    # another unit cannot see it or act on it (404); a unit cannot close (403)
    assert hr.get(f"/matter/show/{pk}").status_code == 404
    assert hr.post(f"/matter/reply/{pk}", data={"content": "x"}).status_code == 404
    assert tax.post(f"/matter/close/{pk}").status_code == 403

    response = tax.post(f"/matter/reply/{pk}", content_type="multipart/form-data", data={
        "content": "经核查，股权变更登记材料齐全。", "result": "已办结",
        "files": (io.BytesIO(b"%PDF-1.4 test"), "核查报告.pdf")})
    assert response.status_code == 302
    matter = load(app, pk)
    assert matter.status == "replied" and part(matter, "县税务局").reply_result == "已办结"
    page = html(office.get(f"/matter/show/{pk}"))
    assert "核查报告.pdf" in page and 'id="btn-close"' in page and 'id="btn-return"' in page
    with app.app_context():
        attachment_id = db.session.query(m.Attachment.id).scalar()
    download = office.get(f"/attachment/{attachment_id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 test"

    # 退回 without a reason is refused with a message; with a reason it goes back
    response = office.post(f"/matter/return/{pk}", data={"reason": ""}, follow_redirects=True)
    assert "请填写退回理由" in html(response) and load(app, pk).status == "replied"
    office.post(f"/matter/return/{pk}", data={"reason": "请附登记档案"})
    assert load(app, pk).status == "in_progress"
    tax.post(f"/matter/reply/{pk}", data={"content": "已补充登记档案。"})
    response = office.post(f"/matter/close/{pk}", data={"note": "同意办结"})
    assert response.status_code == 302 and load(app, pk).status == "closed"
    page = html(office.get(f"/matter/show/{pk}"))
    for label in ("拟办", "函告", "签收", "函复", "退回", "办结"):
        assert f"<strong>{label}</strong>" in page
    assert events(app, pk) == ["create", "send", "sign", "reply", "return", "reply", "close"]


def test_extension_through_pages(app, clients, frozen):
    office, tax = clients.web("office"), clients.web("tax")
    pk = sent_matter(app, clients, deadline="2026-03-20")
    tax.post(f"/matter/sign/{pk}")
    page = html(tax.get(f"/matter/show/{pk}"))
    assert 'id="extend-panel"' in page
    tax.post(f"/matter/extend/{pk}", data={"deadline": "2026-04-10", "reason": "需要调取档案"})
    page = html(office.get(f"/matter/show/{pk}"))
    assert 'id="btn-ext-approve"' in page and "需要调取档案" in page
    office.post(f"/matter/extension_approve/{pk}", data={"deadline": "2026-04-10", "note": ""})
    assert load(app, pk).deadline == dt.date(2026, 4, 10)
    frozen(dt.date(2026, 4, 13))  # past the new deadline: no extension form any more
    assert 'id="extend-panel"' not in html(tax.get(f"/matter/show/{pk}"))
    response = tax.post(f"/matter/extend/{pk}", data={"deadline": "2026-05-10", "reason": "x"}, follow_redirects=True)
    assert "已超过办理期限" in html(response) and len(load(app, pk).extension_requests) == 1


def test_board_bulk_remind_counts_and_colours(app, clients, frozen):
    office = clients.web("office")
    overdue = sent_matter(app, clients, title="逾期事项", deadline="2026-03-03")
    near = sent_matter(app, clients, title="临期事项", lead="县人社局", deadline="2026-03-05")
    calm = sent_matter(app, clients, title="宽裕事项", co=("县人社局",), deadline="2026-04-30")
    frozen(dt.date(2026, 3, 4))

    page = html(office.get("/matter/supervise"))
    rows = {pk: page.index(f'data-matter="{pk}"') for pk in (overdue, near, calm)}
    assert rows[overdue] < rows[near] < rows[calm]  # most urgent first
    assert f'<tr class="alert-overdue" data-matter="{overdue}" data-alert="overdue">' in page
    assert f'<tr class="alert-near" data-matter="{near}" data-alert="near">' in page
    assert 'id="btn-bulk-remind"' in page
    # per-unit counts: 县税务局 2 open (1 overdue), 县人社局 2 open
    tax_id = unit_id(app, "县税务局")
    counts = page[page.index(f'<tr data-unit="{tax_id}">'):]
    assert "<td>2</td>" in counts.split("</tr>")[0] and 'class="count-bad">1<' in counts.split("</tr>")[0]

    only_overdue = html(office.get("/matter/supervise?alert=overdue"))
    assert f'data-matter="{overdue}"' in only_overdue and f'data-matter="{near}"' not in only_overdue
    by_unit = html(office.get(f"/matter/supervise?unit_id={unit_id(app, '县人社局')}"))
    assert f'data-matter="{calm}"' in by_unit and f'data-matter="{overdue}"' not in by_unit

    # bulk remind: all selected or nothing (a guessed pk answers 404 and creates nothing)
    assert office.post("/matter/remind_many", data={"rowid": [str(overdue), "999999"]}).status_code == 404
    with app.app_context():
        assert db.session.query(m.Reminder).count() == 0
    response = office.post("/matter/remind_many", data={"rowid": [str(overdue), str(calm)], "note": "请本周内函复"})
    assert response.status_code == 302
    with app.app_context():
        reminded = sorted((r.matter_id, r.unit_id) for r in db.session.query(m.Reminder))
        assert reminded == sorted([(overdue, tax_id), (calm, tax_id), (calm, unit_id(app, "县人社局"))])
    assert "催办" in html(clients.web("hr").get("/notificationview/list/"))

    # the list page colours rows and shows the alert too
    listing = html(office.get("/matter/list/"))
    assert 'class="alert-overdue"' in listing and 'data-alert="overdue"' in listing

    # units and viewers: no 督办台 for units; the viewer reads it but cannot remind
    assert clients.web("tax").get("/matter/supervise").status_code == 403
    viewer_page = clients.web("viewer").get("/matter/supervise")
    assert viewer_page.status_code == 200 and 'id="btn-bulk-remind"' not in html(viewer_page)
    assert clients.web("viewer").post("/matter/remind_many", data={"rowid": [str(overdue)]}).status_code == 403


def test_inbox_sorted_by_urgency_and_menus(app, clients, frozen):
    tax = clients.web("tax")
    later = sent_matter(app, clients, title="宽裕", deadline="2026-04-30")
    soon = sent_matter(app, clients, title="临期", deadline="2026-03-04")
    frozen(dt.date(2026, 3, 3))
    page = html(tax.get("/matter/inbox"))
    assert page.index(f'data-matter="{soon}"') < page.index(f'data-matter="{later}"')
    assert 'data-alert="near"' in page
    assert "本单位待办" in page and "督办台" not in page
    office_home = html(clients.web("office").get("/"))
    assert "督办台" in office_home and "本单位待办" not in office_home
    assert clients.web("office").get("/matter/inbox").status_code == 403


def test_suggest_json_for_the_add_form(app, clients):
    office = clients.web("office")
    with app.app_context():
        category_id = db.session.query(m.Category.id).filter(m.Category.name == "税收申报").scalar()
    data = office.get(f"/matter/suggest?category_id={category_id}").get_json()
    assert data["lead_unit"]["name"] == "县税务局"
    assert office.get("/matter/suggest?category_id=0").status_code == 404
    assert clients.web("tax").get(f"/matter/suggest?category_id={category_id}").status_code == 403


def test_page_forms_carry_csrf_tokens(app, clients, frozen):
    pk = create_draft(app, clients)
    page = html(clients.web("office").get(f"/matter/show/{pk}"))
    assert page.count('name="csrf_token"') >= 2

"""Issue 13 walked again in Chromium: pages a county clerk can use without training.

The same live server as tests/test_journeys.py (CSRF on, fresh SQLite database), here with demo data
(`seed demo`, as the issue was walked) and one browser context per user, signed in through the form
once per module. A failing journey keeps a screenshot and the HTML of each open page under
test-artifacts/; `look` photographs the main pages at 1280, 1440 and 390 px into test-artifacts/screens/
for a person to look at.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest

from tests import test_journeys
from tests.test_journeys import ARTIFACTS, UI, journey, select2, selected_text

# test_journeys' fixtures, here for this module (a live server, a Chromium and signed-in users of its own)
browser, live_server, signed_in, ui = test_journeys.browser, test_journeys.live_server, test_journeys.signed_in, test_journeys.ui

TODAY = dt.date.today()
SCREENS = ARTIFACTS / "screens"
pytestmark = pytest.mark.usefixtures("demo_data")


@pytest.fixture(scope="module")
def demo_data(live_server):
    from app.extensions import db
    from app.services.demo import generate_demo

    with live_server.app.app_context():
        generate_demo(30, 17)
        db.session.commit()


def login(ui, username: str, width: int = 1300, height: int = 900):
    """`username`'s page on the home page, at width × height; `page.dialogs` says what its dialogs asked,
    answered 确定 unless `page.dismiss_dialogs` (see tests/test_journeys.py UI)."""
    return ui.login(username, width=width, height=height)


def contrast(page, selector: str) -> float:
    """WCAG contrast of an element's text against its (first non-transparent) background, as rendered."""
    return page.eval_on_selector(selector, """el => {
        const rgb = s => s.match(/[\\d.]+/g).slice(0, 4).map(Number);
        const lum = c => { const v = c.slice(0, 3).map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
                           return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
        let node = el, bg = null;
        while (node) { const c = rgb(getComputedStyle(node).backgroundColor); if (c.length < 4 || c[3] > 0) { bg = c; break; } node = node.parentElement; }
        const fg = rgb(getComputedStyle(el).color), a = lum(fg), b = lum(bg || [255, 255, 255]);
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); }""")


# --------------------------------------------------------------------------- journeys

@journey
def test_new_meeting_after_demo_and_validation_keeps_the_form(ui):
    """1 and 2: after `seed demo` the office arranges a meeting (next number, no SQL); a meeting
    without a time comes back with the message beside the field and the title kept."""
    office = login(ui, "office")
    office.goto("/meeting/add")
    select2(office, "kind", "联席会议")
    office.fill("#title", "年度府院联动联席会议")
    office.click("form [type=submit].btn-primary")
    office.wait_for_load_state()
    cell = office.locator("td", has=office.locator("#start_at"))
    assert "请填写会议时间" in cell.locator(".alert-danger").inner_text()
    assert office.input_value("#title") == "年度府院联动联席会议"
    office.fill("#start_at", f"{TODAY.isoformat()}T09:00")
    office.click("form [type=submit].btn-primary")
    office.wait_for_load_state()
    page = office.content()
    assert "记录已添加" in page and "IntegrityError" not in page and "SQL" not in page
    office.goto("/meeting/list/?_flt_0_title=年度府院联动联席会议")
    assert re.search(rf"{TODAY.year}年第\d+次", office.locator("table.fyld-list").inner_text())


@journey
def test_overdue_rows_read_at_aa_and_lists_search_by_contains(ui):
    """3, 6 and 7: dark text on the alert tints; 标题 = 税务 finds matters with 税务 inside and says so;
    titles are links; a status stays on one line."""
    office = login(ui, "office")
    office.goto("/matter/supervise?alert=escalated")
    assert office.locator("#board-table tr.alert-escalated").count() > 0
    assert contrast(office, "#board-table tr.alert-escalated td.col-status_label") >= 4.5
    assert contrast(office, "#board-table tr.alert-escalated td.col-title a") >= 4.5
    bar, table = office.locator("#bulk-remind-bar").bounding_box(), office.locator("#board-table").bounding_box()
    assert bar["y"] < table["y"]  # bulk remind above the rows
    office.locator("#board-table .row-check").first.check()
    office.click("#btn-bulk-remind")
    office.wait_for_load_state()
    assert "alert=escalated" in office.url and "已催办" in office.locator(".alert").first.inner_text()
    assert office.dialogs and "催办" in office.dialogs[-1]

    office.goto("/matter/list/")
    office.locator("a", has_text=re.compile("^搜索")).first.click()
    office.locator("#filter_form button.dropdown-toggle").click()
    office.locator("#filter_form a.filter[name=title]").click()
    assert "包含" in office.locator("#filter_form table.filters").inner_text()  # the default operator
    office.locator("#filter_form .filter_val").last.fill("有限公司")  # inside the title, not at its start
    office.locator("#filter_form button[type=submit]").click()
    office.wait_for_load_state()
    assert "有限公司" in office.locator("#active-filters").inner_text()
    titles = office.locator("table td.col-title a.record-link")
    assert titles.count() > 0 and all("有限公司" in t for t in titles.all_inner_texts())
    status = office.locator("table td.col-status_label").first
    lines = status.evaluate("e => { const r = document.createRange(); r.selectNodeContents(e); "
                            "return new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size; }")
    assert lines == 1  # 已办结 on one line, not one character per line
    titles.first.click()
    office.wait_for_url(re.compile(r"/matter/show/\d+"))


@journey
def test_role_editor_in_chinese_with_confirmation(ui):
    """4 and 5: permissions named in Chinese, 导出 finds them, × asks before clearing all; the matrix
    reads by mechanism; the date picker and the select boxes speak Chinese."""
    admin = login(ui, "admin")
    admin.goto("/roles/list/")
    assert "联动办公室" in admin.locator("table.fyld-list").inner_text()
    admin.locator("table.fyld-list tr", has_text="联动办公室").locator("a[href*='/roles/edit/']").first.click()
    admin.wait_for_url(re.compile(r"/roles/edit/"))
    before = len(selected_text(admin, "permissions"))
    assert before > 50 and not [t for t in selected_text(admin, "permissions") if t.startswith("can ")]
    container = admin.locator("#permissions + .select2")
    container.locator(".select2-search__field").click()
    admin.keyboard.type("导出")
    options = admin.locator(".select2-results__option")
    options.first.wait_for()
    assert any("导出" in t for t in options.all_inner_texts())
    admin.keyboard.press("Escape")
    admin.dialogs.clear()
    admin.dismiss_dialogs = True  # the clerk answers 取消
    container.locator(".select2-selection__clear").click()
    assert admin.dialogs and "清空" in admin.dialogs[-1]
    assert len(selected_text(admin, "permissions")) == before  # nothing cleared
    admin.dismiss_dialogs = False
    admin.keyboard.press("Escape")
    admin.goto(admin.locator("#role-matrix-link").get_attribute("href"))
    admin.wait_for_url(re.compile(r"/roles/matrix/\d+"))
    headings = admin.locator(".matrix-group .panel-heading strong").all_inner_texts()
    assert headings[:4] == ["数据范围", "工作台", "督促推进", "会议机制"]  # the scope first: it decides what all else shows

    office = login(ui, "office")
    office.goto("/matter/add")
    office.click("#deadline")
    picker = office.locator(".datepicker").first
    picker.wait_for()
    assert "年" in picker.inner_text() and "一" in picker.inner_text() and "Su" not in picker.inner_text()
    office.keyboard.press("Escape")
    # 8: nothing preselected, the search box focused on open, cases searched as typed
    assert selected_text(office, "lead_unit") == ["请选择"]
    office.locator("#category + .select2 .select2-selection").click()
    assert office.evaluate("document.activeElement.classList.contains('select2-search__field')")
    office.keyboard.type("不存在的类别")
    assert "未找到结果" in office.locator(".select2-results").inner_text()
    office.keyboard.press("Escape")
    office.locator("#case + .select2 .select2-selection").click()
    office.keyboard.type("晋0829")
    office.locator(".select2-results__option", has_text="晋0829").first.wait_for()
    office.keyboard.press("Escape")


@journey
def test_office_hears_of_extension_and_grades_on_one_page(ui, live_server):
    """9, 10 and 11: a unit's extension request reaches the office (bell and home card); the
    bulletin + opens the 起草 page; every unit graded on one page; issuing asks first."""
    from app import models as m
    from app.extensions import db

    with live_server.app.app_context():
        later = TODAY + dt.timedelta(days=60)
        tax = db.session.query(m.Unit).filter_by(name="县税务局").one()
        matter = m.Matter(title="关于清税证明出具进度的协调事项", content="请出具清税证明。", lead_unit=tax, status="signed",
                          assigned_date=TODAY, deadline=later, source="office", letter_number=f"平府院函〔{TODAY.year}〕9001号",
                          letter_year=TODAY.year, letter_seq=9001, sent_at=dt.datetime.now())
        matter.assignments = [m.MatterAssignment(unit=tax, role="lead", status="signed", signed_at=dt.datetime.now())]
        db.session.add(matter)
        db.session.commit()
        matter_id = matter.id
    office = login(ui, "office")
    before = int(office.locator("#stat-pending_extensions").get_attribute("data-value"))
    unit = login(ui, "tax")
    unit.goto(f"/matter/show/{matter_id}")
    unit.fill("form[action*='/matter/extend/'] input[name=deadline]", (later + dt.timedelta(days=10)).isoformat())
    unit.fill("form[action*='/matter/extend/'] [name=reason]", "需等待资产评估报告")
    unit.locator("form[action*='/matter/extend/'] button[type=submit]").click()
    unit.wait_for_load_state()
    office.goto("/")
    assert int(office.locator("#stat-pending_extensions").get_attribute("data-value")) == before + 1
    assert "关于清税证明出具进度的协调事项" in office.locator("#pending-extensions").inner_text()
    assert office.locator("#nav-unread").count() == 1
    office.goto("/notificationview/list/")
    assert "县税务局申请延期" in office.content()

    office.goto("/bulletinview/list/")
    office.locator("a[href*='/bulletinview/add']").first.click()
    office.wait_for_url(re.compile(r"/bulletinview/draft/"))
    assert office.locator("a[href='/bulletinview/draft/']").count() >= 1  # in the menu

    office.goto("/evaluation/list/")
    office.locator("a.record-link").first.click()
    office.click("#btn-grade-all")
    office.wait_for_url(re.compile(r"/evaluation/grade/\d+"))
    rows = office.locator("#grade-table tbody tr")
    assert rows.count() >= 19
    for i in range(rows.count()):
        rows.nth(i).locator("select").select_option("合格")
    rows.first.locator("input[name^=comment_]").fill("按期函复，配合积极。")
    office.locator("#grade-form button[type=submit]").first.click()
    office.wait_for_load_state()
    assert "已保存" in office.locator(".alert").first.inner_text()
    assert office.locator("#graded-count").inner_text() == str(rows.count())


@journey
def test_timeline_names_people_and_future_meetings_wait(ui):
    """12: the timeline says who (a person's name); a meeting next month offers no 登记已召开."""
    office = login(ui, "office")
    office.goto("/meeting/add")
    select2(office, "kind", "专题会议")
    office.fill("#title", "下月召开的专题会议")
    office.fill("#start_at", f"{(TODAY + dt.timedelta(days=35)).isoformat()}T09:00")
    office.click("form [type=submit].btn-primary")
    office.wait_for_load_state()
    office.goto("/meeting/list/?_flt_0_title=下月召开的专题会议")
    office.locator("a.record-link").first.click()
    assert office.locator("#meeting-actions button", has_text="登记已召开").count() == 0
    assert office.locator("#hold-later").count() == 1
    office.goto("/matter/list/")
    office.locator("a.record-link").first.click()
    timeline = office.locator("#matter-timeline").inner_text()
    assert "拟办：拟办" not in timeline.replace(" ", "")


@journey
def test_navbar_one_row_and_inbox_on_a_phone(ui):
    """13: one navbar row at 1280 and 1440 px; at 390 px the inbox's buttons are on screen."""
    for width in (1280, 1440):
        admin = login(ui, "admin", width=width)
        assert admin.locator(".navbar").bounding_box()["height"] < 60, width
    phone = login(ui, "tax", width=390, height=844)
    phone.goto("/matter/inbox")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    button = phone.locator("#inbox-table button").first.bounding_box()
    assert 0 <= button["x"] and button["x"] + button["width"] <= 390


@pytest.mark.screens
def test_look_at_the_pages(browser, live_server):
    """Screenshots of the main pages at 1280, 1440 and 390 px (test-artifacts/screens/) to look at:
    `make screens`. Not in `make test` (40 s of Chromium that asserts only that the pages open, which
    test_chinese_everywhere checks for every page of every role)."""
    session = UI(browser, live_server.url)
    SCREENS.mkdir(parents=True, exist_ok=True)
    pages = {"office": ["/", "/matter/list/", "/matter/supervise", "/meeting/add", "/bulletinview/draft/"],
             "admin": ["/roles/list/", "/users/list/"], "tax": ["/", "/matter/inbox"]}
    try:
        for username, urls in pages.items():
            for width in (1280, 1440, 390):
                page = login(session, username, width=width)
                for url in urls:
                    assert page.goto(url).status == 200, url
                    name = re.sub(r"[^a-z0-9]+", "_", url).strip("_") or "home"
                    page.screenshot(path=str(SCREENS / f"{username}-{width}-{name}.png"), full_page=True)
    finally:
        session.close()
    assert len(list(SCREENS.glob("*.png"))) >= 27

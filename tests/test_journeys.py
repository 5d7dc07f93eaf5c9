"""Journeys in a real browser: what each role does with the product, end to end, as the user sees it.

One live server (tests/live_server.py: fresh SQLite database, CSRF on) and one Chromium for the whole
module; each user gets their own browser context (own cookies and cache), signs in through the login
form the first time and stays signed in for the module's later journeys (see UI). The journeys run in file order and
build on each other (the office's matter is the one the tax bureau signs; the meeting's decisions are
the ones the convener follows up). A failing journey leaves a screenshot and the HTML of every page
it had open under test-artifacts/ (JOURNEY_ARTIFACTS=always: after every journey).

Chromium is Debian's, never a browser downloaded by Playwright: CHROMIUM_PATH, else Debian's
`chromium-headless-shell` (the old headless shell, what Playwright itself runs headless: the same
Blink with about a third less CPU per journey than the full browser, measured), else `chromium`
(`.ci/run` installs both). Without one the module is skipped, except in CI (CI set) where it fails.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import os
import re
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PASSWORD = "correct horse battery staple"
TODAY = dt.date.today()
YEAR = TODAY.year
TIMEOUT_MS = 15_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]

MATTER_TITLE = "关于平陆县华兴机械有限公司税收债权申报的协调事项"
MEETING_TITLE = "华兴机械破产案件职工安置和税费问题专题会议"
DECISIONS = [("县税务局在十个工作日内完成华兴机械税收债权申报并出具清税意见。", "县税务局"),
             ("县人社局牵头核实华兴机械职工社会保险欠费并制定安置方案。", "县人社局")]


def _chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium-headless-shell"), shutil.which("chromium"),
                      "/usr/bin/chromium"):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the journeys must run)")
    pytest.skip(reason)


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def live_server():
    from tests.live_server import LiveServer

    server = LiveServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    path = _chromium_path()
    if path is None:
        _unavailable("no chromium binary (set CHROMIUM_PATH or install Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (requirements-dev.txt)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def state():
    """What one journey leaves for the next (ids, numbers)."""
    return {}


class UI:
    """Opens pages logged in as a given user; remembers them so a failure can photograph them.

    Each user signs in through the login form once per module, in a browser context of their own (own
    cookies, own cache), kept in `signed_in`; a later `login` of that user opens the home page in the
    same context, still signed in, as a user coming back to an open tab does (the form again if the
    product ended the session). `fresh=True` logs out and signs in through the form again."""

    def __init__(self, browser, base_url: str, signed_in: dict | None = None):
        self.browser, self.base = browser, base_url
        self.owns_contexts = signed_in is None
        self.signed_in = {} if signed_in is None else signed_in  # username -> (context, page)
        self.pages = []

    def login(self, username: str, password: str = PASSWORD, *, fresh: bool = False,
              width: int = 1300, height: int = 900):
        known = username in self.signed_in
        if known:
            page = self.signed_in[username][1]
        else:
            context = self.browser.new_context(viewport={"width": width, "height": height}, base_url=self.base,
                                               locale="zh-CN", accept_downloads=True)
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            page.on("dialog", functools.partial(_answer_dialog, page))  # 印发纪要, 催办 and 清空 ask first
            self.signed_in[username] = (context, page)
        page.dialogs, page.dismiss_dialogs = [], False  # what this journey's dialogs said; 确定 unless told
        page.set_viewport_size({"width": width, "height": height})
        self.pages.append((username, page))
        if known and fresh:
            page.goto("/logout/")
        elif known:
            page.goto("/")
            if page.locator("#home").count():
                return page
        page.goto("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("form [type=submit]")
        page.wait_for_selector("#home")  # the home page (工作台), not the login form again
        return page

    def close(self):
        if self.owns_contexts:
            close_contexts(self.signed_in)

    def save_artifacts(self, test_name: str):
        ARTIFACTS.mkdir(exist_ok=True)
        for i, (username, page) in enumerate(self.pages):
            stem = ARTIFACTS / f"{test_name}-{i}-{username}"
            try:
                page.screenshot(path=f"{stem}.png", full_page=True)
                Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
            except Exception:  # a closed page: nothing to photograph
                pass


def _answer_dialog(page, dialog):
    page.dialogs.append(dialog.message)
    dialog.dismiss() if page.dismiss_dialogs else dialog.accept()


def close_contexts(signed_in: dict):
    for context, _page in signed_in.values():
        context.close()
    signed_in.clear()


@pytest.fixture(scope="module")
def signed_in(browser):
    """Each user's browser context for the module (see UI)."""
    contexts = {}
    yield contexts
    close_contexts(contexts)


@pytest.fixture
def ui(browser, live_server, signed_in):
    session = UI(browser, live_server.url, signed_in)
    yield session
    session.close()


def journey(test):
    """On failure, save a screenshot and the HTML of each open page under test-artifacts/."""
    @functools.wraps(test)
    def run(*args, **kwargs):
        try:
            result = test(*args, **kwargs)
        except BaseException:
            kwargs["ui"].save_artifacts(test.__name__)
            raise
        if os.environ.get("JOURNEY_ARTIFACTS") == "always":  # to look at the pages of a green run
            kwargs["ui"].save_artifacts(test.__name__)
        return result
    return run


# --------------------------------------------------------------------------- helpers

def select2(page, field: str, text: str):
    """Pick `text` in the select2 box of form field `field`, as a user does (open, type, click)."""
    container = page.locator(f"#{field} + .select2")
    container.locator(".select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(text)
    page.locator(".select2-results__option", has_text=re.compile("^" + re.escape(text) + "$")).first.click()
    page.keyboard.press("Escape")  # multiple selects stay open after a pick


def type_date(page, field: str, value: str):
    """Type into a date field keystroke by keystroke: the date picker reads keyups, not a pasted value."""
    page.click(f"#{field}")
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Escape")  # close the calendar


def selected_text(page, field: str) -> list[str]:
    return page.eval_on_selector(f"#{field}", "s => Array.from(s.selectedOptions).map(o => o.text.trim())")


def flash_text(page) -> str:
    return " ".join(page.locator(".alert").all_inner_texts())


def fetch_pdf(page, href: str) -> str:
    """Download a PDF through the user's session (cookies of the page's context) and return its text."""
    import pdfplumber

    response = page.context.request.get(href)
    assert response.status == 200, f"{href}: HTTP {response.status}"
    assert response.headers["content-type"].startswith("application/pdf")
    body = response.body()
    assert body.startswith(b"%PDF-")
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        return "\n".join(p.extract_text() or "" for p in pdf.pages)


def squash(text: str) -> str:
    """PDF text without the line breaks and spaces that wrapping inserts."""
    return re.sub(r"\s+", "", text)


def small_pdf(path: Path) -> Path:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.drawString(72, 720, "Tax clearance opinion")
    c.save()
    return path


# --------------------------------------------------------------------------- journeys

@journey
def test_admin_creates_unit_user_and_grants_a_permission(ui):
    admin = ui.login("admin")

    # a UnitStaff user for 县税务局
    admin.goto("/users/add")
    admin.fill("#first_name", "王税务")
    admin.fill("#last_name", "科员")
    admin.fill("#username", "tax_wang")
    admin.fill("#email", "tax_wang@example.invalid")
    select2(admin, "unit", "县税务局")
    select2(admin, "roles", "成员单位联络人")  # role names in Chinese (issue 13, 4)
    admin.fill("#password", "平陆县税务局联络员口令2026")
    admin.fill("#conf_password", "平陆县税务局联络员口令2026")
    admin.click("form [type=submit].btn-primary")
    admin.wait_for_load_state()
    assert "记录已添加" in flash_text(admin)
    admin.goto("/users/list/")
    row = admin.locator("table tr", has_text="tax_wang")
    assert row.count() == 1
    assert "县税务局" in row.inner_text() and "成员单位联络人" in row.inner_text()

    # the new user logs in and works as 县税务局
    wang = ui.login("tax_wang", "平陆县税务局联络员口令2026")
    assert "（县税务局）" in wang.locator("#home").inner_text()
    assert wang.locator("#home").get_attribute("data-kind") == "unit"
    wang.goto("/matter/inbox")
    assert "县税务局" in wang.locator("#inbox h3").inner_text()

    # the Viewer role has no 本单位待办 yet ...
    viewer = ui.login("viewer")
    response = viewer.goto("/matter/inbox")
    assert response.status == 403 and "无权访问" in viewer.content()
    assert viewer.locator("#inbox").count() == 0
    # ... the admin adds the permission on the roles page ...
    admin.goto("/roles/list/")
    admin.locator("table tr", has_text="Viewer").locator("a[href*='/roles/edit/']").first.click()
    admin.wait_for_url(re.compile(r"/roles/edit/"))
    # permissions have Chinese names (issue 13, 4): "协调事项 · 本单位待办", not "can inbox on Matter"
    assert "协调事项 · 本单位待办" not in selected_text(admin, "permissions")
    assert not [t for t in selected_text(admin, "permissions") if t.startswith("can ")]
    before = len(selected_text(admin, "permissions"))
    select2(admin, "permissions", "协调事项 · 本单位待办")
    assert "协调事项 · 本单位待办" in selected_text(admin, "permissions")
    admin.click("form [type=submit].btn-primary")
    admin.wait_for_load_state()
    assert "记录已更新" in flash_text(admin)
    admin.goto("/roles/list/")
    admin.locator("#role-matrices a", has_text="观察员").click()
    admin.wait_for_url(re.compile(r"/roles/matrix/\d+"))
    matter_row = admin.locator("#role-matrix tr", has=admin.locator("th", has_text=re.compile("^协调事项$")))
    inbox_box = matter_row.locator("label.matrix-other", has_text="本单位待办").locator("input")
    assert inbox_box.is_checked()
    # ... and it takes effect for the viewer (a fresh login), nothing else was lost
    viewer = ui.login("viewer", fresh=True)
    viewer.goto("/matter/inbox")
    assert viewer.locator("#inbox h3").inner_text().startswith("本单位待办")
    admin.goto("/roles/list/")
    admin.locator("table tr", has_text="Viewer").locator("a[href*='/roles/edit/']").first.click()
    admin.wait_for_url(re.compile(r"/roles/edit/"))  # the edit page, not the list still unloading
    admin.wait_for_selector("#permissions", state="attached")
    assert len(selected_text(admin, "permissions")) == before + 1


@journey
def test_office_creates_sends_and_downloads_a_letter(ui, state):
    office = ui.login("office")
    office.goto("/matter/add")
    office.fill("#title", MATTER_TITLE)
    select2(office, "category", "税收申报")
    hint = office.locator("#suggest-hint")
    hint.wait_for()
    office.wait_for_function("document.querySelector('#suggest-hint').textContent.length > 0")
    assert "建议牵头单位：县税务局" in hint.inner_text()
    office.click("#suggest-apply")
    assert selected_text(office, "lead_unit") == ["县税务局"]
    office.fill("#content", "请县税务局依法申报税收债权，并说明欠税本金、滞纳金和罚款。")
    office.fill("#contact_name", "李明")
    office.fill("#contact_phone", "0359-3221234")
    office.click("form [type=submit].btn-primary")
    office.wait_for_url(re.compile(r"/matter/show/\d+"))
    state["matter_id"] = int(office.url.rstrip("/").rsplit("/", 1)[1])
    assert office.locator("#matter-status").inner_text() == "拟办"
    assert MATTER_TITLE in office.locator("#matter-page h3").inner_text()

    office.click("#btn-send")
    office.wait_for_selector("#letter-number")
    assert "已函告" in flash_text(office)
    assert office.locator("#matter-status").inner_text() == "已函告"
    number = office.locator("#letter-number").inner_text()
    assert re.fullmatch(rf"平府院函〔{YEAR}〕\d+号", number), number
    state["letter_number"] = number

    href = office.locator("a", has_text="函告 PDF").get_attribute("href")
    text = squash(fetch_pdf(office, href))
    assert squash(MATTER_TITLE) in text
    assert number in text and "县税务局" in text


@journey
def test_unit_signs_and_replies_then_office_closes(ui, state, tmp_path):
    assert "matter_id" in state, "needs the office's matter (previous journey)"
    matter_id = state["matter_id"]
    tax = ui.login("tax")
    tax.goto("/matter/inbox")
    assert "共 1 项" in tax.locator("#inbox h3").inner_text()
    row = tax.locator(f"#inbox-table tr[data-matter='{matter_id}']")
    assert MATTER_TITLE in row.inner_text()
    assert state["letter_number"] in row.inner_text() and "待签收" in row.inner_text()

    row.locator("button", has_text="签收").click()
    tax.wait_for_load_state()
    assert "已签收" in flash_text(tax)
    row = tax.locator(f"#inbox-table tr[data-matter='{matter_id}']")
    assert "已签收" in row.inner_text()

    row.locator("button", has_text="函复").click()
    form = tax.locator(f"#reply-{matter_id} form")
    form.wait_for(state="visible")
    form.locator("textarea[name=content]").fill("经核实，华兴机械欠缴增值税12.5万元，已于本月申报税收债权。")
    form.locator("input[name=result]").fill("已申报")
    form.locator("input[name=number]").fill(f"平税函〔{YEAR}〕8号")
    form.locator("input[type=file]").set_input_files(str(small_pdf(tmp_path / "清税意见.pdf")))
    form.locator("button[type=submit]").click()
    tax.wait_for_load_state()
    assert "已函复" in flash_text(tax)
    assert "本单位暂无待签收或待函复的协调事项" in tax.locator("#inbox").inner_text()

    office = ui.login("office")
    office.goto(f"/matter/show/{matter_id}")
    assert office.locator("#matter-status").inner_text() == "已函复"
    page_text = office.locator("#matter-page").inner_text()
    assert "清税意见.pdf" in page_text and "已申报" in page_text
    attachment = office.locator("a[href^='/attachment/']").first.get_attribute("href")
    response = office.context.request.get(attachment)
    assert response.status == 200 and response.body().startswith(b"%PDF-")

    office.fill("#matter-actions input[name=note]", "税收债权已申报，办结。")
    office.click("#btn-close")
    office.wait_for_load_state()
    assert "已办结" in flash_text(office)
    assert office.locator("#matter-status").inner_text() == "已办结"
    office.goto("/matter/list/")
    assert "已办结" in office.locator("table tr", has_text=MATTER_TITLE).inner_text()


@journey
def test_office_holds_a_meeting_and_issues_the_minutes(ui, state):
    office = ui.login("office")
    office.goto("/meeting/add")
    select2(office, "kind", "专题会议")
    office.fill("#title", MEETING_TITLE)
    start = dt.datetime.combine(TODAY, dt.time(8, 30))  # today: a future meeting cannot be registered as held
    office.fill("#start_at", start.strftime("%Y-%m-%dT%H:%M"))  # <input type=datetime-local>
    office.fill("#place", "县人民法院第三会议室")
    office.fill("#chair", "张副院长")
    office.fill("#convener", "赵副县长")
    select2(office, "units", "县税务局")
    select2(office, "units", "县人社局")
    office.click("form [type=submit].btn-primary")
    office.wait_for_load_state()
    assert "记录已添加" in flash_text(office)
    office.goto("/meeting/list/")
    office.locator("table tr", has_text=MEETING_TITLE).locator("a[href*='/meeting/show/']").first.click()
    office.wait_for_url(re.compile(r"/meeting/show/\d+"))
    state["meeting_id"] = int(re.search(r"/meeting/show/(\d+)", office.url).group(1))
    actions = office.locator("#meeting-actions")
    assert "已安排" in actions.inner_text()
    assert f"{YEAR}年第1次专题会议" in actions.inner_text()

    actions.locator("button", has_text="登记已召开").click()
    office.wait_for_load_state()
    assert "已召开" in office.locator("#meeting-actions").inner_text()

    office.locator("#meeting-actions button", has_text="起草会议纪要").click()
    office.wait_for_url(re.compile(r"/minutes/show/\d+"))
    minutes_url = office.url
    assert "纪要草稿" in office.locator("#minutes-actions").inner_text()

    office.locator("#minutes-actions a", has_text="编辑正文").click()
    office.wait_for_url(re.compile(r"/minutes/edit/\d+"))
    office.fill("#body", "会议听取了华兴机械破产案件进展情况的汇报，研究了职工安置和税费问题。\n一、会议议定事项\n现纪要如下。")
    office.click("form [type=submit].btn-primary")
    office.wait_for_load_state()

    deadline = (TODAY + dt.timedelta(days=30)).isoformat()
    for seq, (content, unit) in enumerate(DECISIONS, start=1):
        office.goto(minutes_url)
        office.locator("#minutes-actions a", has_text="添加议定事项").click()
        office.wait_for_url(re.compile(r"/decision/add"))
        office.fill("#seq", str(seq))
        office.fill("#content", content)
        select2(office, "lead_unit", unit)
        type_date(office, "deadline", deadline)
        office.click("form [type=submit].btn-primary")
        office.wait_for_load_state()
        assert "记录已添加" in flash_text(office)

    office.goto(minutes_url)
    table = office.locator("#minutes-actions + .panel table")
    assert table.locator("tbody tr").count() == 2
    office.locator("#minutes-actions button", has_text="印发纪要").click()  # confirm() accepted
    office.wait_for_load_state()
    assert "纪要已印发" in flash_text(office)
    number = office.locator("#minutes-actions strong").first.inner_text()
    assert number == f"平府院联纪〔{YEAR}〕1号", number
    assert "已印发" in office.locator("#minutes-actions").inner_text()
    rows = office.locator("#minutes-actions + .panel table tbody tr")
    for i, (content, unit) in enumerate(DECISIONS):
        text = rows.nth(i).inner_text()
        assert content in text and unit in text and deadline in text
        assert "已函告" in text  # each decision became a matter, sent at once
    assert "县税务局" in office.locator("#minutes-actions + .panel .panel-footer").inner_text()

    href = office.locator("#minutes-actions a", has_text="打印 / PDF").get_attribute("href")
    text = squash(fetch_pdf(office, href))
    assert squash(number) in text
    content, unit = DECISIONS[0]   # "县税务局在…": the sentence names the lead once (由县税务局…)
    assert squash(content.removeprefix(unit)) in text and squash(unit + unit) not in text
    state["minutes_number"] = number
    state["deadline"] = deadline


@journey
def test_convener_sees_dashboard_and_followup(ui, state):
    assert "meeting_id" in state, "needs the meeting (previous journey)"
    convener = ui.login("convener")
    home = convener.locator("#home")
    assert home.get_attribute("data-kind") == "convener"

    def card(key: str) -> int:
        value = convener.locator(f"#stat-{key}")
        assert value.inner_text() == value.get_attribute("data-value")  # the number is on screen
        return int(value.inner_text())

    # the office's letter is closed; the two decisions are open matters, none overdue or replied
    assert card("open_matters") == 2
    assert card("overdue_matters") == 0
    assert card("replied_matters") == 0
    assert card("minutes_waiting") == 0
    # the list behind the card shows the same matters
    convener.locator("#cards a", has=convener.locator("#stat-open_matters")).click()
    convener.wait_for_url(re.compile(r"/matter/list/"))
    for content, unit in DECISIONS:
        assert convener.locator("table tr", has_text=unit).count() >= 1

    convener.goto(f"/meeting/show/{state['meeting_id']}")
    assert "纪要已印发" in convener.locator("#meeting-actions").inner_text()
    convener.locator("#meeting-actions a[href*='/meeting/followup/']").click()
    convener.wait_for_url(re.compile(r"/meeting/followup/\d+"))
    assert state["minutes_number"] in convener.locator(".panel-body p").first.inner_text()
    assert "议定事项2项" in convener.locator("#followup-summary").inner_text()
    rows = convener.locator("#followup-table tbody tr")
    assert rows.count() == 2
    for i, (content, unit) in enumerate(DECISIONS):
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert cells[0] == f"（{i + 1}）"
        assert cells[1] == content and cells[2].startswith(unit)
        assert cells[3] == state["deadline"]
        assert cells[4] == "已函告" and cells[5] == "未函复"


@journey
def test_administrator_asks_office_decides_units_answer_results_pdf(ui, state, live_server, tmp_path):
    """协调申请 and 信息核查 (issue 14): the office puts the administrator on the case; the administrator
    files a coordination request and an information check; the office accepts both (the first becomes
    a draft matter it sends, the second one sent matter per unit); 县税务局 and 县人社局 answer; the
    administrator reads the answers and downloads the 核查结果 PDF."""
    from app import models as m
    from app.extensions import db

    with live_server.app.app_context():
        case = m.Case(case_number=f"（{YEAR}）晋0829破88号", enterprise_name="平陆县鑫源煤业有限公司", stage="accepted",
                      procedure_type="liquidation", credit_code="91140829MA0K000008", acceptance_date=TODAY)
        db.session.add(case)
        db.session.commit()
        case_id = case.id

    office = ui.login("office")
    office.goto(f"/caseassignment/add?_flt_0_case={case_id}")
    select2(office, "user", "trustee 破产管理人")
    select2(office, "role", "破产管理人")
    office.click("form [type=submit].btn-primary")
    office.wait_for_load_state()
    assert "记录已添加" in flash_text(office)

    trustee = ui.login("trustee")
    assert trustee.locator("#home").get_attribute("data-kind") == "cases"
    trustee.locator("#my-cases a", has_text="平陆县鑫源煤业有限公司").click()
    trustee.wait_for_url(re.compile(rf"/caseview/show/{case_id}"))
    # a coordination request, with the court's appointment decision attached
    trustee.click("#btn-new-request")
    trustee.wait_for_url(re.compile(r"/request/add"))
    trustee.fill("#title", "协调办理鑫源煤业名下车辆过户")
    trustee.fill("#needs", "债务人名下三辆货车已拍卖成交，需办理过户登记，请协调县公安局办理。")
    trustee.fill("#reason", "拍卖成交确认书已出具。")
    select2(trustee, "suggested_units", "县公安局")
    trustee.locator("input[type=file][name=files]").set_input_files(str(small_pdf(tmp_path / "指定管理人决定书.pdf")))
    trustee.click("form [type=submit].btn-primary")
    trustee.wait_for_url(re.compile(r"/request/show/\d+"))
    coordination_id = int(trustee.url.rstrip("/").rsplit("/", 1)[1])
    assert trustee.locator("#request-status").inner_text() == "待审核"
    assert "指定管理人决定书.pdf" in trustee.locator("#request-files").inner_text()
    # an information check of two units
    trustee.goto(f"/caseview/show/{case_id}")
    trustee.click("#btn-new-check")
    trustee.wait_for_url(re.compile(r"/request/check"))
    for unit, item in (("县税务局", "欠税及纳税申报情况"), ("县人社局", "社会保险欠费情况")):
        trustee.locator("#catalogue tr", has_text=item).locator("input[type=checkbox]").check()
    trustee.locator("#catalogue tr", has_text="欠税及纳税申报情况").locator("input[type=text], input:not([type])").last.fill("含滞纳金")
    trustee.fill("#reason", "编制债务人财产状况报告")
    trustee.click("#btn-submit-check")
    trustee.wait_for_url(re.compile(r"/request/show/\d+"))
    check_id = int(trustee.url.rstrip("/").rsplit("/", 1)[1])
    assert "县税务局" in trustee.locator("#check-lines").inner_text()

    # the office: the queue on its home page, then each request
    office.goto("/")
    assert office.locator("#stat-requests_waiting").inner_text() == "2"
    assert "协调办理鑫源煤业名下车辆过户" in office.locator("#request-queue").inner_text()
    office.goto(f"/request/show/{coordination_id}")
    assert selected_text(office, "accept-lead") == ["县公安局"]
    office.click("#btn-accept")
    office.wait_for_url(re.compile(r"/matter/show/\d+"))
    assert "已受理" in flash_text(office)
    assert office.locator("#matter-status").inner_text() == "拟办"
    assert "三辆货车" in office.locator("#matter-page").inner_text()
    office.click("#btn-send")
    office.wait_for_selector("#letter-number")
    office.goto(f"/request/show/{check_id}")
    plan = office.locator("#fan-out-plan").inner_text()
    assert "县税务局" in plan and "县人社局" in plan
    office.click("#btn-accept")
    office.wait_for_load_state()
    assert "已批准" in flash_text(office)
    assert office.locator("#request-status").inner_text() == "已受理"

    # two units answer from their inbox
    answers = {"tax": "截至受理日欠缴增值税8.6万元、滞纳金0.4万元，已申报税收债权。",
               "hr": "欠缴养老、失业保险费共计21.3万元，涉及职工46人。"}
    for username, text in answers.items():
        unit = ui.login(username)
        unit.goto("/matter/inbox")
        row = unit.locator("#inbox-table tr", has_text="鑫源煤业")
        row.locator("button", has_text="签收").click()
        unit.wait_for_load_state()
        row = unit.locator("#inbox-table tr", has_text="鑫源煤业")
        row.locator("button", has_text="函复").click()
        form = unit.locator(".reply-form").filter(has=unit.locator("textarea[name=content]")).locator("visible=true").first
        form.locator("textarea[name=content]").fill(text)
        form.locator("input[name=result]").fill("已查询")
        form.locator("button[type=submit]").click()
        unit.wait_for_load_state()
        assert "已函复" in flash_text(unit)

    # the administrator follows and downloads the results
    trustee.goto(f"/request/show/{check_id}")
    page_text = trustee.locator("#request-matters").inner_text()
    assert answers["tax"] in page_text and answers["hr"] in page_text
    trustee.goto("/")
    bell = trustee.locator("#my-requests").inner_text()
    assert "已受理" in bell
    trustee.goto(f"/request/show/{check_id}")
    text = re.sub(r"—\d+—", "", squash(fetch_pdf(trustee, trustee.locator("#btn-results").get_attribute("href"))))
    for expected in ("平陆县鑫源煤业有限公司信息核查结果", "县税务局", "欠税及纳税申报情况", squash(answers["tax"]),
                     "县人社局", "社会保险欠费情况", squash(answers["hr"]), "已函复2项", "含滞纳金"):
        assert expected in text, expected
    # and the case page tells the whole story
    trustee.goto(f"/caseview/show/{case_id}")
    story = trustee.locator("#case-story").inner_text()
    assert "提出信息核查" in story and "县税务局函复" in story and "风险评估" not in story

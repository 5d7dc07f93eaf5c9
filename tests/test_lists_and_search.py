"""Lists a clerk can use (issue 13, 6 and 7): search finds by 包含 by default and says what it is
filtered by; a record's title opens it; 状态 stays on one line."""
from __future__ import annotations

import lxml.html


def test_text_search_defaults_to_contains_and_shows_the_filter(app, clients, factory):
    inside = factory.matter(title="关于华兴机械税务债权申报的协调事项")
    other = factory.matter(title="关于职工安置的协调事项")
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "MatterView")
    assert str(view._filters.get_search_filters()["title"][0].name) == "包含"
    # index 0 of the title's operators: what the search form submits when the clerk just types
    html = clients.office.get("/matter/list/?_flt_0_title=税务").get_data(as_text=True)
    tree = lxml.html.fromstring(html)
    rows = tree.xpath("//table[contains(@class,'table')]//tbody/tr|//table[contains(@class,'table')]/tr[td]")
    text = " ".join(r.text_content() for r in rows)
    assert inside.title in text and other.title not in text
    bar = tree.get_element_by_id("active-filters").text_content()
    assert "标题" in bar and "包含" in bar and "税务" in bar
    assert tree.xpath("//a[@id='clear-filters']/@href") == ["/matter/list/"]
    # no filter, no bar
    assert "active-filters" not in clients.office.get("/matter/list/").get_data(as_text=True)


def test_titles_open_the_record_and_status_does_not_wrap(app, clients, factory):
    matter = factory.matter(title="关于华兴机械税务债权申报的协调事项")
    tree = lxml.html.fromstring(clients.office.get("/matter/list/").get_data(as_text=True))
    link = tree.xpath(f"//a[contains(@class,'record-link') and normalize-space()='{matter.title}']/@href")
    assert link == [f"/matter/show/{matter.id}"]
    assert tree.xpath("//td[contains(@class,'col-status_label')]")
    css = (app.root_path + "/static/css/fyld.css")
    assert ".col-status_label" in open(css, encoding="utf-8").read().split("white-space: nowrap")[0]
    # every list, not only the matters: the case list links its case numbers
    case = factory.case()
    tree = lxml.html.fromstring(clients.office.get("/caseview/list/").get_data(as_text=True))
    assert tree.xpath("//a[contains(@class,'record-link')]/@href")[0] == f"/caseview/show/{case.id}"


def test_supervision_board_bulk_remind_is_on_top_and_keeps_the_filters(app, clients, factory):
    import datetime as dt

    from app import models as m
    from app.extensions import db

    matter = factory.matter(title="关于逾期税务事项的协调事项", deadline=dt.date.today() - dt.timedelta(days=30))
    url = "/matter/supervise?status=sent"
    tree = lxml.html.fromstring(clients.office.get(url).get_data(as_text=True))
    bar, table = tree.get_element_by_id("bulk-remind-bar"), tree.get_element_by_id("board-table")
    order = [e for e in tree.iter() if e is bar or e is table]
    assert order == [bar, table]  # the remind button comes before the rows, not after 50 of them
    assert tree.xpath("//form[@id='bulk-remind']//input[@name='next']/@value") == [url]
    response = clients.office.post("/matter/remind_many", data={"rowid": [str(matter.id)], "note": "请加快办理", "next": url})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    with app.app_context():
        assert db.session.query(m.Reminder).filter_by(matter_id=matter.id).count() == 1


def test_navbar_brand_shortens_and_inbox_stacks_on_phones(app, clients):
    """Layout hooks the stylesheet relies on (the browser journeys measure the result at 1280 and 390 px)."""
    home = lxml.html.fromstring(clients.office.get("/").get_data(as_text=True))
    assert home.xpath("//*[contains(@class,'navbar-brand')]//span[@class='brand-long']")
    css = open(app.root_path + "/static/css/fyld.css", encoding="utf-8").read()
    assert ".navbar-brand .brand-long { display: none; }" in css
    assert "table.stack-on-phone thead { display: none; }" in css

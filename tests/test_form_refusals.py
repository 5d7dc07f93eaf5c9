"""A refused add or edit keeps what the user typed and says why beside the field (issue 13, 2);
a database refusal reads as a Chinese sentence, never SQL (issue 13, 1)."""
from __future__ import annotations

import datetime as dt

import lxml.html
from sqlalchemy import func, select

from app import models as m
from app.extensions import db


def field_block(html: str, field_id: str):
    """The table cell (FAB's form row) holding the input `field_id`."""
    tree = lxml.html.fromstring(html)
    found = tree.xpath(f'//*[@id="{field_id}"]/ancestor::td[1]')
    assert found, f"no field {field_id} on the page"
    return found[0]


def errors_beside(html: str, field_id: str) -> str:
    return " ".join(e.text_content().strip() for e in field_block(html, field_id).xpath('.//*[contains(@class,"alert-danger")]'))


def assert_no_internals(html: str):
    for word in ("IntegrityError", "SQL", "Traceback", "constraint", "sqlite3", "psycopg"):
        assert word not in html, word


def test_meeting_without_time_keeps_the_form(app, clients):
    response = clients.office.post("/meeting/add", data={"kind": "joint", "title": "华兴机械破产工作专题会议",
                                                         "place": "县法院第三会议室", "start_at": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 200  # the form again, not a redirect to the list
    assert "请填写会议时间" in errors_beside(html, "start_at")
    tree = lxml.html.fromstring(html)
    assert tree.get_element_by_id("title").value == "华兴机械破产工作专题会议"
    assert tree.get_element_by_id("place").value == "县法院第三会议室"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(m.Meeting)) == 0


def test_unit_staff_without_unit_keeps_the_form(app, clients):
    with app.app_context():
        role = db.session.query(m.AppUser).filter_by(username="tax").one().roles[0].id
    response = clients.admin.post("/users/add", data={
        "first_name": "王科员", "last_name": "科员", "username": "wang_no_unit", "email": "wang@example.invalid",
        "roles": [str(role)], "active": "y", "password": "平陆县税务局联络员口令2026", "conf_password": "平陆县税务局联络员口令2026"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "必须选择所属单位" in errors_beside(html, "unit")
    tree = lxml.html.fromstring(html)
    assert tree.get_element_by_id("username").value == "wang_no_unit"
    assert tree.get_element_by_id("first_name").value == "王科员"
    with app.app_context():
        assert db.session.query(m.AppUser).filter_by(username="wang_no_unit").first() is None


def test_threshold_that_is_not_a_number_keeps_the_input(app, clients):
    with app.app_context():
        setting = db.session.query(m.Setting).filter_by(value_type="int").first()
        pk, before = setting.id, setting.value
    response = clients.admin.post(f"/settingview/edit/{pk}", data={"value": "abc"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "必须是非负整数" in errors_beside(html, "value")
    assert lxml.html.fromstring(html).get_element_by_id("value").value.strip() == "abc"
    with app.app_context():
        db.session.expire_all()
        assert db.session.get(m.Setting, pk).value == before


def test_duplicate_reads_as_a_chinese_sentence_beside_the_field(app, clients):
    day = dt.date(2031, 10, 1)
    assert clients.admin.post("/holidayview/add", data={"day": day.isoformat(), "kind": "holiday", "name": "国庆节"}).status_code == 302
    response = clients.admin.post("/holidayview/add", data={"day": day.isoformat(), "kind": "holiday", "name": "国庆节（重复）"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert_no_internals(html)
    assert "存在" in errors_beside(html, "day")  # FAB's unique check, before the database
    assert lxml.html.fromstring(html).get_element_by_id("name").value == "国庆节（重复）"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(m.Holiday).where(m.Holiday.day == day)) == 1


def test_database_refusal_of_a_workflow_step_is_a_chinese_sentence(app, clients):
    """A counter behind the data (as the old demo left it) makes the database refuse the number:
    the convener sees a Chinese sentence on the meeting page, not a 500 page or SQL."""
    from tests.factories import Factory

    year = dt.date.today().year
    with app.app_context():
        factory = Factory(app)
        factory.meeting(kind="special", title="已编号的专题会议", year=year, seq=1, status="scheduled",
                        start_at=dt.datetime(year, 1, 5, 9))
        proposal = factory.meeting(kind="special", title="成员单位提议的专题会议", status="proposed", start_at=None,
                                   year=None, seq=None)
        db.session.commit()
        pk = proposal.id
    response = clients.convener.post(f"/meeting/schedule/{pk}", data={
        "start_at": f"{year}-12-30T09:00", "place": "县法院"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert_no_internals(html)
    assert "与已有会议重复" in html  # the meeting counter behind the demo data, in words
    with app.app_context():
        assert db.session.get(m.Meeting, pk).status == "proposed"


def test_database_error_names_the_columns_in_chinese(app):
    from sqlalchemy.exc import IntegrityError

    from app.views.forms import database_error

    with app.app_context():
        db.session.add(m.DocCounter(kind="letter", year=2031, last_number=1))
        db.session.commit()
        db.session.add(m.DocCounter(kind="letter", year=2031, last_number=2))
        try:
            db.session.commit()
        except IntegrityError as exc:
            message, columns = database_error(exc)
        else:
            raise AssertionError("the database accepted a duplicate counter")
        finally:
            db.session.rollback()
    assert set(columns) == {"kind", "year"}
    assert message.startswith("保存失败：类别、年度与已有记录重复")

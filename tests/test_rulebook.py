"""The rulebook holds on every path (issue 11): every registered page and API of every child model
meets the lock of its parent — edit, move out, move in, delete, add — and each refusal is shown to be
the lock's doing by a control run against an open parent that succeeds with the same request.

The views are discovered from the app, not listed: a child view added later is walked too.
"""
from __future__ import annotations

import datetime as dt
import itertools

import lxml.html
import pytest
from sqlalchemy import inspect as sa_inspect

from app import models as m
from app.extensions import db
from app.models.locks import RULES

_n = itertools.count(1)


def _unit(name="县税务局"):
    return db.session.query(m.Unit).filter(m.Unit.name == name).one()


def _case():
    n = next(_n)
    case = m.Case(case_number=f"（2026）晋0829破{900 + n}号", enterprise_name=f"规则测试{n}有限公司",
                  credit_code="91350100M000100Y43", procedure_type="liquidation", stage="accepted")
    db.session.add(case)
    return case


def _meeting(locked):
    n = next(_n)
    return m.Meeting(kind="joint", title=f"规则会议{n}", start_at=dt.datetime(2026, 3, 16, 9), status=
                     "minutes_issued" if locked else "scheduled", year=2026, seq=100 + n)


# child model -> (relation to the parent, a text column to change, builder(locked) -> (parent, child))
def _decision(locked, unit="县税务局"):
    n = next(_n)
    minutes = m.Minutes(meeting=_meeting(False), title=f"纪要{n}", body="正文", status="issued" if locked else "draft",
                        number=f"平府院联纪〔2026〕{500 + n}号" if locked else None)
    minutes.distributions = [m.MinutesDistribution(unit=_unit(unit), kind="main")]
    child = m.Decision(minutes=minutes, seq=1, content="完成税收债权申报", lead_unit=_unit(unit), deadline=dt.date(2030, 1, 1))
    return minutes, child


def _topic(locked, unit="县税务局"):
    meeting = _meeting(locked)
    return meeting, m.MeetingTopic(meeting=meeting, title="听取破产审判情况报告", reporting_unit=_unit(unit))


def _attendance(locked, unit="县税务局"):
    meeting = _meeting(locked)
    return meeting, m.Attendance(meeting=meeting, unit=_unit(unit), status="present", person_name="张三")


def _section(locked, unit="县税务局"):
    n = next(_n)
    bulletin = m.Bulletin(kind="month", title=f"通报{n}", status="issued" if locked else "draft",
                          number=f"第{700 + n}期" if locked else None)
    bulletin.distributions = [m.BulletinDistribution(unit=_unit(unit))]
    return bulletin, m.BulletinSection(bulletin=bulletin, seq=1, heading="一、案件受理情况", body="本期受理3件")


def _measure(locked, unit="县税务局"):
    plan = m.DisposalPlan(case=_case(), title="维稳处置方案", status="approved" if locked else "draft")
    return plan, m.PlanMeasure(plan=plan, seq=1, content="做好职工安置", responsible_unit=_unit(unit),
                               deadline=dt.date(2030, 1, 1))


def _group(locked):
    return m.CoordinationGroup(name=f"协调组{next(_n)}", case=_case(), status="dissolved" if locked else "active")


def _member(locked, unit="县税务局"):
    group = _group(locked)
    return group, m.GroupMember(group=group, role="member", unit=_unit(unit), person_name="李四")


def _log(locked, unit="县税务局"):
    group = _group(locked)
    group.members = [m.GroupMember(role="member", unit=_unit(unit), person_name="王五")]
    return group, m.GroupLog(group=group, log_date=dt.date(2026, 3, 2), content="召开协调会", author="办公室")


def _entry(locked, unit="县税务局"):
    evaluation = m.Evaluation(year=2000 + next(_n), title="年度评价", status="issued" if locked else "draft")
    return evaluation, m.EvaluationEntry(evaluation=evaluation, unit=_unit(unit), metrics="{}")


def _line(locked, unit="县税务局"):
    """An item of an information check (issue 14): frozen once the office has decided the request."""
    n = next(_n)
    request = m.CoordinationRequest(kind="check", case=_case(), title=f"信息核查{n}", needs="",
                                    status="accepted" if locked else "submitted")
    item = (db.session.query(m.CheckItem).filter(m.CheckItem.unit_id == _unit(unit).id)
            .order_by(m.CheckItem.id.desc()).first())  # not the first of the add form's choices
    return request, m.CheckLine(request=request, item=item, unit=item.unit, note="车牌号晋M12345")


CHILDREN = {
    m.Decision: ("minutes", "content", _decision),
    m.MeetingTopic: ("meeting", "title", _topic),
    m.Attendance: ("meeting", "person_name", _attendance),
    m.BulletinSection: ("bulletin", "heading", _section),
    m.PlanMeasure: ("plan", "content", _measure),
    m.GroupMember: ("group", "person_name", _member),
    m.GroupLog: ("group", "content", _log),
    m.EvaluationEntry: ("evaluation", "comment", _entry),
    m.CheckLine: ("request", "note", _line),
}


def test_every_locked_child_model_is_walked():
    """A child model added to the rulebook must get a builder here, or this test fails."""
    with_views = {model for model in RULES.children if model not in (m.MatterAssignment, m.MinutesDistribution,
                                                                      m.BulletinDistribution, m.Matter)}
    assert with_views <= set(CHILDREN)


def _views(app, model):
    from app.views.base import ScopedApi, ScopedModelView

    pages = [v for v in app.appbuilder.baseviews if isinstance(v, ScopedModelView) and v.datamodel.obj is model]
    apis = [v for v in app.appbuilder.baseviews if isinstance(v, ScopedApi) and v.datamodel.obj is model]
    return pages, apis


def _build(model, locked, unit="县税务局"):
    parent, child = CHILDREN[model][2](locked, unit)
    db.session.add_all([parent, child])
    db.session.commit()
    return parent.id, child.id


def _fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def _form(html: str, page_url: str) -> dict:
    """The values a browser would submit from the page's main form."""
    doc = lxml.html.fromstring(html)
    forms = [f for f in doc.forms if (f.method or "").upper() == "POST"]
    assert forms, f"no form on {page_url}"
    form = max(forms, key=lambda f: len(f.inputs))
    data: dict = {}
    for element in form.inputs:
        name = element.name
        if not name:
            continue
        if element.tag == "select":
            values = [o.get("value") for o in element.findall(".//option") if o.get("selected") is not None]
            data[name] = values if element.multiple else (values[0] if values else "")
        elif element.tag == "textarea":
            data[name] = element.text or ""
        elif element.get("type") in ("checkbox", "radio"):
            if element.checked:
                data[name] = element.get("value") or "y"
        elif element.get("type") not in ("submit", "button", "file"):
            data[name] = element.get("value") or ""
    return data


def _fill_blanks(data: dict, model, html: str) -> dict:
    """Required values for a new record: dates, numbers, text, the first choice of each select."""
    doc = lxml.html.fromstring(html)
    columns = {c.key: c for c in sa_inspect(model).columns}
    for select in doc.iter("select"):
        name = select.get("name")
        if name and data.get(name) in (None, "", "__None", [], ["__None"]):  # the blank first entry
            options = [o.get("value") for o in select.findall(".//option") if o.get("value") not in (None, "", "__None")]
            if options:
                data[name] = [options[0]] if select.get("multiple") is not None else options[0]
    for key, value in list(data.items()):
        if value not in ("", None):
            continue
        column = columns.get(key)
        kind = type(column.type).__name__ if column is not None else "String"
        data[key] = {"Date": "2030-01-01", "DateTime": "2030-01-01 09:00:00", "Integer": "1"}.get(kind, "规则测试")
    return data


def _edit_page(web, view, pk, changes: dict):
    url = f"{view.route_base}/edit/{pk}"
    page = web.get(url)
    assert page.status_code == 200, (url, page.status_code)
    data = _form(page.get_data(as_text=True), url)
    data.update(changes)
    return web.post(url, data=data)


def _add_page(web, view, model, relation, parent_id, text_column):
    url = f"{view.route_base}/add"
    page = web.get(url)
    assert page.status_code == 200, (url, page.status_code)
    html = page.get_data(as_text=True)
    data = _fill_blanks(_form(html, url), model, html)
    data[relation] = str(parent_id)
    data[text_column] = "新增的记录"
    return web.post(url, data=data)


def _children_of(model, relation, parent_id) -> int:
    column = next(iter(sa_inspect(model).relationships[relation].local_columns))
    db.session.expire_all()
    return db.session.query(model).filter(column == parent_id).count()


PAGE_CASES = [pytest.param(model, id=model.__name__) for model in CHILDREN]


@pytest.mark.parametrize("model", PAGE_CASES)
def test_child_pages_follow_the_parent_lock(app, clients, factory, model):
    relation, text_column, _ = CHILDREN[model]
    fk = next(iter(sa_inspect(model).relationships[relation].local_columns)).key
    pages, _apis = _views(app, model)
    assert pages, f"{model.__name__} has no page"
    web = clients.web("admin")  # every permission: only the lock can refuse
    for view in pages:
        can = {"edit": "can_edit" in view.base_permissions, "add": "can_add" in view.base_permissions,
               "delete": "can_delete" in view.base_permissions}
        if can["edit"]:
            # control: the same edit under an open parent goes through …
            _, open_child = _build(model, locked=False)
            _edit_page(web, view, open_child, {text_column: "改过的内容"})
            assert getattr(_fresh(model, open_child), text_column) == "改过的内容", "control edit failed"
            # … and is refused under a locked one
            locked_parent, locked_child = _build(model, locked=True)
            before = getattr(_fresh(model, locked_child), text_column)
            _edit_page(web, view, locked_child, {text_column: "印发后改过"})
            assert getattr(_fresh(model, locked_child), text_column) == before
            # moving out of the locked parent, and into it, are refused too
            other_open, _ = _build(model, locked=False)
            if relation in (view.edit_columns or []):
                _edit_page(web, view, locked_child, {relation: str(other_open)})
                assert getattr(_fresh(model, locked_child), fk) == locked_parent, "moved out of a locked parent"
                _edit_page(web, view, open_child, {relation: str(locked_parent)})
                assert getattr(_fresh(model, open_child), fk) != locked_parent, "moved into a locked parent"
        if can["delete"]:
            _, open_child = _build(model, locked=False)
            web.post(f"{view.route_base}/delete/{open_child}")
            assert _fresh(model, open_child) is None, "control delete failed"
            _, locked_child = _build(model, locked=True)
            web.post(f"{view.route_base}/delete/{locked_child}")
            assert _fresh(model, locked_child) is not None
        if can["add"]:
            open_parent, _ = _build(model, locked=False)
            before = _children_of(model, relation, open_parent)
            _add_page(web, view, model, relation, open_parent, text_column)
            assert _children_of(model, relation, open_parent) == before + 1, "control add failed"
            locked_parent, _ = _build(model, locked=True)
            before = _children_of(model, relation, locked_parent)
            response = _add_page(web, view, model, relation, locked_parent, text_column)
            assert response.status_code < 500
            assert _children_of(model, relation, locked_parent) == before


def test_child_apis_follow_the_parent_lock(app, clients, factory):
    api = clients.api("admin")
    walked = 0
    for model, (relation, text_column, _) in CHILDREN.items():
        fk = next(iter(sa_inspect(model).relationships[relation].local_columns)).key
        for view in _views(app, model)[1]:
            walked += 1
            url = f"/api/v1/{view.resource_name}"
            _, open_child = _build(model, locked=False)
            assert api.put(f"{url}/{open_child}", json={text_column: "改过的内容"}).status_code == 200
            locked_parent, locked_child = _build(model, locked=True)
            other_open, _ = _build(model, locked=False)
            assert api.put(f"{url}/{locked_child}", json={text_column: "印发后改过"}).status_code == 409
            assert api.put(f"{url}/{locked_child}", json={relation: other_open}).status_code == 409
            assert getattr(_fresh(model, locked_child), fk) == locked_parent
            assert api.put(f"{url}/{open_child}", json={relation: locked_parent}).status_code == 409
            assert api.delete(f"{url}/{locked_child}").status_code == 409
            assert _fresh(model, locked_child) is not None
            assert api.delete(f"{url}/{open_child}").status_code == 200
    assert walked, "no child API found"


def test_issue_sample_decision_moved_then_deleted(clients, factory):
    """The sample from the issue: PUT {"minutes": <other>} then DELETE on a decision of issued minutes."""
    issued, decision = _build(m.Decision, locked=True)
    draft, _ = _build(m.Decision, locked=False)
    api = clients.api("office")
    assert api.put(f"/api/v1/decision/{decision}", json={"minutes": draft}).status_code == 409
    assert api.delete(f"/api/v1/decision/{decision}").status_code == 409
    assert _fresh(m.Decision, decision).minutes_id == issued


def test_dissolved_group_takes_no_task_even_below_the_services(factory):
    """A matter cannot be put into a dissolved group by any path (the ORM itself refuses)."""
    from app.services.errors import BusinessError

    group = _group(locked=True)
    db.session.add(group)
    db.session.commit()
    unit = _unit()
    matter = m.Matter(title="组内任务", lead_unit=unit, status="draft", group=group)
    matter.assignments = [m.MatterAssignment(unit=unit, role="lead")]
    db.session.add(matter)
    with pytest.raises(BusinessError):
        db.session.flush()
    db.session.rollback()


def test_sent_matter_keeps_its_units_and_text(factory):
    """Parts of a sent matter cannot be added or removed, nor its letter text changed, by any path."""
    from app.services.errors import BusinessError

    matter = m.Matter(title="已函告事项", lead_unit=_unit(), status="sent", letter_number="平府院函〔2026〕900号")
    matter.assignments = [m.MatterAssignment(unit=_unit(), role="lead")]
    db.session.add(matter)
    db.session.commit()
    matter.assignments.append(m.MatterAssignment(unit=_unit("县人社局"), role="co"))
    with pytest.raises(BusinessError):
        db.session.flush()
    db.session.rollback()
    matter = _fresh(m.Matter, matter.id)
    matter.assignments = []
    with pytest.raises(BusinessError):
        db.session.flush()
    db.session.rollback()
    matter = _fresh(m.Matter, matter.id)
    matter.title = "改了标题"
    with pytest.raises(BusinessError):
        db.session.flush()
    db.session.rollback()
    # the workflow columns still move
    matter = _fresh(m.Matter, matter.id)
    matter.status = "signed"
    db.session.commit()
    assert _fresh(m.Matter, matter.id).status == "signed"


def test_parallel_extension_requests_leave_one_pending(app, clients, factory):
    """Three simultaneous 申请延期 for one matter through the API: the database keeps exactly one."""
    import threading

    matter_id = factory.matter(status="sent", deadline=dt.date.today() + dt.timedelta(days=30)).id
    headers = clients.api("tax").headers
    count = 3
    barrier = threading.Barrier(count)
    codes: list = []

    def extend(n):
        client = app.test_client()
        barrier.wait(timeout=30)
        response = client.post(f"/api/v1/item/{matter_id}/extend", headers=headers, json={
            "deadline": (dt.date.today() + dt.timedelta(days=40 + n)).isoformat(), "reason": "需调取材料"})
        codes.append(response.status_code)

    threads = [threading.Thread(target=extend, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    db.session.expire_all()
    pending = db.session.query(m.ExtensionRequest).filter_by(matter_id=matter_id, status="pending").count()
    assert pending == 1
    assert sorted(codes) == [200, 409, 409]


@pytest.mark.parametrize("model", PAGE_CASES)
def test_child_views_keep_other_units_rows_out(app, clients, factory, model):
    """Every page and API of every child model, as 县税务局's liaison: another unit's row answers 404
    (403 where the role lacks the permission at all) and is unchanged; the unit's own row shows."""
    relation, text_column, _ = CHILDREN[model]
    sm = app.appbuilder.sm
    tax = db.session.query(m.AppUser).filter_by(username="tax").one()
    pages, apis = _views(app, model)
    web, api = clients.web("tax"), clients.api("tax")
    hidden_by_draft = model is m.EvaluationEntry  # an issued evaluation is every unit's to read
    _, hidden = _build(model, locked=not hidden_by_draft, unit="县人社局")
    _, visible = _build(model, locked=True, unit="县税务局")
    before = getattr(_fresh(model, hidden), text_column)

    def may(permission, view):
        return sm.exist_permission_on_roles(view.class_permission_name, permission, [r.id for r in tax.roles])

    def expect(response, permission, view):
        assert response.status_code == (404 if may(permission, view) else 403), (response.request.path, permission)

    for view in pages:
        base = view.route_base
        expect(web.get(f"{base}/show/{hidden}"), "can_show", view)
        if may("can_show", view):
            assert web.get(f"{base}/show/{visible}").status_code == 200
        if "can_edit" in view.base_permissions:
            expect(web.get(f"{base}/edit/{hidden}"), "can_edit", view)
            expect(web.post(f"{base}/edit/{hidden}", data={text_column: "越权修改"}), "can_edit", view)
        if "can_delete" in view.base_permissions:
            expect(web.post(f"{base}/delete/{hidden}"), "can_delete", view)
    for view in apis:  # the API shares the page's permission names (app/views/base.py)
        url = f"/api/v1/{view.resource_name}/{hidden}"
        expect(api.get(url), "can_show", view)
        expect(api.put(url, json={text_column: "越权修改"}), "can_edit", view)
        expect(api.delete(url), "can_delete", view)
    row = _fresh(model, hidden)
    assert row is not None and getattr(row, text_column) == before


def test_a_lock_holds_on_a_record_changed_without_being_read(factory):
    """Setting a column on an object the last commit expired, without reading it first: the lock is
    judged by the row as it was, not by the value being set."""
    from app.services.errors import BusinessError

    parent, child = _build(m.Decision, locked=True)
    minutes = db.session.get(m.Minutes, parent)
    db.session.commit()  # expires everything
    minutes.status = "draft"  # reopening issued minutes, blind
    with pytest.raises(BusinessError):
        db.session.flush()
    db.session.rollback()
    assert _fresh(m.Minutes, parent).status == "issued"

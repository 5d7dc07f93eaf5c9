"""Drop-downs that cannot mislead (issue 13, 8): nothing preselected, no "__None", cases searched
by typing through an endpoint that returns only the user's cases."""
from __future__ import annotations

import lxml.html


def test_lead_unit_and_coded_choices_start_empty(app, clients):
    tree = lxml.html.fromstring(clients.office.get("/matter/add").get_data(as_text=True))
    lead = tree.get_element_by_id("lead_unit")
    selected = lead.xpath("./option[@selected]")
    assert [o.text for o in selected] == ["请选择"]  # not the first unit (a test matter went to the court)
    assert "__None" not in [o.text for o in tree.xpath("//option")]
    # a group member's role is chosen, not defaulted to 法院牵头领导
    member_form = clients.office.get("/groupmember/add")
    assert member_form.status_code == 200
    role = lxml.html.fromstring(member_form.get_data(as_text=True)).get_element_by_id("role")
    assert role.xpath("./option")[0].get("value") == "" and role.xpath("./option")[0].text == "请选择"
    assert not role.xpath("./option[@selected]") or role.xpath("./option[@selected]")[0].get("value") == ""
    # a blank lead unit is refused beside the field, the title kept
    html = clients.office.post("/matter/add", data={"title": "关于测试的协调事项", "content": "请办理", "source": "office",
                                                    "assigned_date": "2026-03-02", "lead_unit": "__None"}).get_data(as_text=True)
    tree = lxml.html.fromstring(html)
    cell = tree.xpath('//*[@id="lead_unit"]/ancestor::td[1]')[0]
    assert cell.xpath('.//*[contains(@class,"alert-danger")]')
    assert tree.get_element_by_id("title").value == "关于测试的协调事项"


def test_cases_come_from_a_scoped_search_endpoint(app, clients, factory):
    mine = factory.case(enterprise_name="山西华兴机械有限公司")
    other = factory.case(enterprise_name="山西华兴纺织有限公司")
    factory.matter(lead="县税务局", case=mine)  # the tax bureau sees `mine` through its matter
    office = clients.office.get("/caseview/choices?q=华兴").get_json()
    assert {r["text"] for r in office["results"]} >= {str(mine), str(other)}
    assert [r["id"] for r in office["results"]][:2] == [str(other.id), str(mine.id)]  # newest first
    tax = clients.tax.get("/caseview/choices?q=华兴").get_json()
    assert [r["id"] for r in tax["results"]] == [str(mine.id)]
    # the add form lists no case up front: it is searched as the user types
    tree = lxml.html.fromstring(clients.office.get("/matter/add").get_data(as_text=True))
    case_select = tree.get_element_by_id("case")
    assert case_select.get("data-remote") == "/caseview/choices"
    assert [o.get("value") for o in case_select.xpath("./option")] == ["__None"]
    # another unit's case id posted by hand is refused, nothing saved
    before = clients.tax.get("/caseprogressview/list/").get_data(as_text=True).count("record-link")
    response = clients.tax.post("/caseprogressview/add", data={"case": str(other.id), "entry_date": "2026-03-02",
                                                               "content": "越权报送"})
    assert response.status_code == 200 and "越权报送" in response.get_data(as_text=True)  # the form again
    assert clients.tax.get("/caseprogressview/list/").get_data(as_text=True).count("record-link") == before

"""What the documents say, from the records (issue 12): units' full names in the reply letter's red
mark, a contact line without the role, the true 总第N期 of a bulletin, and a demo evaluation whose
metrics have the computed shape so its PDF prints.  Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import io
import json
import re

import pdfplumber
from sqlalchemy import func, select, update

from app import models as m
from app.extensions import db
from app.services.demo import generate_demo
from app.services.evaluation import METRICS, compute_unit_metrics
from tests.conftest import PASSWORD

TODAY = dt.date(2026, 5, 20)


def pdf_lines(data: bytes) -> list[tuple[str, dict]]:
    """(text, first char) per line, in reading order."""
    out = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            rows: dict[int, list] = {}
            for ch in page.chars:
                if ch["text"].strip():
                    rows.setdefault(round(ch["top"]), []).append(ch)
            for _, chars in sorted(rows.items()):
                chars.sort(key=lambda c: c["x0"])
                out.append(("".join(c["text"] for c in chars), chars[0]))
    return out


def test_every_unit_has_a_full_name_and_seed_load_fills_only_empty_ones(app):
    from app.services.seeding import load_units

    with app.app_context():
        units = db.session.execute(select(m.Unit)).scalars().all()
        assert len(units) == 20 and all(u.full_name for u in units)
        tax = db.session.execute(select(m.Unit).where(m.Unit.name == "县税务局")).scalar_one()
        hr = db.session.execute(select(m.Unit).where(m.Unit.name == "县人社局")).scalar_one()
        assert tax.document_name == "国家税务总局平陆县税务局"
        try:
            tax.full_name = None                        # a database from before the column
            hr.full_name = "平陆县人社局（编辑过）"        # what an administrator typed
            db.session.commit()
            load_units(db.session)
            db.session.commit()
            assert tax.full_name == "国家税务总局平陆县税务局"
            assert hr.full_name == "平陆县人社局（编辑过）"
        finally:
            hr.full_name = "平陆县人力资源和社会保障局"
            db.session.commit()


def test_admin_edits_the_full_name_through_the_api(app, clients):
    with app.app_context():
        unit = db.session.execute(select(m.Unit).where(m.Unit.name == "县工商联")).scalar_one()
        pk, before = unit.id, unit.full_name
    api = clients.api("admin")
    try:
        res = api.put(f"/api/v1/unit/{pk}", json={"full_name": "平陆县工商业联合会（总商会）"})
        assert res.status_code == 200, res.get_json()
        assert api.get(f"/api/v1/unit/{pk}").get_json()["result"]["full_name"] == "平陆县工商业联合会（总商会）"
    finally:
        with app.app_context():
            db.session.execute(update(m.Unit).where(m.Unit.id == pk).values(full_name=before))
            db.session.commit()


def test_users_add_keeps_the_role_out_of_the_name_and_the_reply_prints_the_full_name(app, runner, clients, factory):
    result = runner.invoke(args=["users", "add", "--username", "wang", "--password", PASSWORD, "--role", "UnitStaff",
                                 "--unit", "县税务局", "--name", "王税务"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.execute(select(m.AppUser).where(m.AppUser.username == "wang")).scalar_one()
        assert (user.first_name, user.last_name) == ("王税务", "联络人")     # 职务, not the role's code
        pk = factory.matter(lead="县税务局", title="关于协助申报税收债权的函", letter_number="平府院函〔2026〕3号").id
    wang = clients.api("wang")
    assert wang.post(f"/api/v1/item/{pk}/sign").status_code == 200
    assert wang.post(f"/api/v1/item/{pk}/reply", json={"content": "我局已依法申报税收债权。"}).status_code == 200
    res = clients.api("office").get(f"/api/v1/item/{pk}/reply-letter")
    assert res.status_code == 200
    lines = pdf_lines(res.data)
    mark, first = lines[0]
    assert mark == "国家税务总局平陆县税务局" and first["non_stroking_color"][0] > 0.8   # red, the full name
    text = "".join(t for t, _ in lines)
    assert "联系人：王税务" in text and "UnitStaff" not in text and "王税务联络人" not in text
    assert lines[-1][0] != "国家税务总局平陆县税务局"            # signed too (the date is the last line)
    assert any(t == "国家税务总局平陆县税务局" for t, _ in lines[1:])


def test_demo_evaluation_has_the_computed_shape_and_its_pdf_prints(app, clients):
    with app.app_context():
        generate_demo(30, 7, today=TODAY)
        evaluation = db.session.execute(select(m.Evaluation)).scalar_one()
        pk, year = evaluation.id, evaluation.year
        entries = {e.unit_id: json.loads(e.metrics) for e in evaluation.entries}
        units = [e.unit for e in evaluation.entries]
        assert len(entries) == 19
        for data in entries.values():
            assert set(data) == {key for key, _, _ in METRICS}
            assert all(set(item) == {"label", "value", "derivation", "items"} for item in data.values())
        computed = compute_unit_metrics(db.session, year, units, on=TODAY)
        assert entries == {uid: json.loads(json.dumps(v, ensure_ascii=False)) for uid, v in computed.items()}
        assert sum(d["lead"]["value"] for d in entries.values()) > 0          # the year really had matters
        first = evaluation.entries[0]
        short = first.unit.short_name or first.unit.name
        lead_co = f"{entries[first.unit_id]['lead']['value']}/{entries[first.unit_id]['co']['value']}"
    res = clients.api("office").get(f"/api/v1/evaluation/{pk}/pdf")
    assert res.status_code == 200 and res.data.startswith(b"%PDF")
    row = next(t for t, _ in pdf_lines(res.data) if t.startswith(short))
    assert row.startswith(short + lead_co)
    assert clients.office.get(f"/evaluation/show/{pk}").status_code == 200


def test_an_evaluation_with_metrics_of_an_older_demo_still_prints(app, clients):
    """Databases seeded before the fix hold bare numbers: the page and the PDF show — instead of a 500."""
    with app.app_context():
        generate_demo(5, 3, today=TODAY)
        evaluation = db.session.execute(select(m.Evaluation)).scalar_one()
        pk = evaluation.id
        for entry in evaluation.entries:
            entry.metrics = json.dumps({"assigned": 4, "on_time": 3, "overdue": 1, "meetings": 2, "on_time_rate": 75.0})
        db.session.commit()
    res = clients.api("office").get(f"/api/v1/evaluation/{pk}/pdf")
    assert res.status_code == 200 and "—/—" in "".join(t for t, _ in pdf_lines(res.data))
    assert clients.office.get(f"/evaluation/show/{pk}").status_code == 200


def test_bulletin_running_count_is_the_true_count(app, clients):
    """总第N期 continues from the bulletins already issued — after the demo, and in a database whose
    counter lags behind them (an older demo numbered bulletins without it)."""
    with app.app_context():
        generate_demo(12, 3, today=TODAY)
        top = db.session.scalar(select(func.max(m.Bulletin.total_seq)))
        issued = db.session.scalar(select(func.count()).select_from(m.Bulletin).where(m.Bulletin.status == "issued"))
        assert top == issued >= 4
        counter = db.session.execute(select(m.DocCounter).where(m.DocCounter.kind == "bulletin_total")).scalar_one()
        assert counter.last_number == top
        draft = db.session.execute(select(m.Bulletin).where(m.Bulletin.status == "draft")).scalar_one()
        pk = draft.id
        counter.last_number = 0                      # the lagging counter of an older database
        db.session.commit()
    res = clients.api("office").post(f"/api/v1/bulletin/{pk}/issue")
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["result"]["issue_label"].endswith(f"（总第{top + 1}期）")
    pdf = clients.api("office").get(f"/api/v1/bulletin/{pk}/pdf")
    assert re.search(rf"第\d+期（总第{top + 1}期）", "".join(t for t, _ in pdf_lines(pdf.data)))

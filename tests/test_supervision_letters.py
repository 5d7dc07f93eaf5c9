"""函告 / 函复 PDFs (text extracted with pdfplumber: Chinese, numbers, markup-like titles printed
literally) and letter numbers unique per year under concurrent sends on PostgreSQL."""
from __future__ import annotations

import io
import re
import threading

import pdfplumber
import pytest

from app import models as m
from app.extensions import db
from tests.supervision_support import create_draft, frozen, load, sent_matter, unit_id  # noqa: F401

TITLE = "关于协助办理<b>股权&变更</b>登记的函"


def pdf_text(data: bytes) -> str:
    assert data[:5] == b"%PDF-"
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pdf.pages))


def test_letter_pdf_prints_user_text_literally(app, clients, frozen):
    pk = sent_matter(app, clients, title=TITLE, co=("县市场监管局",), deadline="2026-03-20")
    response = clients.api("office").get(f"/api/v1/item/{pk}/letter")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    text = pdf_text(response.data)
    assert "<b>股权&变更</b>" in text
    for expected in ("平陆县企业破产处置府院联动机制办公室", "平府院函〔2026〕1号", "县税务局：", "请依法申报税收债权",
                     "请于2026年3月20日前将办理结果函复我办", "抄送：县市场监管局", "特此函告"):
        assert expected in text, expected
    # the unit reads it through the API and the page; another unit gets 404
    assert clients.api("tax").get(f"/api/v1/item/{pk}/letter").status_code == 200
    assert clients.api("hr").get(f"/api/v1/item/{pk}/letter").status_code == 404
    page = clients.web("tax").get(f"/matter/letter/{pk}")
    assert page.status_code == 200 and "<b>股权&变更</b>" in pdf_text(page.data)
    assert clients.web("hr").get(f"/matter/letter/{pk}").status_code == 404


def test_reply_letter_of_lead_and_co_unit(app, clients, frozen):
    pk = sent_matter(app, clients, title=TITLE, co=("县人社局",))
    office, tax, hr = clients.api("office"), clients.api("tax"), clients.api("hr")
    early = office.get(f"/api/v1/item/{pk}/reply-letter")
    assert early.status_code == 409 and "尚未函复" in early.get_json()["message"]
    tax.post(f"/api/v1/item/{pk}/sign")
    tax.post(f"/api/v1/item/{pk}/reply", json={"content": "我局已申报税收债权<i>1,234,567.89</i>元。",
                                               "result": "已办结", "number": "平税函〔2026〕8号"})
    text = pdf_text(office.get(f"/api/v1/item/{pk}/reply-letter").data)
    for expected in ("国家税务总局平陆县税务局", "平税函〔2026〕8号", "平陆县企业破产处置府院联动机制办公室：", "<i>1,234,567.89</i>",
                     "平府院函〔2026〕1号", "<b>股权&变更</b>", "办理结果：已办结"):
        assert expected in text, expected
    hr_id = unit_id(app, "县人社局")
    assert office.get(f"/api/v1/item/{pk}/reply-letter?unit_id={hr_id}").status_code == 409
    assert office.get(f"/api/v1/item/{pk}/reply-letter?unit_id={unit_id(app, '县财政局')}").status_code == 404
    hr.post(f"/api/v1/item/{pk}/sign")
    hr.post(f"/api/v1/item/{pk}/reply", json={"content": "已核查社保欠费情况。"})
    text = pdf_text(hr.get(f"/api/v1/item/{pk}/reply-letter?unit_id={hr_id}").data)
    assert "平陆县人力资源和社会保障局" in text and "已核查社保欠费情况" in text   # the unit's full name
    assert clients.api("viewer").get(f"/api/v1/item/{pk}/reply-letter").status_code == 200


def test_letter_numbers_are_sequential_per_year(app, clients, frozen):
    first = sent_matter(app, clients)
    second = sent_matter(app, clients)
    assert (load(app, first).letter_seq, load(app, second).letter_seq) == (1, 2)
    assert load(app, second).letter_number == "平府院函〔2026〕2号"


def test_letter_numbers_unique_under_concurrent_sends(app, factory):
    if app.config["DB_BACKEND"] != "postgresql":
        pytest.skip("row locks under concurrency are proven on PostgreSQL")
    import datetime as dt

    from app.services import matters as svc

    count = 8
    ids = [factory.matter(status="draft", deadline=dt.date.today() + dt.timedelta(days=30)).id for _ in range(count)]
    barrier = threading.Barrier(count)
    errors: list = []

    def send(pk):
        try:
            with app.app_context():
                session = db.session
                user = session.query(m.AppUser).filter(m.AppUser.username == "office").one()
                matter = session.get(m.Matter, pk)
                barrier.wait(timeout=30)
                svc.send_matter(session, matter, user)
                session.commit()
                session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=send, args=(pk,)) for pk in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    db.session.expire_all()
    rows = db.session.query(m.Matter.letter_seq, m.Matter.letter_number).filter(m.Matter.id.in_(ids)).all()
    assert sorted(seq for seq, _ in rows) == list(range(1, count + 1))
    assert len({number for _, number in rows}) == count

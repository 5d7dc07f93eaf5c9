"""Minutes and follow-up PDFs built from the records and served by the API: GB/T 9704 geometry,
Chinese text in reading order, markup printed literally, pagination. Rendering does not depend on
the database, so these run on SQLite only."""
from __future__ import annotations

import datetime as dt
import io
import re

import pdfplumber
import pytest

from app import models as m
from app.extensions import db
from app.pdf import samples

MM = 72 / 25.4
A4 = (595.28, 841.89)
PAGE_NO = re.compile(r"^—\s*(\d+)\s*—$")
DEADLINE = dt.date.today() + dt.timedelta(days=30)
EXTRA = 45                    # extra paragraphs that lay the minutes out on exactly 10 pages
MARKUP_TITLE = "关于<b>股权&变更</b>问题的会议纪要"
MARKUP_BODY = "一、会议认为\n（一）请核实&amp;处理，<font color=red>不要</font>遗漏。<br/>\n1.第一点<script>x</script>。"


@pytest.fixture
def env(sqlite_app):
    from tests.conftest import RoleClients
    from tests.factories import Factory

    with sqlite_app.app_context():
        yield RoleClients(sqlite_app), Factory(sqlite_app)


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def lines_of(page) -> list[list[dict]]:
    rows: dict[int, list] = {}
    for ch in page.chars:
        if ch["text"].strip():
            rows.setdefault(round(ch["top"]), []).append(ch)
    return [sorted(v, key=lambda c: c["x0"]) for _, v in sorted(rows.items())]


def body_lines(page):
    return [ln for ln in lines_of(page) if not PAGE_NO.match("".join(c["text"] for c in ln))]


def text_of(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = [p.extract_text() or "" for p in pdf.pages]
    return squash("".join("\n".join(ln for ln in t.splitlines() if not PAGE_NO.match(ln.strip())) for t in pages))


def issued_minutes(clients, factory, *, title=MARKUP_TITLE, body=MARKUP_BODY, kind="joint"):
    meeting = factory.meeting(units=("县税务局",), status="held", kind=kind, chair="张某某（副县长）",
                              start_at=dt.datetime.combine(dt.date.today(), dt.time(9)))
    for unit, status, name, note in (("县税务局", "present", "<i>王某</i>", None), ("县人社局", "leave", "赵某某", "因公出差"),
                                     ("县工商联", "nonvoting", "孙某某", None)):
        db.session.add(m.Attendance(meeting=meeting, unit=factory.unit(unit), status=status, person_name=name,
                                    person_title="副局长", note=note))
    minutes = m.Minutes(meeting=meeting, title=title, body=body, cc_text="县委办公室，县人大常委会办公室", status="draft")
    minutes.decisions = [
        m.Decision(seq=1, content="核实&amp;<b>处理</b>税收债权", lead_unit=factory.unit("县税务局"), deadline=DEADLINE),
        m.Decision(seq=2, content="完成职工劳动关系处理方案", lead_unit=factory.unit("县人社局"),
                   co_units=[factory.unit("县民政局")], deadline=DEADLINE),
    ]
    db.session.add(minutes)
    db.session.commit()
    r = clients.api("office").post(f"/api/v1/minutes/{minutes.id}/issue")
    assert r.status_code == 200, r.json
    return meeting, minutes.id, r.json["result"]["number"]


def get_pdf(client, url) -> bytes:
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.data.startswith(b"%PDF-")
    return r.data


def test_minutes_pdf_layout_text_and_literal_markup(env):
    clients, factory = env
    meeting, minutes_id, number = issued_minutes(clients, factory)
    data = get_pdf(clients.api("convener"), f"/api/v1/minutes/{minutes_id}/pdf")
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            assert sorted((float(page.width), float(page.height))) == pytest.approx(sorted(A4), abs=1)
            assert page.height > page.width
            chars = [c for ln in body_lines(page) for c in ln]
            assert min(c["x0"] for c in chars) / MM >= 28 - 1
            assert max(c["x1"] for c in chars) / MM <= 28 + 156 + 1
            assert min(c["top"] for c in chars) / MM >= 37 - 1
            assert max(c["bottom"] for c in chars) / MM <= 37 + 225 + 1
        first = body_lines(pdf.pages[0])
        mark = first[0]
        assert "".join(c["text"] for c in mark) == "平陆县企业破产处置府院联动联席会议纪要"
        assert mark[0]["top"] / MM == pytest.approx(37 + 35, abs=1)            # 35 mm below the top of the block (§10.3)
        assert all(c["non_stroking_color"] and c["non_stroking_color"][0] > 0.8 for c in mark)   # red
        issuer = next(ln for ln in first if "".join(c["text"] for c in ln).startswith("平陆县企业破产处置府院联动机制办公室"))
        assert issuer[0]["x0"] / MM == pytest.approx(28, abs=1)               # binding-side margin
        heading = next(ln for ln in first if "".join(c["text"] for c in ln).startswith("一、会议认为"))
        assert heading[0]["x0"] / MM == pytest.approx(28 + 2 * 16 / MM, abs=1)  # indented two characters

    text = text_of(data)
    order = ["平陆县企业破产处置府院联动联席会议纪要", "第1期", number, squash(MARKUP_TITLE), "一、会议认为",
             "（一）请核实&amp;处理，<fontcolor=red>不要</font>遗漏。<br/>", "1.第一点<script>x</script>。",
             "二、会议议定事项", "（一）由县税务局于", "核实&amp;<b>处理</b>税收债权。",
             "（二）由县人社局牵头，县民政局配合", "出席：张某某（副县长）（主持）", "<i>王某</i>（县税务局副局长）",
             "请假：赵某某（县人社局副局长）（因公出差）", "列席：孙某某（县工商联副局长）",
             "分送：", "抄送：县委办公室，县人大常委会办公室。", "印发"]
    positions = [text.find(s) for s in order]
    assert all(p >= 0 for p in positions), [s for s, p in zip(order, positions) if p < 0]
    assert positions == sorted(positions)
    sent_to = text[positions[-3] + 3:positions[-2]].rstrip("。").split("，")
    assert sorted(sent_to) == sorted(["县税务局", "县人社局", "县民政局", "县工商联"])

    # the page route prints the same document for a signed-in user
    web = clients.web("office").get(f"/minutes/pdf/{minutes_id}")
    assert web.status_code == 200 and web.headers["Content-Type"] == "application/pdf"


def test_special_meeting_mark_and_amendment_line(env):
    clients, factory = env
    meeting, minutes_id, number = issued_minutes(clients, factory, kind="special", title="专题会议纪要",
                                                 body="会议研究了职工安置问题。")
    r = clients.api("office").post(f"/api/v1/minutes/{minutes_id}/amend")
    assert r.status_code == 201
    data = get_pdf(clients.api("office"), f"/api/v1/minutes/{r.json['id']}/pdf")
    text = text_of(data)
    assert text.startswith("平陆县企业破产处置府院联动专题会议纪要")
    assert "（草稿）" in text and f"（修订{number}）" in text


def test_ten_page_minutes_paginate_with_page_numbers(env):
    clients, factory = env
    body = samples.minutes(extra_paragraphs=EXTRA).body
    meeting, minutes_id, number = issued_minutes(clients, factory, title="关于推进破产重整工作的会议纪要", body=body)
    data = get_pdf(clients.api("office"), f"/api/v1/minutes/{minutes_id}/pdf")
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 10
        for n, page in enumerate(pdf.pages, 1):
            numbers = [ln for ln in lines_of(page) if PAGE_NO.match("".join(c["text"] for c in ln))]
            assert len(numbers) == 1, n
            assert PAGE_NO.match("".join(c["text"] for c in numbers[0])).group(1) == str(n)
            assert numbers[0][0]["top"] / MM > 37 + 225                        # below the text block
            if 1 < n < 10:
                lines = body_lines(page)
                assert len(lines) == 22, n
                assert lines[0][0]["top"] / MM == pytest.approx(37, abs=1)
    text = text_of(data)
    pos = [text.find(f"第{i}项工作情况") for i in range(3, 3 + EXTRA)]
    assert all(p > 0 for p in pos) and pos == sorted(pos)                      # nothing lost, in order
    assert text.find("会议议定事项") > pos[-1]


def test_followup_pdf(env):
    clients, factory = env
    meeting, minutes_id, number = issued_minutes(clients, factory)
    matter = db.session.query(m.Matter).order_by(m.Matter.id).all()[1]
    matter.deadline = dt.date.today() - dt.timedelta(days=20)
    db.session.commit()
    data = get_pdf(clients.api("office"), f"/api/v1/meeting/{meeting.id}/followup")
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert all(p.height > p.width for p in pdf.pages)
        table = [[squash(c or "") for c in row] for t in pdf.pages[0].extract_tables() for row in t]
    assert table[0] == ["序号", "议定事项", "牵头单位", "期限", "状态", "函复情况", "预警"]
    assert table[1][0] == "（1）" and table[1][3] == f"{DEADLINE:%Y-%m-%d}"
    assert table[1][1] == "核实&amp;<b>处理</b>税收债权" and table[1][4] == "已函告" and table[1][5] == "未函复"
    assert "县民政局" in table[2][2] and table[2][6] in ("逾期", "严重逾期")
    text = text_of(data)
    assert "议定事项督促落实情况" in text and number in text
    assert "议定事项2项" in text and "逾期1项" in text
    web = clients.web("office").get(f"/meeting/followup_pdf/{meeting.id}")
    assert web.status_code == 200 and web.headers["Content-Type"] == "application/pdf"
    assert clients.api("convener").get(f"/api/v1/meeting/{meeting.id}/followup").status_code == 200

"""PDF documents (app.pdf): GB/T 9704 geometry, extractable Chinese text, literal user text,
pagination, font fallback.  Self-contained: measures the PDFs with pdfplumber/pypdf only."""
from __future__ import annotations

import io
import os
import re
from datetime import date

import pdfplumber
import pytest

from app.pdf import (BulletinData, BulletinSection, DecisionLine, Letterhead, TableData, build_bulletin, build_evaluation, build_followup, build_ledger,
                     build_letter, build_minutes, build_reply_letter, register_fonts)
from app.pdf import fonts as fontmod
from app.pdf import samples
from app.pdf.documents import decision_sentence
from app.pdf.gbt9704 import NO_LINE_START, break_lines, cn_number

MM = 72 / 25.4
A4 = (595.28, 841.89)
PAGE_NO = re.compile(r"^—\s*(\d+)\s*—$")
UMING = "/usr/share/fonts/truetype/arphic/uming.ttc"
HAVE_TTF = all(os.path.exists(p) for p in fontmod.KNOWN_BODY_PATHS)
TEN_PAGES_EXTRA = 42          # samples.minutes(extra_paragraphs=42) lays out to exactly 10 pages


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def open_pdf(data: bytes):
    return pdfplumber.open(io.BytesIO(data))


def text_of(data: bytes) -> list[str]:
    """Extracted text per page, without the page-number line."""
    with open_pdf(data) as pdf:
        pages = [p.extract_text() or "" for p in pdf.pages]
    return ["\n".join(ln for ln in t.splitlines() if not PAGE_NO.match(ln.strip())) for t in pages]


def lines_of(page) -> list[list[dict]]:
    rows: dict[int, list] = {}
    for ch in page.chars:
        if ch["text"].strip():
            rows.setdefault(round(ch["top"]), []).append(ch)
    return [sorted(v, key=lambda c: c["x0"]) for _, v in sorted(rows.items())]


def body_lines(page) -> list[list[dict]]:
    """Text lines of a page without the page number."""
    return [ln for ln in lines_of(page) if not PAGE_NO.match("".join(c["text"] for c in ln))]


@pytest.fixture(scope="module")
def docs() -> dict[str, bytes]:
    return {
        "letter": build_letter(samples.letter()),
        "reply": build_reply_letter(samples.reply()),
        "minutes": build_minutes(samples.minutes()),
        "bulletin": build_bulletin(samples.bulletin()),
        "evaluation": build_evaluation(samples.evaluation()),
        "followup": build_followup(samples.followup()),
        "ledger": build_ledger(samples.ledger(30)),
    }


@pytest.fixture(scope="module")
def ten_pages() -> bytes:
    return build_minutes(samples.minutes(extra_paragraphs=TEN_PAGES_EXTRA))


EXPECTED = {
    "letter": ["平陆县企业破产处置府院联动机制办公室", "平府院函〔2026〕15号", "县税务局：",
               "请于2026年4月15日前将办理结果函复我办。", "联系人：王某某", "0359-3521234", "2026年3月20日",
               "抄送：县人民法院，县财政局。"],
    "reply": ["国家税务总局平陆县税务局", "平税函〔2026〕8号", "你办《关于协助办理山西某某煤业有限公司税收债权申报事宜的函》"
              "（平府院函〔2026〕15号）收悉。", "1,234,567.89元", "办理结果：已办结。", "2026年4月11日"],
    "minutes": ["平陆县企业破产处置府院联动联席会议纪要", "第2期", "2026年3月18日", "二、会议议定事项",
                "（一）由县人社局牵头，县民政局配合，于2026年4月30日前完成该公司职工劳动关系处理方案",
                "（二）由县税务局于2026年4月15日前依法完成税收债权申报", "出席：张某某（副县长）", "请假：", "列席：",
                "分送：府院联动机制各成员单位。", "2026年3月18日印发"],
    "bulletin": ["平陆县企业破产处置府院联动工作通报", "2026年第1期（总第4期）", "各成员单位：", "一、总体情况",
                 "附表", "各成员单位协调事项办理情况统计表", "平均办理天数", "县行政审批服务管理局"],
    "evaluation": ["平府院通〔2027〕1号", "2026年度成员单位考评结果", "县人社局（优秀）。", "2027年1月20日"],
    "followup": ["第二次联席会议议定事项督促落实情况", "平府院联纪〔2026〕2号", "牵头单位", "2026-05-31"],
    "ledger": ["重大敏感破产案件台账", "平陆县企业破产处置府院联动机制办公室", "2026年4月1日"],
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_builder_makes_a4_pdf_with_extractable_chinese(docs, name):
    data = docs[name]
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    with open_pdf(data) as pdf:
        for page in pdf.pages:
            size = sorted((float(page.width), float(page.height)))
            assert size == pytest.approx(sorted(A4), abs=1), size
            if name == "ledger":
                assert page.width > page.height          # landscape table
            else:
                assert page.height > page.width
    text = squash("".join(text_of(data)))
    title = {"letter": samples.letter().title, "reply": samples.reply().title, "minutes": samples.minutes().title,
             "bulletin": samples.bulletin().title, "evaluation": samples.evaluation().title,
             "followup": samples.followup().title, "ledger": samples.ledger().title}[name]
    assert squash(title) in text
    for s in EXPECTED[name]:
        assert squash(s) in text, s


def test_minutes_reading_order(docs):
    text = squash("".join(text_of(docs["minutes"])))
    m = samples.minutes()
    first_decision = squash(decision_sentence(m.decisions[0]))[:20]
    i_title, i_dec, i_present = text.find(squash(m.title)), text.find(first_decision), text.find("出席：")
    assert -1 < i_title < i_dec < i_present < text.find("分送：")


def test_decision_wording():
    d = DecisionLine(3, "研究提出采矿权处置意见", "县自然资源局", ["县应急局", "县财政局"], date(2026, 5, 31))
    assert decision_sentence(d) == "（三）由县自然资源局牵头，县应急局、县财政局配合，于2026年5月31日前研究提出采矿权处置意见。"
    d = DecisionLine(12, "完成税收债权申报。", "县税务局", [], None)
    assert decision_sentence(d) == "（十二）由县税务局完成税收债权申报。"
    assert [cn_number(n) for n in (1, 10, 11, 20, 99, 105)] == ["一", "十", "十一", "二十", "九十九", "一百零五"]


MARKUP = ["<b>股权&变更</b>", "&amp;", "<font color=red>", "<br/>"]


def test_markup_is_printed_literally():
    head = Letterhead()
    body = "一、关于<b>股权&变更</b>事项\n请核实&amp;处理，<font color=red>不要</font>遗漏。<br/>"
    letter = build_letter(samples.letter(title="关于<b>股权&变更</b>的函", body=body, cc_units=["<i>县财政局</i>"]))
    minutes = build_minutes(samples.minutes(title="<b>股权&变更</b>会议纪要", body=body,
                                            decisions=[DecisionLine(1, "核实&amp;<b>处理</b>", "县<税务>局", [], None)]))
    bulletin = build_bulletin(BulletinData(head, "平府院通〔2026〕4号", "第1期", "<b>股权&变更</b>", date(2026, 4, 8),
                                           "各成员单位", [BulletinSection("<u>情况</u>", body)],
                                           [TableData(["<b>单位</b>", "a&b"], [["<font color=red>", "&amp;"]], "<title>")]))
    for data in (letter, minutes, bulletin):
        text = squash("".join(text_of(data)))
        assert squash("<b>股权&变更</b>") in text
        for s in MARKUP:
            assert squash(s) in text, s
    assert "<i>县财政局</i>" in squash("".join(text_of(letter)))
    assert "由县<税务>局核实&amp;<b>处理</b>。" in squash("".join(text_of(minutes)))
    assert squash("<title>") in squash("".join(text_of(bulletin)))


def test_text_block_geometry(docs, ten_pages):
    with open_pdf(ten_pages) as pdf:
        first = body_lines(pdf.pages[0])
        # page 1: the red 纪要 mark's top edge 35 mm below the block's (§10.3), issuer line at the binding margin
        assert first[0][0]["top"] / MM == pytest.approx(37 + 35, abs=1)
        issuer = next(ln for ln in first if "".join(c["text"] for c in ln).startswith("平陆县企业破产处置府院联动机制办公室"))
        assert issuer[0]["x0"] / MM == pytest.approx(28, abs=1)
        # page 2: pure body text, 22 lines of at most 28 characters filling the block
        lines = body_lines(pdf.pages[1])
        assert lines[0][0]["top"] / MM == pytest.approx(37, abs=1)
        assert min(ln[0]["x0"] for ln in lines) / MM == pytest.approx(28, abs=1)
        assert len(lines) == 22
        assert max(len(ln) for ln in lines) <= 29           # 28 + one squeezed punctuation mark
        full = [ln for ln in lines if len(ln) == 28 and all(ord(c["text"]) > 0x2000 for c in ln)]
        assert full and all(ln[-1]["x1"] / MM == pytest.approx(184, abs=1) for ln in full)
        assert lines[-1][0]["bottom"] / MM <= 262 + 1
    for name, data in list(docs.items()) + [("ten", ten_pages)]:
        if name == "ledger":
            continue
        with open_pdf(data) as pdf:
            for n, page in enumerate(pdf.pages, 1):
                chars = [c for ln in body_lines(page) for c in ln]
                assert min(c["x0"] for c in chars) / MM >= 28 - 1, (name, n)
                assert max(c["x1"] for c in chars) / MM <= 28 + 156 + 1, (name, n)
                assert max(c["bottom"] for c in chars) / MM <= 37 + 225 + 1, (name, n)
                if not (name in ("letter", "reply") and n == 1):   # 信函格式: the mark is 30 mm from the top
                    assert min(c["top"] for c in chars) / MM >= 37 - 1, (name, n)


def test_letter_body_starts_at_binding_margin(docs):
    with open_pdf(docs["letter"]) as pdf:
        lines = body_lines(pdf.pages[0])
        rec = next(ln for ln in lines if "".join(c["text"] for c in ln) == "县税务局：")
        assert rec[0]["x0"] / MM == pytest.approx(28, abs=1)
        mark = lines[0]
        assert "".join(c["text"] for c in mark) == "平陆县企业破产处置府院联动机制办公室"
        assert mark[0]["top"] / MM == pytest.approx(30, abs=1)
        assert all(c["non_stroking_color"] and c["non_stroking_color"][0] > 0.8 for c in mark)   # red
        texts = [p.extract_text() for p in pdf.pages]
        assert not any(PAGE_NO.match(t.strip().splitlines()[-1]) for t in texts[:1])   # no number on page 1


def test_ten_page_minutes_are_paginated(ten_pages):
    with open_pdf(ten_pages) as pdf:
        assert len(pdf.pages) == 10
        for n, page in enumerate(pdf.pages, 1):
            numbers = [ln for ln in lines_of(page) if PAGE_NO.match("".join(c["text"] for c in ln))]
            assert len(numbers) == 1, n
            num = numbers[0]
            assert PAGE_NO.match("".join(c["text"] for c in num)).group(1) == str(n)
            assert f"— {n} —" in page.extract_text()
            assert num[0]["top"] / MM > 262                      # below the text block
            if n % 2:                                             # odd: right, less one character
                assert num[-1]["x1"] / MM == pytest.approx(184 - 14 / MM, abs=1)
            else:                                                 # even: left, plus one character
                assert num[0]["x0"] / MM == pytest.approx(28 + 14 / MM, abs=1)
            if 1 < n < 10:
                assert len(body_lines(page)) == 22, n
        last = squash(pdf.pages[-1].extract_text())
        assert "印发" in last and "抄送：" in last
    # nothing lost: every extra paragraph is present, in order
    text = squash("".join(text_of(ten_pages)))
    pos = [text.find(f"第{i}项工作情况") for i in range(3, 3 + TEN_PAGES_EXTRA)]
    assert all(p > 0 for p in pos) and pos == sorted(pos)


def table_rows(data: bytes) -> list[list[list[str]]]:
    """Per page, the ruled table's rows with squashed cell texts (pdfplumber's line-based finder)."""
    out = []
    with open_pdf(data) as pdf:
        for page in pdf.pages:
            tables = page.extract_tables()
            out.append([[squash(c or "") for c in row] for t in tables for row in t])
    return out


def test_table_header_repeats_and_rows_survive(docs):
    pages = table_rows(docs["ledger"])
    header = ["序号", "案号", "企业名称", "程序", "敏感因素", "责任单位", "进展情况", "更新日期"]
    assert len(pages) >= 3
    assert all(rows[0] == header for rows in pages)                       # header repeated on every page
    body = [r for rows in pages for r in rows[1:]]
    assert [r[0] for r in body] == [str(i) for i in range(1, 31)]          # every row once, in order
    assert [r[1] for r in body] == [f"（2026）晋0829破{i}号" for i in range(1, 31)]
    assert all(r[6] == "已召开债权人会议，职工安置方案正在制定" for r in body)  # wrapped cells intact
    follow = table_rows(docs["followup"])[0]
    assert follow[0] == ["序号", "议定事项", "牵头单位", "配合单位", "办理期限", "状态"]
    assert follow[4][2] == "县招商投资促进中心"
    with open_pdf(docs["ledger"]) as pdf:
        for page in pdf.pages:          # landscape block: 225 x 156 mm, 37 mm from the left
            chars = [c for ln in body_lines(page) for c in ln]
            assert min(c["x0"] for c in chars) / MM >= 37 - 1
            assert max(c["x1"] for c in chars) / MM <= 37 + 225 + 1


def test_tall_table_rows_split_over_pages():
    long = "进展情况说明" * 400
    data = build_ledger(samples.ledger(2, table=TableData(["序号", "进展"], [["1", long], ["2", "短"]])))
    pages = table_rows(data)
    assert len(pages) >= 2 and all(rows[0] == ["序号", "进展"] for rows in pages)
    cells = "".join(r[1] for rows in pages for r in rows[1:] if r[1] != "短")
    assert cells == long


def test_long_unbroken_text_is_not_lost():
    s = "甲" * 100 + "，" + "A" * 80 + "。" + "乙" * 40
    body = s
    data = build_letter(samples.letter(body=body, deadline=None))
    text = squash("".join(text_of(data)))
    assert s in text


def test_line_breaking_keeps_every_character_and_no_punctuation_at_line_start():
    import random

    rnd = random.Random(4)
    alphabet = "破产重整债权人会议职工安置，。、；：（）《》“”0123456789AB"
    for _ in range(200):
        chars = [rnd.choice(alphabet) for _ in range(rnd.randint(1, 300))]
        widths = [8.0 if c.isascii() else 16.0 for c in chars]
        spans = break_lines(chars, widths, -0.2, 410.0, 442.0)
        assert spans[0][0] == 0 and spans[-1][1] == len(chars)
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
        for s, e, _ in spans[1:]:
            if chars[s] in NO_LINE_START:                 # only when a run of 3+ closers forces it
                assert all(c in NO_LINE_START for c in chars[s - 2:s])


def test_reply_without_number_and_amended_minutes():
    data = build_reply_letter(samples.reply(number="", original_number=""))
    text = squash("".join(text_of(data)))
    assert "你办《关于协助办理山西某某煤业有限公司税收债权申报事宜的函》收悉。" in text
    m = build_minutes(samples.minutes(kind="special", amends="平府院联纪〔2026〕2号", number="平府院联纪〔2026〕3号"))
    text = squash("".join(text_of(m)))
    assert "平陆县企业破产处置府院联动专题会议纪要" in text and "修订平府院联纪〔2026〕2号" in text


@pytest.mark.skipif(not HAVE_TTF, reason="Debian CJK fonts not installed")
def test_truetype_font_is_embedded_as_subset(docs):
    fs = register_fonts()
    assert fs.truetype
    with open_pdf(docs["minutes"]) as pdf:
        names = {c["fontname"] for p in pdf.pages for c in p.chars}
    assert names and all(re.match(r"^[A-Z]{6}\+", n) for n in names), names
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(docs["minutes"]))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for ref in fonts.values():
        desc = ref.get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in desc


@pytest.mark.skipif(not os.path.exists("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), reason="no wqy-zenhei")
def test_explicit_font_path_is_used():
    data = build_letter(samples.letter(), pdf_font="/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
    with open_pdf(data) as pdf:
        names = {c["fontname"] for c in pdf.pages[0].chars}
    assert any("WenQuanYi" in n for n in names) and not any("UMing" in n for n in names)


def test_fallback_to_stsong_when_no_truetype_font(monkeypatch, tmp_path):
    for key in fontmod.SETTINGS.values():
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(fontmod, "_configured", {})
    monkeypatch.setenv("PDF_FONT_CACHE", str(tmp_path / "no-converted-fonts"))
    for name in ("KNOWN_BODY_PATHS", "KNOWN_TITLE_PATHS", "KNOWN_KAI_PATHS", "KNOWN_HEI_PATHS", "KNOWN_FALLBACK_PATHS"):
        monkeypatch.setattr(fontmod, name, [])
    monkeypatch.setattr(fontmod, "FONT_DIRS", [str(tmp_path)])
    (tmp_path / "NotoSansCJK-Regular.otf").write_bytes(b"OTTO not a usable font")
    fs = register_fonts()
    assert not fs.truetype and fs.body == fs.heading == fs.kai == "STSong-Light"
    data = build_minutes(samples.minutes())
    with open_pdf(data) as pdf:
        names = {c["fontname"] for p in pdf.pages for c in p.chars}
        assert names and all(n.startswith("STSong") for n in names), names   # STSong-Light, reported as STSongStd-Light
        lines = body_lines(pdf.pages[0])
        assert lines[0][0]["top"] / MM == pytest.approx(37 + 35, abs=1)
        assert max(c["x1"] for ln in lines for c in ln) / MM <= 185
    text = squash("".join(text_of(data)))
    assert squash(samples.minutes().title) in text and "出席：" in text
    assert squash("".join(text_of(build_letter(samples.letter())))).count("县税务局：") == 1

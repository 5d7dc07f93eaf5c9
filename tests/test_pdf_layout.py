"""What an office notices first on a printed document, measured on the PDFs (issue 12): the faces
are the standard's (仿宋 body, bold 宋 title, 黑/楷 headings) embedded by name, no glyph is drawn
over its neighbour, the marks sit where GB/T 9704 puts them (in mm), the 版记 lands on an even page,
signature and date never stand alone, dates sit per §7.3.5, justification leaves numbers alone,
names / case numbers / "——" do not break, titles break at whole words, and rare name characters
come from a face that has them.  No database: the builders take plain data."""
from __future__ import annotations

import io
import os
import re
from datetime import date

import pytest

from app.pdf import (BulletinSection, DecisionLine, build_bulletin, build_evaluation, build_followup,
                     build_ledger, build_letter, build_minutes, build_reply_letter, register_fonts, samples)
from app.pdf import fonts as fontmod
from app.pdf.documents import decision_sentence
from app.pdf.gbt9704 import BODY_CS, BODY_SIZE, Doc, Metrics, Para, title_para
from tests.test_pdf_documents import lines_of, open_pdf

MM = 72 / 25.4
UNIT = BODY_SIZE + BODY_CS                     # one 3号 character with its spacing, in pt
PAGE_NO = re.compile(r"^—\s*(\d+)\s*—$")
LONG_TITLE = "关于协助办理山西某某煤业有限公司破产重整案件中职工安置、税收债权申报、不动产登记及信用修复等有关事项的函"
RARE = "堃喆昇玥珺璟垚犇赟祎彧翀旸"
HAVE_FANDOL = all(fontmod.converted_fandol(role) for role in ("body", "title", "heading", "kai"))


def need_fandol():
    if not HAVE_FANDOL:
        if os.environ.get("CI"):
            pytest.fail("Fandol TrueType faces missing: .ci/run installs texlive-lang-chinese, make fonts converts them")
        pytest.skip("Fandol faces not converted (apt-get install texlive-lang-chinese; make fonts)")


def text(line) -> str:
    return "".join(c["text"] for c in line)


def body_lines(page):
    return [ln for ln in lines_of(page) if not PAGE_NO.match(text(ln))]


def long_followup():
    rows = [[f"（{i}）", "完成职工劳动关系处理方案，妥善做好社会保险关系转移接续，" * (1 + i % 3), "县人力资源和社会保障局",
             "县民政局、县财政局", "2026-04-30", "办理中", "县人社局04-11函复：已办结，1,234,567.89元"] for i in range(1, 25)]
    return samples.followup(table=samples.TableData(["序号", "议定事项", "牵头单位", "配合单位", "期限", "状态", "函复"], rows))


def wide_evaluation():
    """The service's eight columns: narrow cells whose headers end in brackets (平均用时（日）)."""
    headers = ["单位", "交办（牵头/配合）", "按期/逾期函复", "仍逾期", "平均用时（日）", "催办/延期", "出席/缺席", "等次"]
    rows = [[u, f"{i}/{i + 3}", f"{i}/1", "0", f"{4.5 + i:.1f}", "2/1", "3/0", "良好"] for i, u in enumerate(samples.UNITS)]
    return samples.evaluation(table=samples.TableData(headers, rows, "2026年度成员单位评价结果"))


DOCS = {
    "letter": lambda: build_letter(samples.letter()),
    "letter-long": lambda: build_letter(samples.letter(title=LONG_TITLE, body="\n".join([samples.letter().body] * 6))),
    "reply": lambda: build_reply_letter(samples.reply()),
    "minutes": lambda: build_minutes(samples.minutes()),
    "minutes-10": lambda: build_minutes(samples.minutes(extra_paragraphs=42)),
    "bulletin": lambda: build_bulletin(samples.bulletin()),
    "evaluation": lambda: build_evaluation(samples.evaluation()),
    "evaluation-wide": lambda: build_evaluation(wide_evaluation()),
    "followup": lambda: build_followup(long_followup()),
    "ledger": lambda: build_ledger(samples.ledger(30)),
}


@pytest.fixture(scope="module")
def docs() -> dict[str, bytes]:
    return {name: make() for name, make in DOCS.items()}


@pytest.mark.parametrize("name", list(DOCS))
def test_no_two_glyphs_of_a_line_overlap(docs, name):
    """Neighbours on a line never overlap by more than 1/12 em (the old engine inherited −1.94 pt of
    character spacing from one text object into the next table cell)."""
    worst = 0.0
    with open_pdf(docs[name]) as pdf:
        for n, page in enumerate(pdf.pages, 1):
            for line in lines_of(page):
                for a, b in zip(line, line[1:]):
                    if abs(a["size"] - b["size"]) < 0.5:
                        overlap = a["x1"] - b["x0"]
                        worst = max(worst, overlap)
                        assert overlap <= min(a["size"], b["size"]) / 12, (n, a["text"] + b["text"], overlap)
    assert worst < 1.0


@pytest.mark.parametrize("name", ["evaluation-wide", "followup", "ledger", "minutes-10"])
def test_every_text_object_writes_its_own_text_state(docs, name):
    """PDF keeps Tc/Tz/Ts/Tr from one text object to the next: each BT … ET sets all four before
    drawing, so no object draws with a spacing left over by another."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(docs[name]))
    objects = 0
    for page in reader.pages:
        content = page.get_contents().get_data().decode("latin-1")
        for block in re.findall(r"\bBT\b(.*?)\bET\b", content, re.S):
            first_show = re.search(r"(\(|<)[^)>]*[)>]\s*Tj|\bTJ\b", block)
            head = block[:first_show.start()] if first_show else block
            for op in ("Tc", "Tz", "Ts", "Tr"):
                assert re.search(rf"\s{op}\b", head), (op, block[:200])
            objects += 1
    assert objects > 20


def test_page_numbers_do_not_move(docs):
    """`— N —` in one place on every odd page (right) and every even page (left), to 0.1 mm."""
    right, left = [], []
    with open_pdf(docs["minutes-10"]) as pdf:
        for n, page in enumerate(pdf.pages, 1):
            number = next(ln for ln in lines_of(page) if PAGE_NO.match(text(ln)))
            (right if n % 2 else left).append((number[-1]["x1"] / MM, number[0]["x0"] / MM, number[0]["top"] / MM))
    assert len(right) == len(left) == 5
    assert max(r[0] for r in right) - min(r[0] for r in right) < 0.1
    assert max(r[1] for r in left) - min(r[1] for r in left) < 0.1
    assert right[0][0] == pytest.approx(184 - 14 / MM, abs=0.2) and left[0][1] == pytest.approx(28 + 14 / MM, abs=0.2)


def test_marks_in_mm(docs):
    """纪要 / 通报 mark: top edge 35 mm below the top of the block = 72 mm from the page top (§10.3,
    §7.2.2); 信函 mark: 30 mm from the page top (§10.1); all red."""
    for name, word, top in (("minutes", "纪要", 72.0), ("bulletin", "通报", 72.0), ("letter", "办公室", 30.0),
                            ("reply", "税务局", 30.0)):
        with open_pdf(docs[name]) as pdf:
            mark = body_lines(pdf.pages[0])[0]
            assert word in text(mark), name
            assert min(c["top"] for c in mark) / MM == pytest.approx(top, abs=0.5), name
            assert all(c["non_stroking_color"][0] > 0.8 and c["non_stroking_color"][1] < 0.1 for c in mark)
            # centred on the text block
            centre = (mark[0]["x0"] + mark[-1]["x1"]) / 2 / MM
            assert centre == pytest.approx(28 + 156 / 2, abs=0.5), name


def test_banji_lands_on_an_even_page():
    """Whatever the length, the 版记 (印发 line) is on the last page and the page count is even; a
    blank page before it and the 版记 page carry no page number when the body filled an even page (§7.5)."""
    seen = set()
    for extra in range(0, 48):           # one line more each time: the body ends on every line of a page
        body = "\n".join([samples.MINUTES_OPENING] + ["会议要求各成员单位按照职责分工做好相关工作。"] * extra)
        data = build_minutes(samples.minutes(body=body))
        with open_pdf(data) as pdf:
            pages = pdf.pages
            assert len(pages) % 2 == 0, extra
            last = [text(ln) for ln in lines_of(pages[-1])]
            assert any("印发" in t for t in last), extra
            assert not any("印发" in text(ln) for p in pages[:-1] for ln in lines_of(p)), extra
            colophon = next(ln for ln in lines_of(pages[-1]) if "印发" in text(ln))
            assert colophon[0]["bottom"] / MM == pytest.approx(262, abs=6)          # at the foot of the page
            before = [text(ln) for ln in body_lines(pages[-2])] if len(pages) > 1 else []
            numbered_last = any(PAGE_NO.match(t) for t in last)
            if not before:                                                         # blank page + 版记 page
                assert not numbered_last and not any(PAGE_NO.match(text(ln)) for ln in lines_of(pages[-2]))
                seen.add("blank")
            elif len([t for t in last if not PAGE_NO.match(t)]) <= 3:                # 版记 alone on the back
                seen.add("alone")
            else:
                seen.add("shared")
    assert seen == {"blank", "alone", "shared"}, seen


def test_fonts_are_the_standard_faces_embedded_by_name(docs):
    need_fandol()
    from pypdf import PdfReader

    fs = register_fonts()
    assert fontmod.face_name(fs.body) == "FandolFang-Regular"
    assert fontmod.face_name(fs.title) == "FandolSong-Bold"
    reader = PdfReader(io.BytesIO(docs["minutes-10"]))
    embedded = {}
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            desc = font["/FontDescriptor"].get_object()
            embedded[str(font["/BaseFont"]).split("+", 1)[1]] = "/FontFile2" in desc
    assert {"FandolFang-Regular", "FandolSong-Bold", "FandolHei-Regular", "FandolKai-Regular"} <= set(embedded)
    assert all(embedded.values()), embedded

    def face_of(line_text, page=0, data=docs["minutes"]):
        with open_pdf(data) as pdf:
            line = next(ln for ln in lines_of(pdf.pages[page]) if text(ln).startswith(line_text))
        return {c["fontname"].split("+", 1)[1] for c in line if not c["text"].isascii()}

    assert face_of("平陆县企业破产处置府院联动联席会议纪要") == {"FandolSong-Bold"}     # red mark: 小标宋 stand-in
    assert face_of("关于推进山西某某煤业有限公司") == {"FandolSong-Bold"}               # title
    assert face_of("一、会议认为") == {"FandolHei-Regular"}                           # 黑体 heading
    assert face_of("（一）山西某某煤业有限公司破产重整案：", data=docs["bulletin"]) == {"FandolKai-Regular", "FandolFang-Regular"}
    assert face_of("2026年3月16日，副县长") == {"FandolFang-Regular"}                  # 仿宋 body


def test_rare_name_characters_come_from_a_face_that_has_them():
    fs = register_fonts()
    names = {fontmod.face_name(f): f for f in fs.names}
    data = build_letter(samples.letter(contact_name="王堃喆", body=f"请联系{RARE}同志核实。\n特此函告。"))
    with open_pdf(data) as pdf:
        chars = [c for p in pdf.pages for c in p.chars]
    extracted = "".join(c["text"] for c in chars)
    assert RARE in extracted and "王堃喆" in extracted
    for c in chars:
        if c["text"] in RARE:
            face = c["fontname"].split("+", 1)[-1]
            assert face in names and Metrics.covers(names[face], c["text"]), (c["text"], face)
    if HAVE_FANDOL:   # Fandol lacks them: the fallback face draws them, the body face the rest
        faces = {c["fontname"].split("+", 1)[-1] for c in chars if c["text"] in RARE}
        assert "FandolFang-Regular" not in faces


def test_signature_and_date_never_stand_alone():
    """Letters of every length with a 52-character title: the page with the signature carries body
    text too, not just a contact line (the old engine left signature and date alone on page 2)."""
    for kind, build, date_s, issuer in (("letter", build_letter, "2026年3月20日", "平陆县企业破产处置府院联动机制办公室"),
                                        ("reply", build_reply_letter, "2026年4月11日", "国家税务总局平陆县税务局")):
        make = samples.letter if kind == "letter" else samples.reply
        for n in range(0, 30):
            body = "\n".join(["根据会议纪要议定事项，请依法办理有关事项，并及时函复。"] * n)
            with open_pdf(build(make(title=LONG_TITLE, body=body))) as pdf:
                page = next(p for p in pdf.pages if any(text(ln) == date_s for ln in lines_of(p)))
                others = [text(ln) for ln in body_lines(page)
                          if text(ln) not in (date_s, issuer) and not text(ln).startswith(("联系人", "抄送"))]
                assert others, (kind, n)


def test_signature_dates_per_7_3_5(docs):
    """Sealed (letters): the date right-indented 4 characters, the issuer centred over it or right-
    indented 2 when longer.  Unsealed (bulletins): the issuer right-indented 2 characters, the date
    starting 2 characters right of the issuer's first character (right-indented 2 when longer)."""
    right = (28 + 156) * MM
    with open_pdf(build_reply_letter(samples.reply(unit_name="平陆县工商业联合会"))) as pdf:
        lines = lines_of(pdf.pages[-1])
        issuer = next(ln for ln in lines if text(ln) == "平陆县工商业联合会")
        when = next(ln for ln in lines if text(ln) == "2026年4月11日")
    assert when[-1]["x1"] == pytest.approx(right - 4 * UNIT, abs=1)
    centre = (when[0]["x0"] + when[-1]["x1"]) / 2
    assert (issuer[0]["x0"] + issuer[-1]["x1"]) / 2 == pytest.approx(centre, abs=1)
    with open_pdf(docs["letter"]) as pdf:
        lines = lines_of(pdf.pages[-1])
        issuer = [ln for ln in lines if text(ln) == "平陆县企业破产处置府院联动机制办公室"][-1]   # not the red mark
        when = next(ln for ln in lines if text(ln) == "2026年3月20日")
    assert when[-1]["x1"] == pytest.approx(right - 4 * UNIT, abs=1)
    assert issuer[-1]["x1"] == pytest.approx(right - 2 * UNIT, abs=1)         # too long to centre
    short = build_bulletin(samples.bulletin(head=samples.Letterhead(issuer="县工商联"), tables=[]))
    for data, issuer_s in ((docs["bulletin"], "平陆县企业破产处置府院联动机制办公室"), (short, "县工商联")):
        with open_pdf(data) as pdf:
            page = next(p for p in pdf.pages if any(text(ln) == "2026年4月8日" for ln in lines_of(p)))
            lines = lines_of(page)
            issuer = [ln for ln in lines if text(ln) == issuer_s][-1]
            when = [ln for ln in lines if text(ln) == "2026年4月8日"][-1]
        if issuer_s == "县工商联":     # the date is longer: right-indented 2, the issuer 2 characters left of it
            assert when[-1]["x1"] == pytest.approx(right - 2 * UNIT, abs=1)
            assert issuer[0]["x0"] == pytest.approx(when[0]["x0"] - 2 * UNIT, abs=1)
        else:
            assert issuer[-1]["x1"] == pytest.approx(right - 2 * UNIT, abs=1)
            assert when[0]["x0"] == pytest.approx(issuer[0]["x0"] + 2 * UNIT, abs=1)


def test_justification_does_not_spread_latin_digits():
    """On a justified line the extra space goes between Chinese characters; "1,100,000.00" keeps
    its natural spacing (the old engine printed "1 , 1 0 0 , 0 0 0 . 0 0")."""
    body = ("一、我局已于2026年4月10日向破产管理人申报税收债权共计人民币1,234,567.89元，其中欠缴税款1,100,000.00元，"
            "滞纳金134,567.89元，计算依据已一并提交，另有ABCD-2026-0001号文书。")
    for pad in range(0, 12):
        data = build_reply_letter(samples.reply(body="甲" * pad + body))
        with open_pdf(data) as pdf:
            for line in body_lines(pdf.pages[0]):
                if line[-1]["x1"] / MM < 183:          # not a justified (full) line
                    continue
                for a, b in zip(line, line[1:]):
                    gap = b["x0"] - a["x1"]
                    if re.match(r"[0-9A-Z,.\-]", a["text"]) and re.match(r"[0-9A-Z,.\-]", b["text"]):
                        assert gap < 0.3, (pad, text(line), a["text"] + b["text"], gap)   # never spread


def line_texts(doc: Doc, s: str, **kw) -> list[str]:
    return ["".join(ln.chars) for ln in doc.lines_of(Para([(s, doc.fonts.body)], **kw))]


def test_names_case_numbers_and_dashes_do_not_break():
    """禁则: at every offset, a registered unit name, a person's name, a case number (its year may
    end a line), a document number's year and sequence (its prefix may end a line) and "——" stay on
    one line."""
    from app.pdf.words import boundaries

    doc = Doc(register_fonts(), keep_words=["县行政审批服务管理局", "王某某", "县自然资源局"])
    keep = ["县自然资源局", "王某某", "晋0829破7号", "平府院函", "〔2026〕15号", "——", "1,234,567.89"]
    long_name = "县行政审批服务管理局"          # wider than KEEP_MAX_EM: breaks only between its words
    seen = set()
    for pad in range(0, 29):
        s = ("甲" * pad + "经县行政审批服务管理局核查，王某某——即（2026）晋0829破7号案管理人——报告平府院函〔2026〕15号"
             "所涉县自然资源局欠款1,234,567.89元已清偿。")
        lines = line_texts(doc, s)
        assert "".join(lines) == s
        for ln, nxt in zip(lines, lines[1:]):
            seen.add(ln[-1])
            for word in keep:
                for cut in range(1, len(word)):
                    assert not (ln.endswith(word[:cut]) and nxt.startswith(word[cut:])), (pad, word, ln, nxt)
            for cut in range(1, len(long_name)):
                if ln.endswith(long_name[:cut]) and nxt.startswith(long_name[cut:]):
                    assert cut in boundaries(long_name), (pad, ln, nxt)
            assert nxt[0] not in "，。、；：）》”"
    assert len(seen) > 10         # the lines really did end all over the sentence


def test_titles_break_at_whole_words_in_a_trapezoid_or_diamond():
    doc = Doc(register_fonts(), keep_words=["运城市生态环境局平陆分局"])
    em = 22.0
    cases = {
        "关于协调某某房地产开发有限公司项目土地使用权处置问题的函": ["开发", "有限公司", "房地产"],
        "关于推进山西某某煤业有限公司破产重整工作的会议纪要": ["有限公司", "煤业", "会议纪要", "重整"],
        "关于协调解决运城市生态环境局平陆分局环评手续问题的函": ["运城市生态环境局平陆分局", "环评", "手续"],
        LONG_TITLE: ["有限公司", "税收", "债权", "申报", "信用", "修复", "不动产"],
    }
    for title, words in cases.items():
        lines = doc.lines_of(title_para(doc, title))
        texts = ["".join(ln.chars) for ln in lines]
        assert "".join(texts) == title and len(texts) >= 2
        for a, b in zip(texts, texts[1:]):
            for w in words:
                for cut in range(1, len(w)):
                    assert not (a.endswith(w[:cut]) and b.startswith(w[cut:])), (title, texts)
            assert not a.endswith(("的", "关于")), texts
        widths = [ln.width / em for ln in lines]
        assert all(abs(x - y) >= 0.75 for x, y in zip(widths, widths[1:])), texts      # not a rectangle
        for i in range(1, len(widths) - 1):                                            # no valley
            assert not (widths[i] < widths[i - 1] and widths[i] < widths[i + 1]), texts
        assert all(ln.x >= -0.01 and ln.x + ln.width <= doc.g.width + 0.01 for ln in lines)   # centred, inside


def test_decisions_name_the_lead_unit_once():
    d = DecisionLine(1, "县工科局牵头做好山西某某煤业有限公司职工安置相关工作", "县工科局", ["县财政局"], date(2026, 11, 6))
    assert decision_sentence(d) == "（一）由县工科局牵头，县财政局配合，于2026年11月6日前做好山西某某煤业有限公司职工安置相关工作。"
    d = DecisionLine(2, "由县工科局牵头，县财政局、县人社局配合，于2026年11月6日前做好安置工作", "县工科局",
                     ["县财政局", "县人社局"], date(2026, 11, 6))
    assert decision_sentence(d) == "（二）由县工科局牵头，县财政局、县人社局配合，于2026年11月6日前做好安置工作。"
    d = DecisionLine(3, "县工科局牵头做好安置工作", "县工科局", [], date(2026, 11, 6))
    assert decision_sentence(d) == "（三）由县工科局于2026年11月6日前做好安置工作。"
    d = DecisionLine(4, "会同县工科局做好安置工作", "县财政局", [], None)          # a mention, not the lead's name
    assert decision_sentence(d) == "（四）由县财政局会同县工科局做好安置工作。"


def test_bulletin_and_evaluation_without_comments_keep_the_signature_with_text():
    """An evaluation whose table ends the text: the signature goes with the last rows, not alone."""
    for rows in range(10, 40):
        ev = samples.evaluation()
        table = samples.TableData(ev.table.headers, (ev.table.rows * 3)[:rows], ev.table.title)
        data = build_evaluation(samples.evaluation(table=table, comments=[]))
        with open_pdf(data) as pdf:
            page = next(p for p in pdf.pages if any(text(ln) == "2027年1月20日" for ln in lines_of(p)))
            assert page.extract_tables(), rows
    data = build_bulletin(samples.bulletin(sections=[BulletinSection("总体情况", "本季度新收破产申请2件。")]))
    with open_pdf(data) as pdf:
        assert "本季度新收破产申请2件。" in pdf.pages[0].extract_text().replace("\n", "")


def test_a_heading_moves_with_the_lines_the_signature_takes_along():
    """The signature takes the last lines to a new page; the heading above them goes too, never left
    alone at the foot of the previous page."""
    for n in range(0, 22):
        sections = [BulletinSection("总体情况", "\n".join(["本季度新收破产申请2件，受理1件，审结1件。"] * n)),
                    BulletinSection("下一步工作", "各成员单位要进一步压实责任，按期办理函告事项，确保议定事项落地见效。")]
        data = build_bulletin(samples.bulletin(sections=sections, tables=[]))
        with open_pdf(data) as pdf:
            for page in pdf.pages:
                lines = [text(ln) for ln in body_lines(page)]
                assert lines[-1] != "二、下一步工作", (n, lines[-3:])

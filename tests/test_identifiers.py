import random

import pytest

from app.services.identifiers import (
    CREDIT_CODE_ALPHABET,
    CaseNumber,
    case_number_error,
    credit_code_error,
    format_doc_number,
    make_credit_code,
    make_valid_credit_code,
    normalize_case_number,
    normalize_credit_code,
    normalize_doc_number,
    parse_case_number,
    parse_doc_number,
)

VALID = "91350100M000100Y43"


# ----------------------------------------------------------------------------- credit code


def test_sample_code_is_valid():
    assert credit_code_error(VALID) is None


def test_lowercase_and_spaces_are_accepted_and_normalized():
    assert credit_code_error(" 91350100m000100y43 ") is None
    assert normalize_credit_code(" 91350100m000100y43 ") == VALID
    # full-width characters pasted from Word
    assert normalize_credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == VALID


def test_every_single_character_change_is_invalid():
    alphabet = CREDIT_CODE_ALPHABET + "IOSVZ*-"
    checked = 0
    for pos in range(18):
        for ch in alphabet:
            if ch == VALID[pos]:
                continue
            changed = VALID[:pos] + ch + VALID[pos + 1:]
            assert credit_code_error(changed) is not None, changed
            checked += 1
    assert checked == 18 * (len(alphabet) - 1)


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("", "不能为空"),
        (None, "不能为空"),
        ("91350100M000100Y4", "长度应为18位"),
        ("91350100M000100Y433", "长度应为18位"),
        ("91350100M0001O0Y43", "非法字符"),
        ("91350100M000100Y44", "校验位错误"),
    ],
)
def test_error_messages_name_the_problem(code, fragment):
    msg = credit_code_error(code)
    assert msg is not None and fragment in msg


def test_org_code_check_is_enforced_even_with_correct_final_check():
    # org code M000100Y5 is wrong (check should be 4); give it a correct GB 32100 check char
    prefix = "91350100M000100Y5"
    from app.services import identifiers

    bad = prefix + identifiers._credit_check_char(prefix)
    msg = credit_code_error(bad)
    assert msg is not None and "组织机构代码" in msg
    with pytest.raises(ValueError, match="组织机构代码"):
        make_credit_code(prefix)


def test_make_credit_code_appends_check_char():
    assert make_credit_code(VALID[:17]) == VALID
    assert make_credit_code(VALID[:17].lower()) == VALID
    with pytest.raises(ValueError):
        make_credit_code("123")
    with pytest.raises(ValueError):
        make_credit_code("91350100M00010OY4")


def test_generated_codes_are_valid_and_reproducible():
    rng = random.Random(7)
    codes = [make_valid_credit_code(rng) for _ in range(500)]
    assert all(credit_code_error(c) is None for c in codes)
    assert all(c.startswith("91140829") for c in codes)
    assert len(set(codes)) == 500
    assert [make_valid_credit_code(random.Random(7)) for _ in range(1)] == codes[:1]
    assert make_valid_credit_code(random.Random(1), region="350100")[2:8] == "350100"
    with pytest.raises(ValueError):
        make_valid_credit_code(rng, region="14082")


# ----------------------------------------------------------------------------- case numbers


@pytest.mark.parametrize(
    "typed",
    [
        "（2026）晋0829破3号",
        "(2026)晋0829破3号",
        " ( 2026 ) 晋 0829 破 3 号 ",
        "(2026）晋0829破3号",
        "（２０２６）晋０８２９破３号",
        "〔2026〕晋0829破3号",
    ],
)
def test_case_number_normalization(typed):
    assert normalize_case_number(typed) == "（2026）晋0829破3号"
    assert case_number_error(typed) is None


def test_parse_case_number():
    assert parse_case_number("(2026)晋0829破申12号") == CaseNumber(2026, "晋", "0829", "破申", 12)
    for kind in ("破", "破申", "破监", "破终"):
        cn = parse_case_number(f"（2025）晋0829{kind}7号")
        assert cn.kind == kind and cn.seq == 7
        assert str(cn) == f"（2025）晋0829{kind}7号"


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("", "不能为空"),
        ("2026晋0829破3号", "年份"),
        ("（26）晋0829破3号", "年份"),
        ("（2026）X0829破3号", "省份简称"),
        ("（2026）山0829破3号", "省份简称"),
        ("（2026）晋829破3号", "法院代码"),
        ("（2026）晋08290破3号", "法院代码"),
        ("（2026）晋0829民初3号", "案件类型"),
        ("（2026）晋0829破号", "序号"),
        ("（2026）晋0829破03号", "不以0开头"),
        ("（2026）晋0829破0号", "不以0开头"),
        ("（2026）晋0829破3", "号"),
        ("（2026）晋0829破3号之一", "号"),
    ],
)
def test_case_number_errors(bad, fragment):
    msg = case_number_error(bad)
    assert msg is not None and fragment in msg, msg
    with pytest.raises(ValueError):
        parse_case_number(bad)


# ----------------------------------------------------------------------------- doc numbers


def test_format_doc_number():
    assert format_doc_number("平", "府院函", 2026, 15) == "平府院函〔2026〕15号"
    assert format_doc_number("平", "府院联纪", 2026, 2) == "平府院联纪〔2026〕2号"
    text = format_doc_number("平", "府院通", 2026, 4)
    assert "\u3014" in text and "\u3015" in text and "[" not in text


@pytest.mark.parametrize(
    "args",
    [("", "府院函", 2026, 1), ("平", "", 2026, 1), ("平", "府院函", 26, 1), ("平", "府院函", 2026, 0)],
)
def test_format_doc_number_rejects_bad_parts(args):
    with pytest.raises(ValueError):
        format_doc_number(*args)


def test_parse_doc_number_is_inverse():
    for seq in (1, 9, 10, 15, 123):
        text = format_doc_number("平", "府院函", 2026, seq)
        parsed = parse_doc_number(text, short_name="平")
        assert (parsed.short_name, parsed.kind_prefix, parsed.year, parsed.seq) == ("平", "府院函", 2026, seq)
        assert str(parsed) == text
    plain = parse_doc_number("平府院通〔2026〕4号")
    assert plain.prefix == "平府院通" and plain.kind_prefix is None


@pytest.mark.parametrize(
    "bad",
    ["平府院函[2026]15号", "平府院函〔2026〕015号", "平府院函〔2026〕15", "平府院函（2026）15号", "〔2026〕15号", "", None],
)
def test_parse_doc_number_rejects(bad):
    assert parse_doc_number(bad) is None


def test_parse_doc_number_other_org():
    assert parse_doc_number("运府院函〔2026〕15号", short_name="平") is None


def test_normalize_doc_number():
    assert normalize_doc_number("平府院函[2026]15号") == "平府院函〔2026〕15号"
    assert normalize_doc_number("平府院函（2026） 15号") == "平府院函〔2026〕15号"
    assert parse_doc_number(normalize_doc_number("平府院函【2026】15号")).seq == 15

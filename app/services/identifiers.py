"""Checks and formats for the identifiers the product stores and prints.

Pure functions (no Flask / SQLAlchemy) so forms, the REST API, the Excel importer and the
CLI all apply exactly the same rules:

* 统一社会信用代码 (GB 32100-2015, with the embedded GB 11714 organisation code);
* 案号 (court case numbers, e.g. ``（2026）晋0829破3号``);
* 文号 (document numbers, e.g. ``平府院函〔2026〕15号``).

Validators return ``None`` when the input is valid, else a Chinese message for the user.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "normalize_credit_code",
    "credit_code_error",
    "make_credit_code",
    "make_valid_credit_code",
    "CASE_KINDS",
    "PROVINCE_ABBREVIATIONS",
    "CaseNumber",
    "normalize_case_number",
    "case_number_error",
    "parse_case_number",
    "DocNumber",
    "format_doc_number",
    "normalize_doc_number",
    "parse_doc_number",
]

# --------------------------------------------------------------------------------------
# 统一社会信用代码
# --------------------------------------------------------------------------------------

#: GB 32100-2015 character set (no I, O, S, V, Z); a character's value is its index.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {ch: i for i, ch in enumerate(CREDIT_CODE_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714 organisation code: 0-9 → 0-9, A-Z → 10-35; weights over the first 8 characters.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_SLICE = slice(8, 17)  # 9th..17th characters of the credit code


def normalize_credit_code(code: str | None) -> str:
    """Canonical stored form: upper case, half-width, no whitespace.

    People paste codes from PDFs and Word files with full-width letters and spaces; storing one
    form keeps uniqueness checks meaningful.
    """
    if code is None:
        return ""
    text = unicodedata.normalize("NFKC", str(code))
    return "".join(text.split()).upper()


def _credit_check_char(prefix17: str) -> str:
    total = sum(_CREDIT_VALUE[ch] * w for ch, w in zip(prefix17, _CREDIT_WEIGHTS))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def _org_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    return ord(ch) - ord("A") + 10


def _org_check_char(body8: str) -> str:
    total = sum(_org_value(ch) * w for ch, w in zip(body8, _ORG_WEIGHTS))
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def credit_code_error(code: str | None) -> str | None:
    """Return None for a valid 统一社会信用代码, else a Chinese message naming the problem.

    Lower case and stray spaces are tolerated (see :func:`normalize_credit_code`).
    """
    norm = normalize_credit_code(code)
    if not norm:
        return "统一社会信用代码不能为空"
    if len(norm) != 18:
        return f"统一社会信用代码长度应为18位（当前{len(norm)}位）"
    bad = sorted({ch for ch in norm if ch not in _CREDIT_VALUE})
    if bad:
        return (
            f"统一社会信用代码含非法字符：{'、'.join(bad)}"
            "（只能由数字和除 I、O、S、V、Z 以外的大写字母组成）"
        )
    if _credit_check_char(norm[:17]) != norm[17]:
        return "统一社会信用代码校验位错误（第18位与前17位不符，请核对是否抄错）"
    org = norm[_ORG_SLICE]
    if _org_check_char(org[:8]) != org[8]:
        return "统一社会信用代码中的组织机构代码（第9至17位）校验位错误"
    return None


def make_credit_code(prefix17: str) -> str:
    """Append the GB 32100 check character to 17 characters.

    The embedded organisation code (characters 9–17) must already carry a valid GB 11714
    check, otherwise the result would still be rejected; raises ValueError in Chinese then.
    """
    prefix = normalize_credit_code(prefix17)
    if len(prefix) != 17:
        raise ValueError(f"统一社会信用代码前17位长度应为17位（当前{len(prefix)}位）")
    bad = sorted({ch for ch in prefix if ch not in _CREDIT_VALUE})
    if bad:
        raise ValueError(f"统一社会信用代码前17位含非法字符：{'、'.join(bad)}")
    org = prefix[8:17]
    if _org_check_char(org[:8]) != org[8]:
        raise ValueError("统一社会信用代码前17位中的组织机构代码（第9至17位）校验位错误")
    return prefix + _credit_check_char(prefix)


def make_valid_credit_code(rng: random.Random, region: str = "140829") -> str:
    """Generate a valid enterprise code (91 + region + org code + check) for demo data.

    Deterministic for a seeded ``rng`` so demo data sets are reproducible.
    """
    region = normalize_credit_code(region)
    if len(region) != 6 or not region.isdigit():
        raise ValueError("行政区划码应为6位数字")
    # Letters only from the intersection of both alphabets, so the result is always legal.
    body = "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(8))
    return make_credit_code("91" + region + body + _org_check_char(body))


# --------------------------------------------------------------------------------------
# 案号
# --------------------------------------------------------------------------------------

#: Case types the bankruptcy panel deals with (longest first for matching).
CASE_KINDS = ("破申", "破监", "破终", "破")

#: Province-level abbreviations as used in 案号 (最高人民法院《关于人民法院案件案号的若干规定》),
#: plus 兵 (新疆生产建设兵团) and the common alternative forms 蒙、黔、滇、陇.
PROVINCE_ABBREVIATIONS = frozenset(
    "京津冀晋内辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新兵蒙黔滇陇"
)

_OPEN_PARENS = "(（〔[【"
_CLOSE_PARENS = ")）〕]】"


@dataclass(frozen=True)
class CaseNumber:
    """A parsed 案号; ``str()`` gives the stored full-width form."""

    year: int
    province: str
    court: str
    kind: str
    seq: int

    def __str__(self) -> str:
        return f"（{self.year}）{self.province}{self.court}{self.kind}{self.seq}号"


def normalize_case_number(s: str | None) -> str:
    """Canonical form of a 案号: no spaces, full-width （） around the year.

    Accepts half-width ``()``, and the 〔〕 / [] / 【】 people also type. Does not validate;
    call :func:`case_number_error` for that.
    """
    if s is None:
        return ""
    text = "".join(str(s).split())
    text = text.replace("\u3000", "")
    # NFKC turns full-width digits into ASCII; parentheses are fixed up below.
    text = unicodedata.normalize("NFKC", text)
    if text and text[0] in _OPEN_PARENS:
        text = "（" + text[1:]
    m = re.match(r"（(\d{4})[)）〕\]】]", text)
    if m:
        text = f"（{m.group(1)}）" + text[m.end():]
    return text


def _parse_case_number(s: str | None) -> tuple[CaseNumber | None, str | None]:
    text = normalize_case_number(s)
    if not text:
        return None, "案号不能为空"
    m = re.match(r"（(\d{4})）", text)
    if not m:
        return None, "案号应以括号内的四位年份开头，如（2026）晋0829破3号"
    year = int(m.group(1))
    if not 1990 <= year <= 2100:
        return None, f"案号年份{year}不在合理范围内"
    rest = text[m.end():]
    if not rest or rest[0] not in PROVINCE_ABBREVIATIONS:
        got = rest[:1] or "（空）"
        return None, f"案号中的省份简称“{got}”无效，应为晋、京等省级简称"
    province, rest = rest[0], rest[1:]
    m = re.match(r"\d+", rest)
    if not m or len(m.group(0)) != 4:
        return None, "案号中的法院代码应为4位数字，如0829"
    court, rest = m.group(0), rest[4:]
    kind = next((k for k in CASE_KINDS if rest.startswith(k)), None)
    if kind is None:
        return None, f"案号中的案件类型应为{'、'.join(sorted(CASE_KINDS, key=len))}之一"
    rest = rest[len(kind):]
    m = re.match(r"\d+", rest)
    if not m:
        return None, "案号中缺少案件序号"
    digits = m.group(0)
    if digits.startswith("0"):
        return None, "案号中的序号应为不以0开头的正整数"
    rest = rest[len(digits):]
    if rest != "号":
        return None, "案号应以“号”结尾，且“号”后不能有其他内容"
    return CaseNumber(year, province, court, kind, int(digits)), None


def case_number_error(s: str | None) -> str | None:
    """Return None for a valid bankruptcy 案号, else a Chinese message naming the problem."""
    return _parse_case_number(s)[1]


def parse_case_number(s: str | None) -> CaseNumber:
    """Parse a 案号; raises ValueError with the Chinese message when it is invalid."""
    parsed, error = _parse_case_number(s)
    if parsed is None:
        raise ValueError(error)
    return parsed


# --------------------------------------------------------------------------------------
# 文号
# --------------------------------------------------------------------------------------

_DOC_RE = re.compile(r"^(?P<prefix>[^〔〕\s\d]+)〔(?P<year>\d{4})〕(?P<seq>[1-9]\d*)号$")


@dataclass(frozen=True)
class DocNumber:
    """A parsed 文号. ``short_name`` / ``kind_prefix`` are only split when the caller
    passes the organisation's short name (the split is otherwise ambiguous)."""

    prefix: str
    year: int
    seq: int
    short_name: str | None = None
    kind_prefix: str | None = None

    def __str__(self) -> str:
        return f"{self.prefix}〔{self.year}〕{self.seq}号"


def format_doc_number(short_name: str, kind_prefix: str, year: int, seq: int) -> str:
    """``("平", "府院函", 2026, 15)`` → ``平府院函〔2026〕15号`` (GB/T 9704: 〔〕, no leading zeros)."""
    short_name = (short_name or "").strip()
    kind_prefix = (kind_prefix or "").strip()
    if not short_name:
        raise ValueError("机关代字不能为空")
    if not kind_prefix:
        raise ValueError("文种代字不能为空")
    if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9999:
        raise ValueError("年份应为四位数字")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ValueError("发文序号应为正整数")
    text = f"{short_name}{kind_prefix}〔{year}〕{seq}号"
    if not _DOC_RE.match(text):
        raise ValueError("机关代字或文种代字含有数字、空格或括号")
    return text


def normalize_doc_number(s: str | None) -> str:
    """Replace the brackets people type around the year ((), （）, [], 【】, 〖〗) by 〔〕
    and drop spaces, so a typed 文号 can be compared with stored ones."""
    if s is None:
        return ""
    text = "".join(str(s).split())
    return re.sub(
        r"[(（\[【〖〔]\s*(\d{4})\s*[)）\]】〗〕]",
        lambda m: f"〔{m.group(1)}〕",
        text,
        count=1,
    )


def parse_doc_number(s: str | None, short_name: str | None = None) -> DocNumber | None:
    """Inverse of :func:`format_doc_number`; None when ``s`` is not exactly in that form.

    With ``short_name`` the prefix is split into short name and kind, and a number of another
    organisation gives None.
    """
    if not s:
        return None
    m = _DOC_RE.match(str(s).strip())
    if not m:
        return None
    prefix = m.group("prefix")
    kind = None
    if short_name:
        if not prefix.startswith(short_name) or len(prefix) == len(short_name):
            return None
        kind = prefix[len(short_name):]
    return DocNumber(prefix, int(m.group("year")), int(m.group("seq")), short_name or None, kind)

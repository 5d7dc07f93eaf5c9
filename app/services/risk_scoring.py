"""Transparent, configurable risk assessment (风险评估机制) kept as data.

A *scheme* (see ``seed/risk_scheme.json``) lists factors with their points and the score
thresholds of the levels 低/中/高/重大. Keeping it as versioned data rather than code lets the
office tune it without a release, and lets every stored assessment say which version scored
it: scoring an old assessment again with its own version gives the same result.

Factor kinds:

* ``number`` — ``bands``: ascending ``{"min", "points", "label"}``; the highest band whose
  ``min`` <= value applies (a value below the first band scores 0);
* ``bool`` — ``points`` when true, 0 when false;
* ``choice`` — ``options``: ``{value: points}``.

Any factor may carry ``floor_level``: when it is *triggered* (bool true, or number/choice
scoring > 0 points) the level is at least that one, whatever the total (e.g. 非法集资 ≥ 高).
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

__all__ = [
    "SchemeError",
    "AnswerError",
    "Band",
    "Factor",
    "Level",
    "Scheme",
    "FactorResult",
    "Assessment",
    "load_scheme",
    "score",
    "MISSING_REASON",
]

MISSING_REASON = "未填"
_KINDS = ("number", "bool", "choice")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_FACTOR_FIELDS = {"key", "label", "kind", "help", "unit", "bands", "points", "options", "floor_level"}
_TRUE = {"是", "true", "yes", "y", "1", "有"}
_FALSE = {"否", "false", "no", "n", "0", "无"}


class SchemeError(ValueError):
    """A malformed scheme; ``errors`` lists every problem found (Chinese)."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("风险评估方案有误：" + "；".join(self.errors))


class AnswerError(ValueError):
    """Answers that do not fit the scheme; ``errors`` lists every problem found (Chinese)."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("；".join(self.errors))


@dataclass(frozen=True)
class Band:
    min: Decimal
    points: int
    label: str


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    kind: str
    points: int = 0  # bool
    bands: tuple[Band, ...] = ()  # number
    options: tuple[tuple[str, int], ...] = ()  # choice, in scheme order
    floor_level: str | None = None
    help: str = ""
    unit: str = ""

    @property
    def max_points(self) -> int:
        """Most points this factor can give (for showing weights on the form)."""
        if self.kind == "bool":
            return self.points
        if self.kind == "number":
            return max(b.points for b in self.bands)
        return max(p for _, p in self.options)


@dataclass(frozen=True)
class Level:
    level: str
    min: int


@dataclass(frozen=True)
class Scheme:
    version: int
    name: str
    levels: tuple[Level, ...]  # ascending by min, first min == 0
    factors: tuple[Factor, ...]
    raw: dict = field(repr=False, compare=False, hash=False, default_factory=dict)

    def factor(self, key: str) -> Factor:
        for f in self.factors:
            if f.key == key:
                return f
        raise KeyError(key)

    def level_rank(self, level: str) -> int:
        """0 for the lowest level; lets callers ask "at least 高?" without hard-coding."""
        for i, lv in enumerate(self.levels):
            if lv.level == level:
                return i
        raise KeyError(level)

    def level_for(self, points: int) -> str:
        """Level of a total score, by thresholds only (no floors)."""
        chosen = self.levels[0].level
        for lv in self.levels:
            if points >= lv.min:
                chosen = lv.level
        return chosen

    def to_dict(self) -> dict:
        """A deep copy of the definition, for storing next to the assessments it scored."""
        return copy.deepcopy(self.raw)


@dataclass(frozen=True)
class FactorResult:
    key: str
    label: str
    value: Any  # JSON-friendly: int | float | bool | str | None (None = 未填)
    points: int
    reason: str
    floor_level: str | None = None  # set when this factor forced a minimum level


@dataclass(frozen=True)
class Assessment:
    score: int
    level: str
    breakdown: list[FactorResult]  # points descending, scheme order among equals
    scheme_version: int = 0
    score_level: str = ""  # level from the score alone, before floors

    def to_dict(self) -> dict:
        """JSON-serialisable form for the API and the stored record."""
        return {
            "score": self.score,
            "level": self.level,
            "score_level": self.score_level,
            "scheme_version": self.scheme_version,
            "breakdown": [
                {
                    "key": r.key,
                    "label": r.label,
                    "value": r.value,
                    "points": r.points,
                    "reason": r.reason,
                    "floor_level": r.floor_level,
                }
                for r in self.breakdown
            ],
        }


# ----------------------------------------------------------------------------- loading


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


def _parse_factor(i: int, raw: Any, level_names: set[str], errors: list[str]) -> Factor | None:
    where = f"第{i + 1}个因素"
    if not isinstance(raw, dict):
        errors.append(f"{where}应为对象")
        return None
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY_RE.match(key):
        errors.append(f"{where}的 key 应为小写英文字母、数字和下划线组成的标识")
        key = None
    else:
        where = f"因素“{key}”"
    n_before = len(errors)
    unknown = sorted(set(raw) - _FACTOR_FIELDS)
    if unknown:
        errors.append(f"{where}含有不认识的字段：{'、'.join(unknown)}")
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        errors.append(f"{where}缺少中文名称 label")
    kind = raw.get("kind")
    if kind not in _KINDS:
        errors.append(f"{where}的 kind 应为 number、bool、choice 之一")
    floor = raw.get("floor_level")
    if floor is not None and floor not in level_names:
        errors.append(f"{where}的 floor_level“{floor}”不是方案中的等级")
    for opt in ("help", "unit"):
        if opt in raw and not isinstance(raw[opt], str):
            errors.append(f"{where}的 {opt} 应为文字")

    bands: list[Band] = []
    options: list[tuple[str, int]] = []
    points = 0
    if kind == "number":
        raw_bands = raw.get("bands")
        if not isinstance(raw_bands, list) or not raw_bands:
            errors.append(f"{where}（数值型）须有非空的 bands 分档")
        else:
            for j, b in enumerate(raw_bands):
                bw = f"{where}的第{j + 1}档"
                if not isinstance(b, dict) or set(b) - {"min", "points", "label"}:
                    errors.append(f"{bw}应为只含 min、points、label 的对象")
                    continue
                if not _is_number(b.get("min")) or b["min"] < 0:
                    errors.append(f"{bw}的 min 应为非负数")
                    continue
                if not _is_int(b.get("points")) or b["points"] < 0:
                    errors.append(f"{bw}的 points 应为非负整数")
                    continue
                if not isinstance(b.get("label"), str) or not b["label"].strip():
                    errors.append(f"{bw}缺少说明 label")
                    continue
                m = Decimal(str(b["min"]))
                if bands and m <= bands[-1].min:
                    errors.append(f"{bw}的 min 应大于上一档")
                    continue
                bands.append(Band(m, b["points"], b["label"]))
    elif kind == "bool":
        points = raw.get("points")
        if not _is_int(points) or points < 0:
            errors.append(f"{where}（是否型）的 points 应为非负整数")
            points = 0
    elif kind == "choice":
        raw_opts = raw.get("options")
        if not isinstance(raw_opts, dict) or not raw_opts:
            errors.append(f"{where}（选项型）须有非空的 options")
        else:
            for name, p in raw_opts.items():
                if not isinstance(name, str) or not name.strip():
                    errors.append(f"{where}的选项名称不能为空")
                elif not _is_int(p) or p < 0:
                    errors.append(f"{where}的选项“{name}”的分值应为非负整数")
                else:
                    options.append((name, p))
    if len(errors) > n_before or key is None:
        return None
    return Factor(
        key=key,
        label=label.strip(),
        kind=kind,
        points=points,
        bands=tuple(bands),
        options=tuple(options),
        floor_level=floor,
        help=raw.get("help", ""),
        unit=raw.get("unit", ""),
    )


def load_scheme(path_or_dict: str | Path | dict) -> Scheme:
    """Validate a scheme (a JSON file path or an already-parsed dict) and build a Scheme.

    Raises SchemeError listing every problem in Chinese. The input dict is deep-copied, so
    editing it afterwards cannot change a loaded scheme.
    """
    if isinstance(path_or_dict, dict):
        raw = copy.deepcopy(path_or_dict)
    elif isinstance(path_or_dict, (str, Path)):
        try:
            raw = json.loads(Path(path_or_dict).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SchemeError([f"无法读取方案文件：{exc}"]) from exc
        except ValueError as exc:
            raise SchemeError([f"方案文件不是合法的 JSON：{exc}"]) from exc
    else:
        raise SchemeError(["方案应为 JSON 文件路径或字典"])
    if not isinstance(raw, dict):
        raise SchemeError(["方案应为 JSON 对象"])

    errors: list[str] = []
    version = raw.get("version")
    if not _is_int(version) or version < 1:
        errors.append("version 应为正整数")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append("缺少方案名称 name")

    levels: list[Level] = []
    raw_levels = raw.get("levels")
    if not isinstance(raw_levels, list) or not raw_levels:
        errors.append("levels 应为非空列表")
    else:
        for j, lv in enumerate(raw_levels):
            if not isinstance(lv, dict) or not isinstance(lv.get("level"), str) or not lv["level"].strip():
                errors.append(f"第{j + 1}个等级缺少名称 level")
                continue
            if not _is_int(lv.get("min")) or lv["min"] < 0:
                errors.append(f"等级“{lv['level']}”的 min 应为非负整数")
                continue
            if any(x.level == lv["level"] for x in levels):
                errors.append(f"等级“{lv['level']}”重复")
                continue
            if levels and lv["min"] <= levels[-1].min:
                errors.append(f"等级“{lv['level']}”的 min 应大于上一等级")
                continue
            levels.append(Level(lv["level"], lv["min"]))
        if levels and levels[0].min != 0:
            errors.append("最低等级的 min 应为0")

    factors: list[Factor] = []
    raw_factors = raw.get("factors")
    if not isinstance(raw_factors, list) or not raw_factors:
        errors.append("factors 应为非空列表")
    else:
        names = {lv.level for lv in levels}
        seen: set[str] = set()
        for i, rf in enumerate(raw_factors):
            f = _parse_factor(i, rf, names, errors)
            if f is None:
                continue
            if f.key in seen:
                errors.append(f"因素“{f.key}”重复")
                continue
            seen.add(f.key)
            factors.append(f)
    if errors:
        raise SchemeError(errors)
    return Scheme(version, name.strip(), tuple(levels), tuple(factors), raw)


# ----------------------------------------------------------------------------- scoring


def _json_number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _eval_factor(f: Factor, value: Any, errors: list[str]) -> FactorResult | None:
    if _is_blank(value):
        return FactorResult(f.key, f.label, None, 0, MISSING_REASON)
    if f.kind == "number":
        if isinstance(value, bool):
            errors.append(f"“{f.label}”应填写数字")
            return None
        try:
            num = Decimal(value.strip().replace(",", "")) if isinstance(value, str) else Decimal(str(value))
        except (InvalidOperation, TypeError, ValueError):
            errors.append(f"“{f.label}”应填写数字")
            return None
        if not num.is_finite() or num < 0:
            errors.append(f"“{f.label}”应为不小于0的数字")
            return None
        band = None
        for b in f.bands:
            if num >= b.min:
                band = b
        shown = _json_number(num)
        if band is None:
            return FactorResult(f.key, f.label, shown, 0, f"{shown}{f.unit}：低于最低档")
        return FactorResult(f.key, f.label, shown, band.points, f"{shown}{f.unit}：{band.label}")
    if f.kind == "bool":
        flag: bool | None
        if isinstance(value, bool):
            flag = value
        elif _is_int(value) and value in (0, 1):
            flag = bool(value)
        elif isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            flag = value.strip().lower() in _TRUE
        else:
            flag = None
        if flag is None:
            errors.append(f"“{f.label}”应填写“是”或“否”")
            return None
        return FactorResult(f.key, f.label, flag, f.points if flag else 0, "是" if flag else "否")
    # choice
    choice = value.strip() if isinstance(value, str) else value
    options = dict(f.options)
    if not isinstance(choice, str) or choice not in options:
        names = "、".join(name for name, _ in f.options)
        errors.append(f"“{f.label}”应为以下之一：{names}")
        return None
    return FactorResult(f.key, f.label, choice, options[choice], choice)


def score(scheme: Scheme, answers: dict) -> Assessment:
    """Score ``answers`` (factor key → value) with ``scheme``.

    Unknown keys and values that do not fit their factor raise AnswerError (all problems at
    once, Chinese). Missing or blank answers score 0 and appear in the breakdown as 未填.
    Booleans accept True/False, 1/0 and 是/否; numbers accept numeric strings.
    """
    if not isinstance(answers, dict):
        raise AnswerError(["评估答案应为“因素: 取值”的字典"])
    errors: list[str] = []
    known = {f.key for f in scheme.factors}
    unknown = [k for k in answers if k not in known]
    if unknown:
        errors.append(f"方案第{scheme.version}版中没有这些评估因素：{'、'.join(map(str, unknown))}")
    results: list[FactorResult] = []
    for f in scheme.factors:
        r = _eval_factor(f, answers.get(f.key), errors)
        if r is not None:
            results.append(r)
    if errors:
        raise AnswerError(errors)

    total = sum(r.points for r in results)
    score_level = scheme.level_for(total)
    level = score_level
    final: list[FactorResult] = []
    for r in results:
        f = scheme.factor(r.key)
        triggered = f.floor_level is not None and (
            r.value is True if f.kind == "bool" else r.points > 0
        )
        if triggered:
            r = FactorResult(
                r.key, r.label, r.value, r.points,
                f"{r.reason}（触发底线：等级不低于{f.floor_level}）", f.floor_level,
            )
            if scheme.level_rank(f.floor_level) > scheme.level_rank(level):
                level = f.floor_level
        final.append(r)
    final.sort(key=lambda r: -r.points)  # stable: scheme order among equal points
    return Assessment(total, level, final, scheme.version, score_level)

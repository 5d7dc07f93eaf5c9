import copy
import json
from pathlib import Path

import pytest

from app.services.risk_scoring import (
    AnswerError,
    SchemeError,
    load_scheme,
    score,
)

SEED = Path(__file__).resolve().parents[1] / "seed" / "risk_scheme.json"


@pytest.fixture(scope="module")
def v1_dict():
    return json.loads(SEED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def v1():
    return load_scheme(SEED)


def test_seed_scheme_shape(v1):
    assert v1.version == 1
    assert [lv.level for lv in v1.levels] == ["低", "中", "高", "重大"]
    assert [lv.min for lv in v1.levels] == [0, 30, 60, 90]
    assert len(v1.factors) == 11
    floors = {f.key: f.floor_level for f in v1.factors if f.floor_level}
    assert floors == {"illegal_fundraising": "高", "mine_or_hazardous_chemicals": "高"}
    assert all(f.label and f.help for f in v1.factors)


CASES = [
    # (answers, expected score, expected level)
    ({}, 0, "低"),
    ({"employees": 15, "wage_arrears": 5}, 0, "低"),
    ({"employees": 120, "wage_arrears": 60, "creditors": 60, "petition_risk": "一般"}, 28, "低"),
    (
        {"employees": 120, "wage_arrears": 60, "creditors": 60, "petition_risk": "一般",
         "public_opinion_risk": "一般"},
        33, "中",
    ),
    (
        {"employees": 350, "wage_arrears": 250, "social_insurance_arrears": 60, "creditors": 250,
         "petition_risk": "较大"},
        69, "高",
    ),
    ({"illegal_fundraising": True}, 25, "高"),  # floor trigger
    ({"mine_or_hazardous_chemicals": "是", "employees": 50}, 25, "高"),  # floor trigger
    (
        {"home_buyers": 1200, "creditors": 1500, "petition_risk": "重大",
         "public_opinion_risk": "重大"},
        100, "重大",
    ),
    (
        {"illegal_fundraising": True, "employees": 1000, "wage_arrears": 500,
         "petition_risk": "较大"},
        100, "重大",  # a floor never lowers the level
    ),
    ({"state_owned": True, "environmental_liability": True, "social_insurance_arrears": 500}, 36, "中"),
    ({"state_owned": "是", "environmental_liability": "否", "illegal_fundraising": False}, 8, "低"),
    ({"wage_arrears": "12.5", "employees": None, "petition_risk": ""}, 5, "低"),
]


@pytest.mark.parametrize("answers, expected_score, expected_level", CASES)
def test_synthetic_cases(v1, answers, expected_score, expected_level):
    result = score(v1, answers)
    assert (result.score, result.level) == (expected_score, expected_level)
    assert result.scheme_version == 1
    assert len(result.breakdown) == len(v1.factors)
    assert sum(r.points for r in result.breakdown) == result.score


def test_floor_is_explained(v1):
    result = score(v1, {"illegal_fundraising": True})
    assert result.score_level == "低" and result.level == "高"
    top = result.breakdown[0]
    assert top.key == "illegal_fundraising" and top.points == 25
    assert top.floor_level == "高" and "不低于高" in top.reason


def test_breakdown_sorted_and_missing_marked(v1):
    result = score(v1, {"employees": 350, "petition_risk": "重大", "state_owned": False})
    points = [r.points for r in result.breakdown]
    assert points == sorted(points, reverse=True)
    assert [r.key for r in result.breakdown[:2]] == ["petition_risk", "employees"]
    by_key = {r.key: r for r in result.breakdown}
    assert by_key["employees"].reason == "350人：300人以上"
    assert by_key["state_owned"].value is False and by_key["state_owned"].reason == "否"
    assert by_key["creditors"].value is None and by_key["creditors"].reason == "未填"
    data = result.to_dict()
    json.dumps(data, ensure_ascii=False)  # must be JSON-serialisable for the stored record
    assert data["breakdown"][0]["key"] == "petition_risk"


def test_unknown_and_invalid_answers_are_all_reported(v1):
    with pytest.raises(AnswerError) as exc:
        score(v1, {"employes": 3})
    assert "employes" in str(exc.value)
    with pytest.raises(AnswerError) as exc:
        score(v1, {"employees": "很多", "wage_arrears": -1, "petition_risk": "很大",
                   "state_owned": "也许", "creditors": True})
    assert len(exc.value.errors) == 5
    assert "信访风险" in str(exc.value) and "无、一般、较大、重大" in str(exc.value)


def _boundary_scheme(v1_dict):
    points = [0, 29, 30, 59, 60, 89, 90, 200]
    return {
        "version": 9,
        "name": "边界测试",
        "levels": v1_dict["levels"],
        "factors": [
            {"key": "x", "label": "分值", "kind": "number",
             "bands": [{"min": p, "points": p, "label": f"{p}分"} for p in points]},
        ],
    }


@pytest.mark.parametrize(
    "value, level",
    [(0, "低"), (29, "低"), (30, "中"), (59, "中"), (60, "高"), (89, "高"), (90, "重大"), (200, "重大")],
)
def test_level_boundaries(v1_dict, value, level):
    scheme = load_scheme(_boundary_scheme(v1_dict))
    result = score(scheme, {"x": value})
    assert result.score == value and result.level == level
    assert scheme.level_for(value) == level


def test_band_boundaries_are_inclusive(v1):
    def pts(n):
        return score(v1, {"employees": n}).score

    assert [pts(19), pts(20), pts(99), pts(100), pts(299), pts(300), pts(999), pts(1000)] == [
        0, 5, 5, 10, 10, 20, 20, 30,
    ]


def test_versions_give_different_results_and_v1_is_unchanged(v1_dict):
    answers = {"employees": 350, "petition_risk": "较大", "public_opinion_risk": "较大", "state_owned": True}
    source = copy.deepcopy(v1_dict)
    scheme_v1 = load_scheme(source)
    before = score(scheme_v1, answers)

    v2 = copy.deepcopy(v1_dict)
    v2["version"] = 2
    v2["levels"][2]["min"] = 50
    for f in v2["factors"]:
        if f["key"] == "state_owned":
            f["points"] = 15
    scheme_v2 = load_scheme(v2)
    after_v2 = score(scheme_v2, answers)

    source["factors"][0]["bands"][3]["points"] = 999  # editing the dict after loading
    again = score(scheme_v1, answers)

    assert (before.score, before.level, before.scheme_version) == (53, "中", 1)
    assert (after_v2.score, after_v2.level, after_v2.scheme_version) == (60, "高", 2)
    assert again == before
    assert scheme_v1.to_dict()["factors"][0]["bands"][3]["points"] == 20


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda d: d.pop("version"), "version"),
        (lambda d: d.update(name=""), "name"),
        (lambda d: d["levels"][2].update(min=20), "应大于上一等级"),
        (lambda d: d["levels"][0].update(min=5), "最低等级"),
        (lambda d: d["factors"][4].update(floor_level="极高"), "不是方案中的等级"),
        (lambda d: d["factors"][0]["bands"][2].update(min=10), "应大于上一档"),
        (lambda d: d["factors"][0].update(kind="text"), "kind"),
        (lambda d: d["factors"][0].update(floorlevel="高"), "不认识的字段"),
        (lambda d: d["factors"][5]["options"].update({"较大": -1}), "非负整数"),
        (lambda d: d["factors"][1].update(key="employees"), "重复"),
        (lambda d: d["factors"][4].update(points="25"), "points"),
        (lambda d: d.update(factors=[]), "factors"),
    ],
)
def test_malformed_scheme_is_rejected_in_chinese(v1_dict, mutate, fragment):
    bad = copy.deepcopy(v1_dict)
    mutate(bad)
    with pytest.raises(SchemeError) as exc:
        load_scheme(bad)
    assert fragment in str(exc.value)
    assert str(exc.value).startswith("风险评估方案有误")


def test_scheme_collects_all_errors(v1_dict):
    bad = copy.deepcopy(v1_dict)
    bad["version"] = 0
    bad["factors"][0]["kind"] = "text"
    bad["factors"][5]["options"] = {}
    with pytest.raises(SchemeError) as exc:
        load_scheme(bad)
    assert len(exc.value.errors) == 3


def test_scheme_file_errors(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(SchemeError, match="JSON"):
        load_scheme(broken)
    with pytest.raises(SchemeError, match="无法读取"):
        load_scheme(tmp_path / "missing.json")


def test_unhashable_answers_are_errors_not_crashes(v1):
    with pytest.raises(AnswerError) as exc:
        score(v1, {"petition_risk": ["重大"], "employees": [1], "state_owned": {}})
    assert len(exc.value.errors) == 3

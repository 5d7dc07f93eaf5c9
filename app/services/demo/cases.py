"""Demo cases and what hangs on them: progress entries, risk assessments, disposal plans, coordination
groups, the judge and the trustee."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Optional


from app.services.identifiers import make_valid_credit_code
from app.services.risk_scoring import score

from app.services.demo.bulk import Batch
from app.services.demo.values import _at, _money, _person, _phone, _weighted, _workday
from app.services.demo.vocabulary import BRANDS, ENTERPRISE_TYPES, INDUSTRIES, JUDGES, LAW_FIRMS, MONITORING, PLACES, PROCEDURES, SUFFIXES


class CaseRows:
    """Mixin of `DemoGenerator` (generator.py): self.rng, self.ref, self.ids, self.counters, self.today, self.now."""

    def make_case(self, b: Batch, accepted: Optional[dt.date]) -> dict:
        rng = self.rng
        word, industry = rng.choice(INDUSTRIES)
        name = f"{rng.choice(['山西', '平陆县', '运城市', '山西'])}{rng.choice(PLACES)}{''.join(rng.sample(BRANDS, 2))}{word}{rng.choice(SUFFIXES)}"
        etype = _weighted(rng, ENTERPRISE_TYPES)
        procedure = _weighted(rng, PROCEDURES)
        employees = int(rng.paretovariate(1.2) * 15)
        employees = min(employees, 3000)
        major = rng.random() < 0.15
        if major:
            employees = max(employees, rng.randint(150, 1200))
        if accepted is None:
            stage, application = "application", _workday(self.today - dt.timedelta(days=rng.randint(3, 40)))
        else:
            application = accepted - dt.timedelta(days=rng.randint(10, 45))
            age = (self.today - accepted).days
            if age > 900:
                stage = _weighted(rng, [("concluded", 70), ("realization", 20), ("reorganization_plan", 10)])
            elif age > 400:
                stage = _weighted(rng, [("realization", 35), ("declared", 20), ("reorganization_plan", 20),
                                        ("concluded", 20), ("creditors_meeting", 5)])
            elif age > 120:
                stage = _weighted(rng, [("creditors_meeting", 40), ("claims", 20), ("declared", 25), ("realization", 15)])
            else:
                stage = _weighted(rng, [("accepted", 50), ("claims", 50)])
            if procedure == "reorganization" and stage in ("declared", "realization"):
                stage = "reorganization_plan"
        closing = None
        if stage == "concluded":
            closing = min(self.today - dt.timedelta(days=1), accepted + dt.timedelta(days=rng.randint(300, 800)))
        year = (accepted or application).year
        debt = _money(rng, 50, 200000 if major else 20000)
        wage = _money(rng, 1, 3000 if major else 300) if rng.random() < 0.7 else Decimal(0)
        social = _money(rng, 1, 1500 if major else 150) if rng.random() < 0.6 else Decimal(0)
        creditors = int(rng.paretovariate(1.1) * 12)
        cid = self.ids("bankruptcy_case")
        row = b.add(
            "bankruptcy_case", id=cid, case_number=self.counters.next_case(year), enterprise_name=name,
            credit_code=make_valid_credit_code(rng), enterprise_type=etype, industry=industry,
            procedure_type=procedure, stage=stage, application_date=application, acceptance_date=accepted,
            closing_date=closing, administrator=rng.choice(LAW_FIRMS) if accepted else None,
            administrator_contact=f"{_person(rng)} {_phone(rng)}" if accepted else None,
            judge=(rng.choice(JUDGES) if self.ref.judge_ids else _person(rng)) if accepted else None, debt_amount=debt,
            asset_amount=(debt * Decimal(rng.randint(5, 80)) / 100).quantize(Decimal("0.01")),
            employee_count=employees, wage_arrears=wage, social_insurance_arrears=social, creditor_count=creditors,
            is_major_sensitive=major,
            monitoring_points=("；".join(rng.sample(MONITORING, rng.randint(2, 3))) + "。") if major else None,
            is_zombie=rng.random() < 0.2, is_capacity_reduction=rng.random() < 0.05, risk_level=None,
            acceptance_override_reason=None, notes=None, version_id=1,
            created_at=_at(rng, application), updated_at=_at(rng, min(self.today, (accepted or application) + dt.timedelta(days=30))),
            created_by_id=None,
        )
        return row

    def case_extras(self, b: Batch, case: dict) -> None:
        """Progress entries, the risk assessment (and a disposal plan when the level calls for it), a group."""
        rng, ref = self.rng, self.ref
        start = case["acceptance_date"] or case["application_date"]
        for i in range(rng.randint(1, 4)):
            day = min(self.today, start + dt.timedelta(days=rng.randint(0, max(1, (self.today - start).days))))
            unit = ref.office_id if rng.random() < 0.5 else rng.choice(ref.member_ids)
            b.add("case_progress", id=self.ids("case_progress"), case_id=case["id"], entry_date=day, stage=case["stage"],
                  content=rng.choice(["管理人已接管企业财产、印章和账簿。", "第一次债权人会议已召开，债权表经核查无异议。",
                                      "职工债权清单已公示，职工安置方案正在制定。", "财产变价方案已经债权人会议表决通过。",
                                      "重整投资人招募公告已发布，已有2家意向投资人报名。", "已完成土地、房产评估。"]),
                  unit_id=unit, version_id=1, created_at=_at(rng, day), updated_at=_at(rng, day), created_by_id=None)
        if ref.scheme is None or not (case["is_major_sensitive"] or rng.random() < 0.5 or case["stage"] == "application"):
            return
        answers = {
            "employees": case["employee_count"],
            "wage_arrears": float(case["wage_arrears"] / 10000),
            "social_insurance_arrears": float(case["social_insurance_arrears"] / 10000),
            "creditors": case["creditor_count"],
            "illegal_fundraising": rng.random() < (0.25 if case["is_major_sensitive"] else 0.03),
            "petition_risk": _weighted(rng, [("无", 55), ("一般", 30), ("较大", 12), ("重大", 3)]),
            "public_opinion_risk": _weighted(rng, [("无", 65), ("一般", 25), ("较大", 8), ("重大", 2)]),
            "mine_or_hazardous_chemicals": case["industry"] in ("煤炭开采和洗选业", "化学原料和化学制品制造业", "黑色金属矿采选业")
            and rng.random() < 0.7,
            "environmental_liability": rng.random() < 0.15,
            "state_owned": case["enterprise_type"] in ("state", "state_holding"),
            "home_buyers": rng.randint(1, 800) if case["industry"] == "房地产业" else 0,
        }
        known = {f.key for f in ref.scheme.factors}
        answers = {k: v for k, v in answers.items() if k in known}
        result = score(ref.scheme, answers)
        day = case["application_date"] + dt.timedelta(days=rng.randint(1, 9))
        aid = self.ids("assessment")
        b.add("assessment", id=aid, case_id=case["id"], scheme_id=ref.scheme_id, assessed_on=day,
              answers=json.dumps(answers, ensure_ascii=False), score=result.score, level=result.level,
              breakdown=json.dumps(result.to_dict()["breakdown"], ensure_ascii=False),
              note="受理前风险评估（演示数据）", version_id=1, created_at=_at(rng, day), updated_at=_at(rng, day),
              created_by_id=None)
        case["risk_level"] = result.level
        if result.level in ("高", "重大") or (result.level == "中" and rng.random() < 0.2):
            status = "draft" if case["stage"] == "application" else _weighted(
                rng, [("approved", 30), ("in_effect", 50), ("closed", 20 if case["stage"] == "concluded" else 0)])
            pid = self.ids("disposal_plan")
            approved = _at(rng, day + dt.timedelta(days=rng.randint(3, 15))) if status != "draft" else None
            b.add("disposal_plan", id=pid, case_id=case["id"], assessment_id=aid,
                  title=f"{case['enterprise_name']}破产处置风险化解方案", summary="针对评估发现的风险点，明确化解措施、责任单位和完成时限。",
                  status=status, approved_at=approved, approved_by_id=None, version_id=1,
                  created_at=_at(rng, day), updated_at=_at(rng, day), created_by_id=None)
            for seq in range(1, rng.randint(2, 4) + 1):
                cat_id, cat_name, units = rng.choice(ref.categories)
                unit = units[0] if units else rng.choice(ref.member_ids)
                mid = self.ids("plan_measure")
                b.add("plan_measure", id=mid, plan_id=pid, seq=seq,
                      content=f"做好{cat_name}相关工作，防范化解风险", responsible_unit_id=unit,
                      deadline=day + dt.timedelta(days=rng.randint(30, 120)), version_id=1)
                if status in ("approved", "in_effect", "closed") and rng.random() < 0.5:
                    self.make_matter(b, case, source="plan", category=(cat_id, cat_name, units), lead=unit,
                                     plan_measure_id=mid, earliest=approved.date())
        if case["is_major_sensitive"] and case["acceptance_date"] and rng.random() < 0.6:
            gid = self.ids("coordination_group")
            setup = case["acceptance_date"] + dt.timedelta(days=rng.randint(5, 40))
            dissolved = case["stage"] == "concluded"
            b.add("coordination_group", id=gid, name=f"{case['enterprise_name']}破产处置专门领导协调组",
                  case_id=case["id"], court_leader=f"{_person(rng)}（县法院副院长）",
                  government_leader=f"{_person(rng)}（副县长）", mandate="统筹协调该案职工安置、资产处置、维护稳定等重大事项。",
                  setup_date=setup, status="dissolved" if dissolved else "active",
                  dissolved_date=case["closing_date"] if dissolved else None,
                  dissolve_reason="破产程序已终结，协调任务完成" if dissolved else None,
                  version_id=1, created_at=_at(rng, setup), updated_at=_at(rng, setup), created_by_id=None)
            members = rng.sample(ref.member_ids, 4)
            for role, unit in [("court_leader", None), ("gov_leader", None)] + [("member", u) for u in members] + [("liaison", ref.office_id)]:
                b.add("group_member", id=self.ids("group_member"), group_id=gid, unit_id=unit, person_name=_person(rng),
                      position={"court_leader": "县法院副院长", "gov_leader": "副县长", "liaison": "联动办公室联络员"}.get(role, "分管负责同志"),
                      role=role, version_id=1)
            for _ in range(rng.randint(2, 5)):
                day = min(self.today, setup + dt.timedelta(days=rng.randint(1, 300)))
                b.add("group_log", id=self.ids("group_log"), group_id=gid, log_date=day,
                      content=rng.choice(["召开协调组会议，研究职工安置方案。", "实地走访企业，听取管理人工作汇报。",
                                          "协调税务、自然资源部门解决资产过户问题。", "约谈意向投资人，推进重整招商。"]),
                      author=_person(rng), version_id=1, created_by_id=None)
            for _ in range(rng.randint(1, 2)):
                self.make_matter(b, case, source="group", group_id=gid, earliest=setup)

"""Demo 协调申请 and 信息核查 (issue 14) from judges and trustees, in every state the office can leave them."""
from __future__ import annotations

import datetime as dt
from typing import Optional



from app.services.demo.bulk import Batch
from app.services.demo.values import _at, _weighted, _workday
from app.services.demo.vocabulary import DECLINE_REASONS, JUDGES, REQUEST_SAMPLES


class RequestRows:
    """Mixin of `DemoGenerator` (generator.py): self.rng, self.ref, self.ids, self.counters, self.today, self.now."""

    def case_requests(self, b: Batch, case: dict) -> None:
        """The case's judge and administrator (demo users), their requests and the matters answering them."""
        rng, ref = self.rng, self.ref
        if not case["acceptance_date"] or not ref.judge_ids:
            return
        judge = ref.judge_ids[JUDGES.index(case["judge"]) % len(ref.judge_ids)] if case["judge"] in JUDGES \
            else rng.choice(ref.judge_ids)
        trustee = ref.trustee_ids.get(case["administrator"])
        for user_id, role in ((judge, "judge"), (trustee, "administrator")):
            if user_id:
                at = _at(rng, case["acceptance_date"])
                b.add("case_assignment", id=self.ids("case_assignment"), case_id=case["id"], user_id=user_id, role=role,
                      note=None, version_id=1, created_at=at, updated_at=at, created_by_id=None)
        if case["stage"] == "concluded":
            return
        if trustee and ref.items and rng.random() < 0.35:
            self.check_request(b, case, trustee)
        if rng.random() < 0.3:
            who, role = (trustee, "administrator") if trustee and rng.random() < 0.7 else (judge, "judge")
            self.coordination_request(b, case, who, role)

    def _request_row(self, b: Batch, case: dict, kind: str, requester: int, role: str, submitted: dt.datetime,
                     status: str, title: str, needs: str, reason: Optional[str], category_id=None, matter_id=None,
                     decided: Optional[dt.datetime] = None, note: Optional[str] = None) -> dict:
        return b.add("coordination_request", id=self.ids("coordination_request"), kind=kind, case_id=case["id"],
                     title=title[:200], needs=needs, reason=reason, category_id=category_id, desired_date=None,
                     status=status, requester_id=requester, requester_role=role, submitted_at=submitted,
                     decided_at=decided, decided_by_id=None, decision_note=note, matter_id=matter_id, version_id=1,
                     created_at=submitted, updated_at=decided or submitted, created_by_id=requester)

    def check_request(self, b: Batch, case: dict, trustee: int) -> None:
        """An information check of 2–4 units, approved into one matter per unit (a few still waiting)."""
        rng, ref = self.rng, self.ref
        units = sorted({unit for _, unit, _, _ in ref.items})
        chosen_units = rng.sample(units, min(len(units), rng.randint(2, 4)))
        items = [it for it in ref.items if it[1] in chosen_units and rng.random() < 0.7] or \
            [next(it for it in ref.items if it[1] == chosen_units[0])]
        waiting = rng.random() < 0.1
        ename = case["enterprise_name"]
        title = f"{ename}信息核查（{len({it[1] for it in items})}个单位{len(items)}项）"
        needs = "；".join(f"{ref.unit_names[unit]}：{name}" for _, unit, name, _ in items)
        if waiting:
            submitted = _at(rng, _workday(self.today - dt.timedelta(days=rng.randint(0, 3))), 8, 11)
            submitted = min(submitted, self.now)
            request = self._request_row(b, case, "check", trustee, "administrator", submitted, "submitted", title, needs,
                                        "调查债务人财产和负债状况")
            for sort, (item_id, unit, _, _) in enumerate(items, 1):
                b.add("check_line", id=self.ids("check_line"), request_id=request["id"], item_id=item_id, unit_id=unit,
                      note=None, matter_id=None, sort_order=sort, version_id=1)
            return
        rows = {}
        for unit in dict.fromkeys(it[1] for it in items):
            names = "、".join(name for _, u, name, _ in items if u == unit)
            deadline_days = max(days for _, u, _, days in items if u == unit)
            earliest = case["acceptance_date"] + dt.timedelta(days=rng.randint(3, 30))
            status = _weighted(rng, [("sent", 10), ("signed", 10), ("in_progress", 15), ("replied", 25), ("closed", 40)])
            rows[unit] = self.make_matter(b, case, source="check", category=(None, "信息核查", []), lead=unit, co=[],
                                          status=status, earliest=min(earliest, self.today),
                                          title=f"关于协助查询{ename}{names}的函")
            rows[unit]["content"] = (f"{ename}破产一案（{case['case_number']}），管理人{case['administrator']}依法调查债务人"
                                     f"财产和负债状况，申请查询：{names}。请于{deadline_days}个工作日内将查询结果函复我办。")
        first = min(r["created_at"] for r in rows.values())
        submitted = first - dt.timedelta(hours=rng.randint(20, 72))
        request = self._request_row(b, case, "check", trustee, "administrator", submitted, "accepted", title, needs,
                                    "调查债务人财产和负债状况", decided=first, note="同意，按标准期限函告各单位")
        for sort, (item_id, unit, _, _) in enumerate(items, 1):
            b.add("check_line", id=self.ids("check_line"), request_id=request["id"], item_id=item_id, unit_id=unit,
                  note=None, matter_id=rows[unit]["id"], sort_order=sort, version_id=1)

    def coordination_request(self, b: Batch, case: dict, requester: int, role: str) -> None:
        """A 协调申请: accepted into a matter, merged into one of the case, declined, or still waiting."""
        rng, ref = self.rng, self.ref
        cat_name, title, needs, reason = rng.choice(REQUEST_SAMPLES)
        category = next((c for c in ref.categories if c[1] == cat_name), rng.choice(ref.categories))
        title = title.format(e=case["enterprise_name"])
        status = _weighted(rng, [("accepted", 55), ("merged", 10), ("declined", 15), ("submitted", 20)])
        existing = [r for r in self.case_matters.get(case["id"], []) if r["status"] not in ("cancelled", "closed")]
        if status == "merged" and not existing:
            status = "accepted"
        if status == "submitted":
            submitted = min(self.now, _at(rng, _workday(self.today - dt.timedelta(days=rng.randint(0, 6)))))
            request = self._request_row(b, case, "coordination", requester, role, submitted, status, title, needs, reason,
                                        category[0])
        elif status == "accepted":
            matter = self.make_matter(b, case, source="request", category=category, title=title,
                                      earliest=min(self.today, case["acceptance_date"] + dt.timedelta(days=rng.randint(5, 60))))
            submitted = matter["created_at"] - dt.timedelta(hours=rng.randint(4, 72))
            request = self._request_row(b, case, "coordination", requester, role, submitted, status, title, needs, reason,
                                        category[0], matter_id=matter["id"], decided=matter["created_at"], note="同意协调")
        else:
            base = rng.choice(existing) if status == "merged" else None
            start = base["created_at"] if base else _at(rng, case["acceptance_date"])
            submitted = min(self.now, start + dt.timedelta(hours=rng.randint(2, 240)))
            decided = min(self.now, submitted + dt.timedelta(hours=rng.randint(2, 48)))
            request = self._request_row(b, case, "coordination", requester, role, submitted, status, title, needs, reason,
                                        category[0], matter_id=base["id"] if base else None, decided=decided,
                                        note="与在办事项一并办理" if base else rng.choice(DECLINE_REASONS))
        for unit in category[2][:2]:
            b.add("request_unit", request_id=request["id"], unit_id=unit)

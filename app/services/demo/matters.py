"""Demo 协调事项 consistent with the workflow: each status with the parts, replies, timeline, extension
requests and reminders a matter in it has."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from app.models.supervision import OPEN_MATTER_STATUSES
from app.services.demo.bulk import Batch
from app.services.demo.values import _at, _weighted, _workday
from app.services.demo.vocabulary import MATTER_STATUS_WEIGHTS, MATTER_TITLES, REPLY_RESULTS


CANCEL_REASONS = ["案件程序调整，事项不再需要办理", "与其他事项合并办理", "管理人已自行解决"]


class MatterRows:
    """Mixin of `DemoGenerator` (generator.py): self.rng, self.ref, self.ids, self.counters, self.today, self.now.

    Each step draws its random numbers in the same order as before it was a step, so a seed still
    makes the same data."""

    def make_matter(self, b: Batch, case: dict, *, source: str = "office", category=None, lead: Optional[int] = None,
                    co: Optional[list[int]] = None, status: Optional[str] = None, earliest: Optional[dt.date] = None,
                    deadline: Optional[dt.date] = None, title: Optional[str] = None, decision_id: Optional[int] = None,
                    group_id: Optional[int] = None, plan_measure_id: Optional[int] = None) -> dict:
        rng, ref = self.rng, self.ref
        (cat_id, cat_name, _), lead, co = self._matter_units(category, lead, co)
        status, assigned = self._matter_status_and_date(case, status, earliest)
        if deadline is None or deadline < assigned:
            deadline = assigned + dt.timedelta(days=rng.choice([10, 14, 15, 20, 30]))
        ename = case["enterprise_name"]
        title = title or rng.choice(MATTER_TITLES.get(cat_name, MATTER_TITLES["其他"])).format(e=ename)
        mid = self.ids("matter")
        lead_name = ref.unit_names[lead]
        assigned, created_at, sent_at = self._matter_sent_at(status, assigned)
        row = b.add(
            "matter", id=mid, letter_number=None, letter_year=None, letter_seq=None, title=title[:200],
            content=(f"{ename}（{case['case_number']}）破产处置工作中，需{lead_name}"
                     f"{'会同' + '、'.join(ref.unit_names[u] for u in co) if co else ''}依职责协助办理{cat_name}相关事项。"
                     f"请于{deadline.year}年{deadline.month}月{deadline.day}日前函复办理结果。"),
            category_id=cat_id, source=source, case_id=case["id"], lead_unit_id=lead, assigned_date=assigned,
            deadline=deadline, status=status, contact_name=None, contact_phone=None, sent_at=sent_at,
            replied_at=None, closed_at=None, cancel_reason=None, decision_id=decision_id, group_id=group_id,
            plan_measure_id=plan_measure_id, version_id=1, created_at=created_at,
            updated_at=None, created_by_id=None,
        )
        events: list[tuple] = []  # written in time order: the timeline is ordered by id

        def ev(action, at, note=None, unit=None, who="联动办公室"):
            events.append((at, len(events), action, note, unit, who))
        ev("create", row["created_at"], "拟办")
        parts = [(lead, "lead")] + [(u, "co") for u in co]
        last, replied_at = self._matter_parts(b, row, parts, cat_name, ev)
        self._matter_outcome(row, last, replied_at, ev)
        self.case_matters[case["id"]].append(row)
        self._matter_extension(b, row, ev)
        self._matter_reminders(b, row, ev)
        for at, _, action, note, unit, who in sorted(events, key=lambda e: (e[0], e[1])):
            b.add("matter_event", id=self.ids("matter_event"), matter_id=mid, at=at, user_id=None, username=who,
                  unit_id=unit, action=action, note=note)
        return row

    def _matter_units(self, category, lead: Optional[int], co: Optional[list[int]]):
        """The category, the lead unit (mostly the category's suggested one) and the co-units."""
        rng, ref = self.rng, self.ref
        category = category or rng.choice(ref.categories)
        suggested = category[2]
        if lead is None:
            lead = suggested[0] if suggested and rng.random() < 0.85 else rng.choice(ref.member_ids)
        if co is None:
            pool = [u for u in suggested[1:] if u != lead] or [u for u in rng.sample(ref.member_ids, 3) if u != lead]
            co = rng.sample(pool, min(len(pool), rng.choice([0, 1, 1, 2])))
        return category, lead, [u for u in dict.fromkeys(co) if u != lead]

    def _matter_status_and_date(self, case: dict, status: Optional[str], earliest: Optional[dt.date]):
        """The status and the assigned date, each fitting the other: old matters are mostly closed."""
        rng, today = self.rng, self.today
        start = earliest or case["acceptance_date"] or case["application_date"]
        start = min(start, today)
        concluded = case["stage"] == "concluded"
        span = max(0, (today - start).days)
        if status is None and self.forced and not concluded and case["acceptance_date"]:
            status = self.forced.pop()  # every status appears, however small the run
        if status is None:
            # The date first, then a status that fits its age.
            end = case["closing_date"] or today
            assigned = start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))
            age = (today - assigned).days
            if concluded:
                status = _weighted(rng, [("closed", 92), ("cancelled", 8)])
            elif age > 60:
                status = _weighted(rng, [("closed", 88), ("cancelled", 6), ("replied", 3), ("in_progress", 2), ("signed", 1)])
            elif age > 20:
                status = _weighted(rng, [("closed", 35), ("replied", 20), ("in_progress", 25), ("signed", 8),
                                         ("sent", 4), ("cancelled", 3), ("draft", 5)])
            else:
                status = _weighted(rng, MATTER_STATUS_WEIGHTS)
        elif status in ("draft", "sent", "signed", "in_progress"):
            assigned = today - dt.timedelta(days=rng.randint(0, min(span, 45)))
        elif status == "replied":
            assigned = today - dt.timedelta(days=rng.randint(min(span, 5), min(span, 40)))
        else:
            end = case["closing_date"] or today
            assigned = start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))
        return status, max(start, min(assigned, today))

    def _matter_sent_at(self, status: str, assigned: dt.date):
        """(assigned date, created, sent): a matter out of draft was sent by yesterday evening."""
        rng = self.rng
        sent_at = None
        created_at = _at(rng, assigned, 8, 9)
        if status != "draft":
            assigned = min(assigned, self.now.date())
            created_at = _at(rng, assigned, 8, 9)
            sent_day = min(self.now.date(), _workday(assigned + dt.timedelta(days=rng.randint(0, 2))))
            sent_at = min(self.now, max(_at(rng, sent_day), created_at + dt.timedelta(minutes=20)))
        return assigned, created_at, sent_at

    def _matter_parts(self, b: Batch, row: dict, parts: list[tuple[int, str]], cat_name: str, ev):
        """Each unit's part, signed and replied as the matter's status implies; returns the time of the
        last step so far and the lead unit's reply time."""
        rng, ref = self.rng, self.ref
        status, sent_at, deadline = row["status"], row["sent_at"], row["deadline"]
        last, replied_at = row["created_at"], None
        lead_signed = status in ("signed", "in_progress", "replied", "closed") or (status == "cancelled" and rng.random() < 0.5)
        lead_replied = status in ("replied", "closed")
        for unit, role in parts:
            signed_at = replied = None
            a_status = "pending"
            if status != "draft":
                signs = lead_signed if role == "lead" else (lead_replied or (status != "sent" and rng.random() < 0.7)
                                                          or (status == "sent" and rng.random() < 0.3))
                if signs:
                    signed_at = min(sent_at + dt.timedelta(hours=rng.randint(1, 40)), self.now)
                    signed_at = max(signed_at, sent_at)
                    a_status = "signed"
                replies = lead_replied if role == "lead" else (status == "closed" or (status in ("replied", "in_progress") and signs and rng.random() < 0.6))
                if replies and signed_at is not None:
                    limit = min(self.now, dt.datetime.combine(deadline + dt.timedelta(days=8), dt.time(17)))
                    replied = signed_at + dt.timedelta(hours=rng.randint(24, 24 * 25))
                    if replied > limit:
                        replied = max(signed_at + dt.timedelta(minutes=30), limit - dt.timedelta(hours=rng.randint(1, 12)))
                    replied = min(replied, self.now)
                    a_status = "replied"
            result = rng.choice(REPLY_RESULTS) if replied else None
            b.add("matter_assignment", id=self.ids("matter_assignment"), matter_id=row["id"], unit_id=unit, role=role,
                  status=a_status, signed_at=signed_at, signed_by_id=None,
                  reply_content=(f"经研究，我单位已按函告要求完成{cat_name}相关工作：已与管理人对接，相关手续已办理完毕。" if replied else None),
                  reply_result=result, reply_number=None, replied_at=replied, replied_by_id=None, version_id=1)
            if signed_at:
                ev("sign", signed_at, "签收", unit, ref.unit_names[unit])
                last = max(last, signed_at)
            if replied:
                ev("reply", replied, f"函复：{result}", unit, ref.unit_names[unit])
                last = max(last, replied)
                if role == "lead":
                    replied_at = replied
        return last, replied_at

    def _matter_outcome(self, row: dict, last: dt.datetime, replied_at: Optional[dt.datetime], ev) -> None:
        """The send, and the step that put the matter in its status (开始办理, 办结, 撤销)."""
        rng, status, sent_at = self.rng, row["status"], row["sent_at"]
        closed_at = cancel_reason = None
        if status != "draft":
            ev("send", sent_at, "函告", None)
            last = max(last, sent_at)
        if status == "in_progress":
            at = min(self.now, (sent_at + dt.timedelta(days=rng.randint(2, 6))))
            at = max(at, last)
            lead = row["lead_unit_id"]
            ev("start", at, "正在办理：已与管理人对接", lead, self.ref.unit_names[lead])
            last = at
        if status == "closed":
            closed_at = min(self.now, max(last, replied_at or last) + dt.timedelta(hours=rng.randint(2, 96)))
            ev("close", closed_at, "办结")
            last = closed_at
        if status == "cancelled":
            cancel_reason = rng.choice(CANCEL_REASONS)
            at = min(self.now, last + dt.timedelta(hours=rng.randint(2, 200)))
            ev("cancel", at, cancel_reason)
            last = at
        row.update(replied_at=replied_at, closed_at=closed_at, cancel_reason=cancel_reason, updated_at=last)

    def _matter_extension(self, b: Batch, row: dict, ev) -> None:
        """About one sent matter in fourteen has the lead unit's extension request, decided or pending."""
        rng, status, sent_at, deadline = self.rng, row["status"], row["sent_at"], row["deadline"]
        if status in ("draft", "cancelled") or rng.random() >= 0.07:
            return
        lead = row["lead_unit_id"]
        requested_at = min(self.now, sent_at + dt.timedelta(days=rng.randint(2, 8)))
        if status in OPEN_MATTER_STATUSES:
            ex_status = _weighted(rng, [("pending", 40), ("approved", 40), ("refused", 20)])
        else:
            ex_status = _weighted(rng, [("approved", 75), ("refused", 25)])
        new_deadline = deadline + dt.timedelta(days=rng.choice([7, 10, 15, 20]))
        decided = min(self.now, requested_at + dt.timedelta(hours=rng.randint(2, 48))) if ex_status != "pending" else None
        b.add("extension_request", id=self.ids("extension_request"), matter_id=row["id"], unit_id=lead,
              old_deadline=deadline, requested_deadline=new_deadline,
              reason="涉及多个部门会商，需延长办理期限。", status=ex_status, requested_at=requested_at,
              requested_by_id=None, decided_at=decided, decided_by_id=None,
              decision_note={"approved": "同意延期", "refused": "不同意延期，请按期办结", "pending": None}[ex_status],
              version_id=1)
        ev("extend", requested_at, f"申请延期至{new_deadline.isoformat()}", lead, self.ref.unit_names[lead])
        if decided:
            ev("extension_" + ("approve" if ex_status == "approved" else "refuse"), decided,
               "同意延期" if ex_status == "approved" else "不同意延期")
            if ex_status == "approved":
                row["deadline"] = new_deadline
        row["updated_at"] = max(row["updated_at"], decided or requested_at)

    def _matter_reminders(self, b: Batch, row: dict, ev) -> None:
        """An open matter past its deadline has the automatic reminder, and sometimes the office's own."""
        rng, mid, lead = self.rng, row["id"], row["lead_unit_id"]
        if row["status"] not in OPEN_MATTER_STATUSES or row["deadline"] >= self.today:
            return
        rid = self.ids("reminder")
        at = _at(rng, _workday(row["deadline"] + dt.timedelta(days=1)))
        at = min(at, self.now)
        b.add("reminder", id=rid, matter_id=mid, unit_id=lead, threshold=f"overdue:{row['deadline'].isoformat()}",
              kind="auto", note="已超过办理期限，请尽快办理并函复", created_at=at, created_by_id=None)
        ev("auto_remind", at, "自动催办：已逾期", lead)
        if rng.random() < 0.4:
            rid = self.ids("reminder")
            b.add("reminder", id=rid, matter_id=mid, unit_id=lead, threshold=f"manual-{rid}", kind="manual",
                  note="请抓紧办理，于三个工作日内函复。", created_at=min(self.now, at + dt.timedelta(days=2)),
                  created_by_id=None)
            ev("remind", min(self.now, at + dt.timedelta(days=2)), "办公室催办")

"""Demo rows made once per run: policies, research and proposals, quarterly bulletins, last year's
evaluation (draft) and a few clue reports."""
from __future__ import annotations

import datetime as dt


from app.services.identifiers import format_doc_number

from app.services.demo.bulk import Batch
from app.services.demo.values import _at, _cn, _workday
from app.services.demo.vocabulary import POLICIES, RESEARCH_TOPICS


class OnceRows:
    """Mixin of `DemoGenerator` (generator.py): self.rng, self.ref, self.ids, self.counters, self.today, self.now."""

    def make_once(self, b: Batch, sample_cases: list[dict]) -> None:
        rng, ref, today = self.rng, self.ref, self.today
        for kind, title, number, issuer in POLICIES:
            day = today - dt.timedelta(days=rng.randint(30, 1500))
            b.add("policy", id=self.ids("policy"), kind=kind, title=title, doc_number=number, issuer=issuer,
                  publish_date=day, summary=f"{title}的主要内容和适用要点。", content=f"{title}（全文略）。", proposal_id=None,
                  version_id=1, created_at=_at(rng, day), updated_at=_at(rng, day), created_by_id=None)
        # research and proposals
        for i, topic in enumerate(rng.sample(RESEARCH_TOPICS, 4)):
            rid = self.ids("research_project")
            start = today - dt.timedelta(days=rng.randint(60, 500))
            status = ["completed", "completed", "ongoing", "planned"][i]
            lead = rng.choice(ref.member_ids)
            cat = rng.choice(ref.categories)
            b.add("research_project", id=rid, topic=topic, category_id=cat[0], problem=f"{cat[1]}工作中反映的共性问题。",
                  lead_unit_id=lead, start_date=start, end_date=start + dt.timedelta(days=90) if status == "completed" else None,
                  status=status, findings="调研发现相关部门衔接不畅、程序不明确。" if status == "completed" else None,
                  report="建议制定操作指引，明确办理时限和责任分工。" if status == "completed" else None,
                  version_id=1, created_at=_at(rng, start), updated_at=_at(rng, start), created_by_id=None)
            members = rng.sample([u for u in ref.member_ids if u != lead], 3)
            for u in members:
                b.add("research_unit", research_id=rid, unit_id=u)
            if status == "completed":
                pid = self.ids("proposal")
                pstatus = rng.choice(["issued", "adopted", "submitted"])
                b.add("proposal", id=pid, title=f"关于{topic.replace('调研', '')}的操作指引", kind="guide",
                      research_id=rid, text="一、适用范围\n二、办理流程\n三、责任分工", status=pstatus,
                      meeting_id=self.meeting_ids[0] if self.meeting_ids and pstatus != "drafting" else None,
                      review_note="会议审议通过" if pstatus in ("adopted", "issued") else None,
                      version_id=1, created_at=_at(rng, start), updated_at=_at(rng, start), created_by_id=None)
                for u in [lead] + members:
                    b.add("proposal_unit", proposal_id=pid, unit_id=u)
        # quarterly bulletins for the last two years, the current quarter in draft
        q_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        quarters = []
        for _ in range(8):
            prev_end = q_start - dt.timedelta(days=1)
            q_start = dt.date(prev_end.year, 3 * ((prev_end.month - 1) // 3) + 1, 1)
            quarters.append((q_start, prev_end))
        periods = list(reversed(quarters)) + [(dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today)]
        for i, (start, end) in enumerate(periods):
            draft = i == len(quarters)
            doc_day = min(today, _workday(end + dt.timedelta(days=8)))
            bid = self.ids("bulletin")
            year = doc_day.year
            seq = None if draft else self.counters.next_doc("bulletin", year)
            total = None if draft else self.counters.next_bulletin_total()
            qn = (start.month - 1) // 3 + 1
            b.add("bulletin", id=bid, kind="quarter", period_start=start, period_end=end,
                  title=f"关于{start.year}年第{_cn(qn)}季度企业破产处置府院联动工作情况的通报",
                  number=None if draft else format_doc_number(ref.org_short, ref.bulletin_prefix, year, seq),
                  year=None if draft else year, seq=seq, total_seq=total, recipients="各成员单位",
                  status="draft" if draft else "issued", document_date=None if draft else doc_day,
                  issued_at=None if draft else _at(rng, doc_day), issued_by_id=None, version_id=1,
                  created_at=_at(rng, doc_day), updated_at=_at(rng, doc_day), created_by_id=None)
            for s, (heading, body) in enumerate([
                    ("总体情况", f"本季度新收破产申请{rng.randint(2, 30)}件，受理{rng.randint(1, 20)}件，审结{rng.randint(1, 15)}件。"),
                    ("协调事项办理情况", f"本季度函告协调事项{rng.randint(20, 200)}项，按期函复{rng.randint(15, 150)}项。"),
                    ("下一步工作", "各成员单位要进一步压实责任，按期办理函告事项，确保议定事项落地见效。")], start=1):
                b.add("bulletin_section", id=self.ids("bulletin_section"), bulletin_id=bid, seq=s, heading=heading,
                      body=body, data=None, version_id=1)
            if not draft:
                for u in ref.member_ids:
                    b.add("bulletin_distribution", id=self.ids("bulletin_distribution"), bulletin_id=bid, unit_id=u)
        # a draft evaluation of last year (once per year: the year is unique)
        if self.eval_year not in self.counters.evaluation_years:
            eid = self.ids("evaluation")
            b.add("evaluation", id=eid, year=self.eval_year, title=f"关于{self.eval_year}年度府院联动成员单位考评结果的通报",
                  number=None, status="draft", computed_at=self.now, approved_at=None, approved_by_id=None,
                  issued_at=None, document_date=None,
                  intro=f"根据成员单位考评办法，现将{self.eval_year}年度考评结果通报如下。", version_id=1,
                  created_at=self.now, updated_at=self.now, created_by_id=None)
            for u in ref.member_ids:  # metrics: computed once every batch is written (finish_evaluation)
                b.add("evaluation_entry", id=self.ids("evaluation_entry"), evaluation_id=eid, unit_id=u,
                      metrics="{}", grade=None, comment=None, version_id=1)
            self.evaluation_id = eid
            self.counters.evaluation_years.add(self.eval_year)
        # a couple of clue reports
        for case in sample_cases[:2]:
            b.add("clue_report", id=self.ids("clue_report"), reporter_unit_id=rng.choice(ref.member_ids),
                  subject_unit_id=None, matter_id=None, case_id=case["id"], title=f"{case['enterprise_name']}涉嫌转移资产线索",
                  description="管理人反映企业原股东在破产受理前转移设备，请依法核查。", status="received",
                  referred_to=None, handling_note=None, version_id=1, created_at=self.now, updated_at=self.now,
                  created_by_id=None)

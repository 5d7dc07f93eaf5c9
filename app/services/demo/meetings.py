"""Demo meetings (joint and special) with topics, attendance, minutes, numbered decisions and the
matters the decisions become."""
from __future__ import annotations

import datetime as dt


from app.services.identifiers import format_doc_number

from app.services.demo.bulk import Batch
from app.services.demo.values import _at, _cn, _person, _weighted, _workday
from app.services.demo.vocabulary import BODY_PARAGRAPH, TOPIC_TITLES


class MeetingRows:
    """Mixin of `DemoGenerator` (generator.py): self.rng, self.ref, self.ids, self.counters, self.today, self.now."""

    def make_meeting(self, b: Batch, cases: list[dict], kind: str, day: dt.date, long_minutes: bool = False) -> None:
        rng, ref, today = self.rng, self.ref, self.today
        past = day <= today - dt.timedelta(days=7)  # minutes of a past meeting are out a few days later
        if kind == "special":
            status = (_weighted(rng, [("minutes_issued", 75), ("held", 15), ("cancelled", 5), ("declined", 5)]) if past
                      else _weighted(rng, [("scheduled", 70), ("proposed", 30)]))
        else:
            status = _weighted(rng, [("minutes_issued", 90), ("held", 10)]) if past else "scheduled"
        if long_minutes:
            status = "minutes_issued"
        numbered = status not in ("proposed", "declined")
        year = day.year
        seq = self.counters.next_meeting(kind, year) if numbered else None
        meeting_id = self.ids("meeting")
        self.meeting_ids.append(meeting_id)
        units = ref.member_ids if kind == "joint" else rng.sample(ref.member_ids, rng.randint(3, 7))
        proposer = None if kind == "joint" else rng.choice(units)
        start = dt.datetime.combine(day, dt.time(rng.choice([9, 10, 15]), 0))
        label = "联席会议" if kind == "joint" else "专题会议"
        topic_cases = rng.sample(cases, min(len(cases), rng.randint(2, 4) if not long_minutes else min(len(cases), 12)))
        title = (f"{year}年第{seq}次府院联动{label}" if kind == "joint" and seq else
                 f"关于{topic_cases[0]['enterprise_name'] if topic_cases else '破产处置'}有关问题的专题会议")
        b.add("meeting", id=meeting_id, kind=kind, year=year if numbered else None, seq=seq, title=title[:200],
              start_at=start, place=rng.choice(["县法院第一会议室", "县政府常务会议室", "县法院审委会会议室"]),
              chair=f"{_person(rng)}（{'副县长' if kind == 'joint' else '县法院副院长'}）", convener=_person(rng),
              status=status, proposed_by_unit_id=proposer,
              reason="协调解决案件推进中的跨部门问题" if kind == "special" else None,
              decline_reason="相关问题可通过函告方式办理，无需召开专题会议" if status == "declined" else None,
              version_id=1, created_at=start - dt.timedelta(days=7), updated_at=start, created_by_id=None)
        for u in units:
            b.add("meeting_unit", meeting_id=meeting_id, unit_id=u)
        for order, case in enumerate(topic_cases):
            b.add("meeting_topic", id=self.ids("meeting_topic"), meeting_id=meeting_id,
                  title=rng.choice(TOPIC_TITLES).format(e=case["enterprise_name"])[:200],
                  reporting_unit_id=rng.choice([ref.office_id, rng.choice(units)]), case_id=case["id"], proposal_id=None,
                  material="汇报材料已提前印发参会单位。", sort_order=order + 1, version_id=1)
        if status not in ("held", "minutes_issued"):
            return
        for u in [ref.office_id] + list(units):
            st = "present" if u == ref.office_id else _weighted(rng, [("present", 85), ("leave", 8), ("nonvoting", 4), ("absent", 3)])
            b.add("attendance", id=self.ids("attendance"), meeting_id=meeting_id, unit_id=u, organisation=None,
                  person_name=_person(rng), person_title="分管负责同志" if st != "nonvoting" else "工作人员",
                  status=st, note="因公出差" if st == "leave" else None,
                  signed_in_at=start - dt.timedelta(minutes=rng.randint(1, 20)) if st in ("present", "nonvoting") else None,
                  version_id=1)
        b.add("attendance", id=self.ids("attendance"), meeting_id=meeting_id, unit_id=None,
              organisation=topic_cases[0]["administrator"] if topic_cases and topic_cases[0]["administrator"] else "破产管理人",
              person_name=_person(rng), person_title="破产管理人", status="nonvoting", note=None,
              signed_in_at=start - dt.timedelta(minutes=5), version_id=1)
        issued = status == "minutes_issued"
        doc_day = min(today, _workday(day + dt.timedelta(days=rng.randint(1, 4))))
        minutes_id = self.ids("minutes")
        number = year_ = mseq = None
        if issued:
            year_ = doc_day.year
            mseq = self.counters.next_doc("minutes", year_)
            number = format_doc_number(ref.org_short, ref.minutes_prefix, year_, mseq)
        paragraphs = [f"{day.year}年{day.month}月{day.day}日，{title}在{'县法院' if kind == 'special' else '县政府'}召开。"
                      f"会议听取了有关案件进展情况的汇报，研究了案件处置中的跨部门问题。现纪要如下：", "一、会议认为"]
        extra = 42 if long_minutes else rng.randint(1, 3)
        for i in range(extra):
            case = topic_cases[i % len(topic_cases)] if topic_cases else None
            paragraphs.append(f"（{_cn(i + 1)}）{case['enterprise_name'] if case else '有关案件'}：{BODY_PARAGRAPH}")
        issued_at = _at(rng, doc_day) if issued else None
        b.add("minutes", id=minutes_id, meeting_id=meeting_id, number=number, year=year_, seq=mseq,
              title=f"{title}纪要"[:200], body="\n".join(paragraphs), status="issued" if issued else "draft",
              document_date=doc_day if issued else None, issued_at=issued_at, issued_by_id=None,
              cc_text="县委办公室，县人大常委会办公室，县政协办公室" if kind == "joint" else None, amends_id=None,
              version_id=1, created_at=_at(rng, day), updated_at=issued_at or _at(rng, day), created_by_id=None)
        for u in units:
            b.add("minutes_distribution", id=self.ids("minutes_distribution"), minutes_id=minutes_id, unit_id=u, kind="main")
        for seq_no in range(1, (rng.randint(2, 5) if not long_minutes else 8) + 1):
            case = rng.choice(topic_cases) if topic_cases else rng.choice(cases)
            category = rng.choice(ref.categories)
            lead = category[2][0] if category[2] else rng.choice(units)
            co = [u for u in category[2][1:3] if u != lead]
            deadline = doc_day + dt.timedelta(days=rng.choice([15, 20, 30, 45]))
            did = self.ids("decision")
            content = f"做好{case['enterprise_name']}{category[1]}相关工作"  # the sentence names the units
            b.add("decision", id=did, minutes_id=minutes_id, seq=seq_no, content=content, lead_unit_id=lead,
                  deadline=deadline, case_id=case["id"], version_id=1)
            for u in co:
                b.add("decision_co_unit", decision_id=did, unit_id=u)
            if issued:
                self.make_matter(b, case, source="meeting", category=category, lead=lead, co=co, earliest=doc_day,
                                 deadline=deadline, decision_id=did, title=f"落实{number}议定事项（{_cn(seq_no)}）：{content}"[:200],
                                 status=None if doc_day < today - dt.timedelta(days=3) else "sent")

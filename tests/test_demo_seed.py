"""`flask seed demo`: the demo data obeys the same rules as data made through the workflow."""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict

from sqlalchemy import func, select

from app import models as m
from app.extensions import db
from app.services.demo import MATTER_STATUSES, generate_demo
from app.services.identifiers import case_number_error, credit_code_error, parse_doc_number
from app.services.risk_scoring import load_scheme, score

TODAY = dt.date(2026, 5, 20)


def _rows(model, *columns):
    return db.session.execute(select(*columns) if columns else select(model)).all()


def test_demo_data_is_consistent(app):
    with app.app_context():
        counts = generate_demo(30, 7, today=TODAY)
        assert counts["案件"] == 30
        n_matters = db.session.scalar(select(func.count()).select_from(m.Matter))
        assert 7 * 30 <= n_matters <= 14 * 30, n_matters  # about ten matters per case
        matters = db.session.execute(select(m.Matter)).scalars().all()
        assert {x.status for x in matters} == set(MATTER_STATUSES)

        # cases: valid, unique case numbers and credit codes; major-sensitive ones say what to watch
        cases = db.session.execute(select(m.Case)).scalars().all()
        assert len({c.case_number for c in cases}) == 30
        for c in cases:
            assert case_number_error(c.case_number) is None, c.case_number
            assert credit_code_error(c.credit_code) is None, c.credit_code
            if c.is_major_sensitive:
                assert c.monitoring_points
        assert any(c.is_major_sensitive for c in cases)

        # letters: every non-draft matter has a unique number of the year it was sent; drafts have none
        numbers = [x.letter_number for x in matters if x.status != "draft"]
        assert all(numbers) and len(set(numbers)) == len(numbers)
        for x in matters:
            if x.status == "draft":
                assert x.letter_number is None and x.sent_at is None
            else:
                parsed = parse_doc_number(x.letter_number, "平")
                assert parsed.kind_prefix == "府院函" and parsed.year == x.sent_at.year == x.letter_year
                assert parsed.seq == x.letter_seq
                assert x.assigned_date <= x.sent_at.date() and x.deadline >= x.assigned_date
        counters = {(k, y): n for k, y, n in _rows(m.DocCounter, m.DocCounter.kind, m.DocCounter.year, m.DocCounter.last_number)}
        for year, top in db.session.execute(select(m.Matter.letter_year, func.max(m.Matter.letter_seq))
                                            .group_by(m.Matter.letter_year)):
            if year is not None:
                assert counters[("letter", year)] == top

        # parts: one lead (the matter's lead unit); replied/closed matters carry the lead's reply
        parts = defaultdict(list)
        for a in db.session.execute(select(m.MatterAssignment)).scalars():
            parts[a.matter_id].append(a)
        for x in matters:
            leads = [a for a in parts[x.id] if a.role == "lead"]
            assert len(leads) == 1 and leads[0].unit_id == x.lead_unit_id
            lead = leads[0]
            for a in parts[x.id]:
                if a.signed_at:
                    assert a.signed_at >= x.sent_at
                if a.replied_at:
                    assert a.status == "replied" and a.reply_content and a.replied_at >= a.signed_at
            if x.status in ("replied", "closed"):
                assert lead.status == "replied" and lead.reply_content and x.replied_at == lead.replied_at
            if x.status == "closed":
                assert x.closed_at >= x.replied_at and all(a.status == "replied" for a in parts[x.id])
            if x.status in ("signed", "in_progress"):
                assert lead.status == "signed" and lead.signed_at
            if x.status in ("draft", "sent"):
                assert lead.status == "pending"
            if x.status == "cancelled":
                assert x.cancel_reason

        # timeline: in time order (it is shown ordered by id), starting with the creation
        events = defaultdict(list)
        for e in db.session.execute(select(m.MatterEvent).order_by(m.MatterEvent.id)).scalars():
            events[e.matter_id].append(e)
        for x in matters:
            timeline = events[x.id]
            assert timeline[0].action == "create"
            assert [e.at for e in timeline] == sorted(e.at for e in timeline)
            actions = Counter(e.action for e in timeline)
            assert actions["send"] == (0 if x.status == "draft" else 1)
            assert actions["close"] == (1 if x.status == "closed" else 0)
        reminders = db.session.execute(select(m.Reminder)).scalars().all()
        assert all(r.threshold.startswith(("overdue:", "manual-")) for r in reminders)

        # meetings: issued minutes are numbered, their decisions became matters from the meeting
        minutes = db.session.execute(select(m.Minutes)).scalars().all()
        issued = [x for x in minutes if x.status == "issued"]
        assert issued and any(x.meeting.kind == "joint" for x in issued)
        assert len({x.number for x in issued}) == len(issued)
        for x in issued:
            assert parse_doc_number(x.number, "平").kind_prefix == "府院联纪"
            assert x.decisions and [d.seq for d in x.decisions] == list(range(1, len(x.decisions) + 1))
            for d in x.decisions:
                assert len(d.matters) == 1 and d.matters[0].source == "meeting"
                assert d.matters[0].lead_unit_id == d.lead_unit_id
            assert x.meeting.status == "minutes_issued" and x.meeting.attendances

        # assessments: scored with the stored scheme, and the case shows the level
        for a in db.session.execute(select(m.Assessment)).scalars():
            result = score(load_scheme(json.loads(a.scheme.definition)), json.loads(a.answers))
            assert (result.score, result.level) == (a.score, a.level)
            assert a.case.risk_level == a.level
        assert db.session.scalar(select(func.count()).select_from(m.Evaluation)) == 1
        assert db.session.scalar(select(func.count()).select_from(m.Bulletin).where(m.Bulletin.status == "issued")) >= 4


def test_demo_runs_twice_and_later_writes_continue(app, runner, factory):
    from app.services.numbering import next_sequence

    with app.app_context():
        first = runner.invoke(args=["seed", "demo", "--cases", "12", "--seed", "3"])
        assert first.exit_code == 0, first.output
        assert "演示数据已生成" in first.output
        top_case = db.session.scalar(select(func.max(m.Case.id)))
        second = runner.invoke(args=["seed", "demo", "--cases", "12", "--seed", "3"])
        assert second.exit_code == 0, second.output
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(m.Case)) == 24
        numbers = db.session.scalars(select(m.Case.case_number)).all()
        assert len(set(numbers)) == 24
        # the second run made other companies, not copies of the first
        names = db.session.execute(select(m.Case.id, m.Case.enterprise_name)).all()
        assert {n for i, n in names if i <= top_case} != {n for i, n in names if i > top_case}
        letters = db.session.scalars(select(m.Matter.letter_number).where(m.Matter.letter_number.is_not(None))).all()
        assert len(set(letters)) == len(letters)
        # the next letter sent continues the sequence; ORM inserts get fresh ids (sequences moved on)
        year = dt.date.today().year  # the CLI dates the data from today
        top = db.session.scalar(select(func.max(m.Matter.letter_seq)).where(m.Matter.letter_year == year)) or 0
        assert next_sequence(db.session, "letter", year) == top + 1
        db.session.rollback()
        case = factory.case(case_number="（2026）晋0829破申9001号")
        matter = factory.matter(case=case)
        assert case.id > top_case and matter.id is not None


def test_demo_is_deterministic_for_a_seed(app):
    from tests.conftest import clean_business_data

    def snapshot():
        return (db.session.scalars(select(m.Case.enterprise_name).order_by(m.Case.id)).all(),
                db.session.scalars(select(m.Matter.title).order_by(m.Matter.id)).all())

    with app.app_context():
        generate_demo(5, 11, today=TODAY)
        first = snapshot()
    clean_business_data(app)
    with app.app_context():
        generate_demo(5, 11, today=TODAY)
        assert snapshot() == first


def test_demo_leaves_every_counter_where_real_use_would(app, clients):
    """After `seed demo` the next meeting, letter, minutes and bulletin of this year take the next
    free number (issue 13: every new meeting got 第1次 and a raw IntegrityError), and new rows get
    fresh ids on PostgreSQL (sequences moved past the explicit ids)."""
    from app.services.numbering import peek_sequence

    today = dt.date.today()
    with app.app_context():
        generate_demo(30, 5, today=today)
        counters = {(k, y): n for k, y, n in _rows(m.DocCounter, m.DocCounter.kind, m.DocCounter.year,
                                                 m.DocCounter.last_number)}
        tops = {}
        for kind, year, top in db.session.execute(select(m.Meeting.kind, m.Meeting.year, func.max(m.Meeting.seq))
                                                  .where(m.Meeting.seq.is_not(None)).group_by(m.Meeting.kind, m.Meeting.year)):
            tops[(f"meeting-{kind}", year)] = top
        for year, top in db.session.execute(select(m.Minutes.year, func.max(m.Minutes.seq))
                                            .where(m.Minutes.seq.is_not(None)).group_by(m.Minutes.year)):
            tops[("minutes", year)] = top
        for year, top in db.session.execute(select(m.Bulletin.year, func.max(m.Bulletin.seq))
                                            .where(m.Bulletin.seq.is_not(None)).group_by(m.Bulletin.year)):
            tops[("bulletin", year)] = top
        tops[("bulletin_total", 0)] = db.session.scalar(select(func.max(m.Bulletin.total_seq)))
        assert ("meeting-joint", today.year) in tops and ("bulletin_total", 0) in tops
        for key, top in tops.items():
            assert counters.get(key) == top, key
        joint_before = peek_sequence(db.session, "meeting-joint", today.year)
        proposal = m.Meeting(kind="special", status="proposed", title="关于职工安置的专题会议",
                             reason="协调职工安置", proposed_by_unit=db.session.query(m.Unit).filter_by(name="县人社局").one())
        db.session.add(proposal)
        db.session.commit()
        proposal_id = proposal.id
        special_before = peek_sequence(db.session, "meeting-special", today.year)

    start = dt.datetime.combine(today, dt.time(9, 0)).strftime("%Y-%m-%dT%H:%M")
    # the office arranges a joint meeting this year: the next number, no database error
    response = clients.office.post("/meeting/add", data={"kind": "joint", "title": "年度联席会议", "start_at": start,
                                                         "place": "县法院"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "IntegrityError" not in page and "SQL" not in page
    # the convener schedules a unit's proposal: numbered next, not a 500 page
    response = clients.convener.post(f"/meeting/schedule/{proposal_id}", data={"start_at": start, "place": "县法院"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        db.session.expire_all()
        added = db.session.query(m.Meeting).filter_by(title="年度联席会议").one()
        assert (added.year, added.seq) == (today.year, joint_before + 1)
        assert db.session.get(m.Meeting, proposal_id).seq == special_before + 1


def test_demo_requests_follow_the_workflow(app):
    """协调申请 and 信息核查 in the demo (issue 14): each case has its judge and administrator (demo
    accounts with those roles), and every decided request is answered the way the workflow answers it."""
    with app.app_context():
        counts = generate_demo(40, 5, today=TODAY)
        assert counts["协调申请"] > 0 and counts["核查事项"] > 0
        requests = db.session.scalars(select(m.CoordinationRequest)).all()
        assert {r.kind for r in requests} == {"coordination", "check"}
        assert {"submitted", "accepted"} <= {r.status for r in requests}
        for r in requests:
            roles = {a.user_id: a.role for a in db.session.scalars(
                select(m.CaseAssignment).where(m.CaseAssignment.case_id == r.case_id))}
            assert roles.get(r.requester_id) == r.requester_role  # filed by the case's own judge or administrator
            assert {role.name for role in r.requester.roles} == {"Judge" if r.requester_role == "judge" else "Trustee"}
            if r.kind == "coordination" and r.status in ("accepted", "merged"):
                assert r.matter is not None and r.matter.case_id == r.case_id
                assert r.matter.source == "request" or r.status == "merged"
                assert r.submitted_at <= r.decided_at
                if r.status == "accepted":
                    assert r.submitted_at <= r.matter.created_at
            if r.status == "declined":
                assert r.decision_note and r.matter_id is None
            if r.kind == "check":
                assert r.lines
                for line in r.lines:
                    assert line.unit_id == line.item.unit_id
                    if r.status == "accepted":
                        mt = line.matter
                        assert mt.source == "check" and mt.case_id == r.case_id and mt.lead_unit_id == line.unit_id
                        assert mt.status != "draft" and r.submitted_at <= mt.sent_at
                    else:
                        assert line.matter_id is None
        judges = db.session.scalars(select(m.AppUser).where(m.AppUser.username.like("demo_judge%"))).all()
        assert len(judges) == 3

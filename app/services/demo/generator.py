"""The demo generator: one object holding the run's state (random numbers, ids, counters, dates), its
rows made by mechanism in the mixins beside it."""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Optional



from app.services.demo.bulk import Counters, Ids
from app.services.demo.cases import CaseRows
from app.services.demo.matters import MatterRows
from app.services.demo.meetings import MeetingRows
from app.services.demo.once import OnceRows
from app.services.demo.reference import Ref
from app.services.demo.requests import RequestRows
from app.services.demo.vocabulary import MATTER_STATUSES


class DemoGenerator(CaseRows, RequestRows, MatterRows, MeetingRows, OnceRows):
    def __init__(self, session, ref: Ref, ids: Ids, counters: Counters, rng: random.Random, today: dt.date):
        self.session, self.ref, self.ids, self.counters, self.rng, self.today = session, ref, ids, counters, rng, today
        # Everything sent, signed or replied happened by yesterday evening; only drafts are dated today.
        self.now = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(18, 0))
        self.long_minutes_done = False
        self.eval_year = today.year - 1
        self.evaluation_id: Optional[int] = None
        self.meeting_ids: list[int] = []
        self.forced = list(MATTER_STATUSES)
        self.case_matters: dict[int, list[dict]] = defaultdict(list)

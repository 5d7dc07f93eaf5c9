"""Small random values and dates the generators share (deterministic for a given `random.Random`)."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Optional



from app.services.demo.vocabulary import GIVEN, SURNAMES


def _weighted(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _workday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _at(rng: random.Random, day: dt.date, lo: int = 8, hi: int = 17) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(lo, hi), rng.randint(0, 59), rng.randint(0, 59)))


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")


def _phone(rng: random.Random) -> str:
    return f"0359-35{rng.randint(10000, 99999)}"


def _money(rng: random.Random, lo_wan: float, hi_wan: float) -> Decimal:
    """An amount in yuan, log-uniform between lo and hi 万元."""
    import math

    wan = math.exp(rng.uniform(math.log(lo_wan), math.log(hi_wan)))
    return Decimal(int(wan * 10000)) + Decimal(rng.randint(0, 99)) / 100


def _short(name: str) -> str:
    return name.replace("运城市生态环境局平陆分局", "生态环境分局")


def _cn(n: int) -> str:
    from app.pdf.gbt9704 import cn_number

    return cn_number(n)


def _acceptance_dates(rng: random.Random, n: int, today: dt.date) -> list[Optional[dt.date]]:
    """Chronological acceptance dates over the last four years; about 4% still under review (None)."""
    dates = sorted(_workday(today - dt.timedelta(days=rng.randint(7, 1460))) for _ in range(n))
    return [None if rng.random() < 0.04 else d for d in dates]

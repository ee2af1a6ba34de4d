#!/usr/bin/env python3
"""Cross-check the deadline table in src/vigilance/deadline_tests.rs against an independent
implementation on the PyPI `holidays` package: 1182/71 Art. 3(4) roll-over and 3(5) (a period
of two days or more includes at least two working days). Prints each mismatch; exits 1 if any.

Run from the repository root:  python3 src/vigilance/data/holidays/check_deadlines.py
"""

import datetime as dt
import re
import sys

import holidays

SRC = "src/vigilance/deadline_tests.rs"
ROW = re.compile(r'\("([A-Z]{2})", "(\d{4}-\d\d-\d\d)", (\d+), "(\d{4}-\d\d-\d\d)"\)')


def working(country, day):
    if country == "XI":
        cal = holidays.country_holidays("GB", subdiv="NIR", years=day.year)
    else:
        cal = holidays.country_holidays(country, years=day.year)
    return day.weekday() < 5 and day not in cal


def due(country, aware, days):
    end = aware + dt.timedelta(days=days)
    while not working(country, end):
        end += dt.timedelta(days=1)
    n = sum(working(country, aware + dt.timedelta(days=i)) for i in range(1, (end - aware).days + 1))
    while n < 2:
        end += dt.timedelta(days=1)
        n += working(country, end)
    return end


bad = 0
rows = ROW.findall(open(SRC).read())
for country, aware, days, want in rows:
    got = due(country, dt.date.fromisoformat(aware), int(days))
    if got.isoformat() != want:
        bad += 1
        print(f"{country} {aware} +{days}: table {want}, holidays package {got}")
print(f"{len(rows)} cases, {bad} mismatches")
sys.exit(1 if bad else 0)

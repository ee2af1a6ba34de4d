#!/usr/bin/env python3
"""Generate src/vigilance/data/holidays/public_holidays.csv: national public holidays used by the vigilance
deadline clocks (Reg. 1182/71 Art. 3(4): a period ending on a Saturday, Sunday or public holiday
ends on the next working day).

Source: the PyPI package `holidays` (version pinned below and written into the file's first
line). Only national public holidays are written: the package's default category (PUBLIC) with
no subdivision, except XI (Northern Ireland), which is the UK's NIR subdivision because the MDR
applies there. Regional holidays (e.g. a German Land's) are deliberately left out: an incident
is reported to a national competent authority.

Run:  pip install holidays==0.109 && python3 src/vigilance/data/holidays/generate.py > src/vigilance/data/holidays/public_holidays.csv
"""

import csv
import sys

import holidays

# EU 27 + the other EEA states (IS, LI, NO) + CH + TR, and XI (Northern Ireland).
COUNTRIES = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    "IS", "LI", "NO", "CH", "TR", "XI",
]
YEARS = range(2025, 2031)


def national(code):
    if code == "XI":
        return holidays.country_holidays("GB", subdiv="NIR", years=YEARS)
    return holidays.country_holidays(code, years=YEARS)


def main():
    out = sys.stdout
    out.write(
        f"# source=holidays {holidays.__version__} (PyPI); category=public, national only "
        f"(XI = GB subdivision NIR); years={YEARS.start}-{YEARS.stop - 1}; "
        f"countries={' '.join(sorted(COUNTRIES))}\n"
    )
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["country", "date", "name"])
    for code in sorted(COUNTRIES):
        days = national(code)
        for day in sorted(days.keys()):
            if day.year in YEARS:
                w.writerow([code, day.isoformat(), days.get(day)])


if __name__ == "__main__":
    main()

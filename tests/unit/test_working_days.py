"""England and Wales bank holidays and working days."""

import datetime as dt

from grants.working_days import add_working_days, bank_holidays, is_working_day

D = dt.date

# Published by the UK government for England and Wales.
PUBLISHED = {
    2023: {D(2023, 1, 2), D(2023, 4, 7), D(2023, 4, 10), D(2023, 5, 1), D(2023, 5, 8),
           D(2023, 5, 29), D(2023, 8, 28), D(2023, 12, 25), D(2023, 12, 26)},
    2024: {D(2024, 1, 1), D(2024, 3, 29), D(2024, 4, 1), D(2024, 5, 6), D(2024, 5, 27),
           D(2024, 8, 26), D(2024, 12, 25), D(2024, 12, 26)},
    2025: {D(2025, 1, 1), D(2025, 4, 18), D(2025, 4, 21), D(2025, 5, 5), D(2025, 5, 26),
           D(2025, 8, 25), D(2025, 12, 25), D(2025, 12, 26)},
    2026: {D(2026, 1, 1), D(2026, 4, 3), D(2026, 4, 6), D(2026, 5, 4), D(2026, 5, 25),
           D(2026, 8, 31), D(2026, 12, 25), D(2026, 12, 28)},
    2027: {D(2027, 1, 1), D(2027, 3, 26), D(2027, 3, 29), D(2027, 5, 3), D(2027, 5, 31),
           D(2027, 8, 30), D(2027, 12, 27), D(2027, 12, 28)},
}  # fmt: skip


def test_bank_holidays_match_the_published_lists():
    for year, days in PUBLISHED.items():
        assert bank_holidays(year) == days, year


def test_weekends_and_bank_holidays_are_not_working_days():
    assert not is_working_day(D(2026, 11, 28))  # Saturday
    assert not is_working_day(D(2026, 12, 28))  # Boxing Day substitute
    assert is_working_day(D(2026, 11, 23))


def test_eight_working_days_standstill_skips_christmas():
    # Decided on Friday 18 December 2026: the standstill runs past Christmas and New Year.
    assert add_working_days(D(2026, 12, 18), 8) == D(2027, 1, 4)
    assert add_working_days(D(2026, 11, 23), 8) == D(2026, 12, 3)

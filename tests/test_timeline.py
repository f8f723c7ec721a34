"""Binning matches per day into the periods a timeline shows."""
from datetime import date

from indexer import timeline as tl


def test_the_unit_follows_the_span():
    assert tl.unit_for(date(2024, 9, 1), date(2024, 10, 31)) == "day"      # 61 days
    assert tl.unit_for(date(1987, 2, 26), date(1987, 10, 20)) == "week"    # Reuters-21578
    assert tl.unit_for(date(2023, 1, 1), date(2024, 12, 31)) == "month"
    assert tl.unit_for(date(1990, 1, 1), date(2024, 12, 31)) == "year"


def test_weeks_are_iso_weeks_and_empty_ones_are_kept():
    days = [("2024-01-01", 2), ("2024-01-07", 1), ("2024-03-31", 4)]
    weeks = tl.binned(days, "week")
    assert weeks.periods[0].key == "2024-W01" and weeks.periods[0].count == 3  # Mon..Sun
    assert weeks.periods[-1].key == "2024-W13" and weeks.periods[-1].count == 4
    assert len(weeks.periods) == 13 and sum(p.count for p in weeks.periods) == 7
    assert tl.bounds("2024-W13") == (date(2024, 3, 25), date(2024, 3, 31))
    assert tl.label("2024-W13") == "Week of 25 Mar 2024"


def test_a_week_across_new_year_belongs_to_its_iso_year():
    assert tl.key_of(date(2024, 12, 30), "week") == "2025-W01"
    assert tl.bounds("2025-W01") == (date(2024, 12, 30), date(2025, 1, 5))


def test_months_and_years():
    days = [("2023-11-15", 1), ("2024-02-01", 3)]
    assert [(p.key, p.count) for p in tl.binned(days, "month").periods] == [
        ("2023-11", 1), ("2023-12", 0), ("2024-01", 0), ("2024-02", 3)]
    assert [(p.key, p.count) for p in tl.binned(days, "year").periods] == [("2023", 1), ("2024", 3)]
    assert tl.binned([]).periods == []


def test_share_is_matches_over_all_articles_of_the_period():
    matches = tl.binned([("2024-01-02", 1), ("2024-02-10", 2)], "month")
    shared = tl.with_share(matches, [("2024-01-02", 4), ("2024-01-20", 6), ("2024-02-10", 8)])
    assert [(p.count, p.all, p.share) for p in shared.periods] == [(1, 10, 0.1), (2, 8, 0.25)]
    assert shared.to_json()[0] == {"period": "2024-01", "count": 1, "all": 10, "share": 0.1}


def test_ticks_spread_over_the_axis_with_both_ends():
    months = tl.binned([("2020-01-01", 1), ("2024-12-01", 1)], "month")  # 60 bars
    ticks = tl.ticks(months)
    assert ticks[0] == (0, "Jan 2020") and ticks[-1] == (59, "Dec 2024") and len(ticks) == 6

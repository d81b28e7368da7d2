"""When a schedule runs (a fake clock): a missed stretch runs once, and
daylight-saving changes neither skip nor repeat a daily run."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lumiwork.server.sharing.runs import ScheduleError, check_cron, due, next_slots

BRUSSELS = ZoneInfo("Europe/Brussels")


def at(*fields) -> float:
    return dt.datetime(*fields, tzinfo=BRUSSELS).timestamp()


def local(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, BRUSSELS).strftime("%Y-%m-%d %H:%M %Z")


def schedule(cron: str, last_slot: float) -> dict:
    return {"cron": cron, "tz": "Europe/Brussels", "last_slot": last_slot}


def test_runs_missed_while_down_run_once():
    weekdays = schedule("0 7 * * 1-5", at(2026, 3, 2, 7, 0))  # Monday 7:00 ran
    assert due(weekdays, at(2026, 3, 2, 18, 0)) is None
    slot = due(weekdays, at(2026, 3, 6, 9, 30))  # down Tuesday to Friday morning: one run, for Friday
    assert local(slot) == "2026-03-06 07:00 CET"
    assert due({**weekdays, "last_slot": slot}, at(2026, 3, 6, 9, 31)) is None


def test_daylight_saving_changes_neither_skip_nor_repeat_a_daily_run():
    # 2026-03-29: 02:00 -> 03:00 (02:30 does not exist); 2026-10-25: 03:00 -> 02:00 (02:30 happens twice)
    spring = next_slots("30 2 * * *", "Europe/Brussels", at(2026, 3, 28, 3, 0), 2)
    assert [local(t) for t in spring] == ["2026-03-29 03:00 CEST", "2026-03-30 02:30 CEST"]
    autumn = next_slots("30 2 * * *", "Europe/Brussels", at(2026, 10, 24, 3, 0), 2)
    assert [local(t) for t in autumn] == ["2026-10-25 02:30 CEST", "2026-10-26 02:30 CET"]
    seven = next_slots("0 7 * * *", "Europe/Brussels", at(2026, 10, 24, 8, 0), 2)
    assert [local(t) for t in seven] == ["2026-10-25 07:00 CET", "2026-10-26 07:00 CET"]
    assert seven[1] - seven[0] == 86400 and seven[0] - at(2026, 10, 24, 7, 0) == 86400 + 3600


@settings(max_examples=60, deadline=None)
@given(start=st.integers(min_value=int(at(2026, 1, 1, 0, 0)), max_value=int(at(2027, 1, 1, 0, 0))),
       gap=st.integers(min_value=0, max_value=10 * 86400))
def test_a_due_slot_is_never_in_the_future_and_never_repeats(start, gap):
    hourly = schedule("15 * * * *", float(start))
    now = start + gap
    slot = due(hourly, now)
    if slot is None:
        assert next_slots("15 * * * *", "Europe/Brussels", start)[0] > now
    else:
        assert start < slot <= now and due({**hourly, "last_slot": slot}, now) is None


def test_bad_expressions_and_zones_are_named():
    with pytest.raises(ScheduleError, match="not a cron expression"):
        check_cron("61 * * * *", "UTC")
    with pytest.raises(ScheduleError, match="unknown time zone"):
        check_cron("0 7 * * *", "Mars/Olympus")

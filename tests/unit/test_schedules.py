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


@settings(max_examples=80, deadline=None)
@given(start=st.integers(min_value=int(at(2026, 1, 1, 0, 0)), max_value=int(at(2027, 1, 1, 0, 0))),
       gap=st.integers(min_value=0, max_value=10 * 86400), on_a_slot=st.booleans())
def test_a_due_slot_is_never_in_the_future_and_never_repeats(start, gap, on_a_slot):
    now = start + gap
    if on_a_slot and now - now % 3600 + 900 >= start:  # a clock that meets a slot exactly (:15:00)
        now = now - now % 3600 + 900
    hourly = schedule("15 * * * *", float(start))
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


def test_a_stretch_missed_while_the_server_was_down_runs_once_after_a_restart(tmp_path):
    """The run queue's own decisions on a real store, across a restart (a new
    store and queue on the same folder), with a fake clock."""
    from lumiwork.server.db import Store
    from lumiwork.server.sharing.runs import RunQueue

    now = {"t": at(2026, 3, 2, 7, 30)}  # Monday 7:30, after Monday's run
    store = Store(tmp_path)
    schedule = store.schedules.create("dash", "analyst", "0 7 * * 1-5", "Europe/Brussels", "pdf", None,
                                      at(2026, 3, 2, 7, 0))
    queue = RunQueue(store, lambda: "", clock=lambda: now["t"])
    assert queue.schedule_due() == []
    store.close()
    now["t"] = at(2026, 3, 6, 9, 30)  # the server was down Tuesday to Friday morning
    store = Store(tmp_path)
    queue = RunQueue(store, lambda: "", clock=lambda: now["t"])
    queued = queue.schedule_due()
    assert [local(run["slot"]) for run in queued] == ["2026-03-06 07:00 CET"]  # one run, for Friday's slot
    assert queue.schedule_due() == []  # and not again
    now["t"] = at(2026, 3, 9, 7, 0, 30)  # Monday: the next slot, once
    assert [local(run["slot"]) for run in queue.schedule_due()] == ["2026-03-09 07:00 CET"]
    assert [r["schedule_id"] for r in store.runs.find(["dash"])] == [schedule["schedule_id"]] * 2
    store.close()


def test_a_daily_schedule_across_both_daylight_saving_changes_runs_once_a_day(tmp_path):
    """Minute by minute through the two nights of change (a fake clock), a
    schedule at 02:30, a time the spring night skips and the autumn night
    repeats, queues exactly one run each day."""
    from lumiwork.server.db import Store
    from lumiwork.server.sharing.runs import RunQueue

    store = Store(tmp_path)
    for start, days in ((at(2026, 3, 27, 12, 0), 3), (at(2026, 10, 23, 12, 0), 3)):
        schedule = store.schedules.create("dash", "analyst", "30 2 * * *", "Europe/Brussels", "html", None, start)
        clock = {"t": start}
        queue = RunQueue(store, lambda: "", clock=lambda clock=clock: clock["t"])
        slots = []
        while clock["t"] < start + days * 86400:
            slots += [local(run["slot"]) for run in queue.schedule_due()]
            clock["t"] += 60
        assert len(slots) == days and len({s[:10] for s in slots}) == days, slots
        store.schedules.delete(schedule["schedule_id"])
    store.close()

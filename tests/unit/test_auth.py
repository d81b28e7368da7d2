"""Passwords, the login throttle and the decoy hash."""
import time

from lumiwork.server.core import auth


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_throttle_refuses_the_eleventh_failure_until_the_window_passes():
    clock = FakeClock()
    throttle = auth.LoginThrottle(limit=10, window=300, clock=clock)
    for _ in range(10):
        assert throttle.retry_after("u", "1.2.3.4") == 0
        throttle.failed("u", "1.2.3.4")
    assert throttle.retry_after("u", "1.2.3.4") == 300
    assert throttle.retry_after("u", "5.6.7.8") == 300      # per user...
    assert throttle.retry_after("other", "1.2.3.4") == 300  # ...and per address
    assert throttle.retry_after("other", "5.6.7.8") == 0
    clock.now += 299.5
    assert throttle.retry_after("u", "1.2.3.4") == 1
    clock.now += 1
    assert throttle.retry_after("u", "1.2.3.4") == 0


def test_success_clears_the_users_failures_but_not_the_addresss():
    throttle = auth.LoginThrottle(limit=3, window=60, clock=FakeClock())
    for _ in range(2):
        throttle.failed("u", "a")
    throttle.succeeded("u")
    throttle.failed("u", "a")
    assert throttle.retry_after("u", "b") == 0
    assert throttle.retry_after("x", "a") == 60


def test_unknown_user_costs_a_hash_too():
    stored = auth.hash_password("right password")
    assert auth.verify_login("right password", stored)
    assert not auth.verify_login("wrong", stored)
    assert not auth.verify_login("right password", None)
    timings = {}
    for label, hashed in (("known", stored), ("unknown", None)):
        start = time.perf_counter()
        for _ in range(5):
            auth.verify_login("wrong", hashed)
        timings[label] = time.perf_counter() - start
    assert 0.5 < timings["unknown"] / timings["known"] < 2


def test_derived_tokens_depend_on_id_and_secret():
    one = auth.derived_token(b"k" * 32, "abc")
    assert one.startswith("abc.") and one == auth.derived_token(b"k" * 32, "abc")
    assert one != auth.derived_token(b"j" * 32, "abc")
    assert one != auth.derived_token(b"k" * 32, "abd")


def test_throttle_memory_is_bounded_under_many_distinct_names():
    clock = FakeClock()
    throttle = auth.LoginThrottle(limit=3, window=60, clock=clock, max_keys=100)
    for i in range(5_000):  # a user name and an address per failure: 10,000 keys offered
        throttle.failed(f"made-up-{i}@example.com", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
        assert len(throttle) <= 100
    assert len(throttle) == 100


def test_throttle_forgets_names_whose_failures_left_the_window():
    clock = FakeClock()
    throttle = auth.LoginThrottle(limit=3, window=60, clock=clock)
    for i in range(500):
        throttle.failed(f"made-up-{i}", "1.2.3.4")
    assert len(throttle) == 501
    clock.now += 61
    throttle.failed("late", "5.6.7.8")  # any failure sweeps out the expired ones
    assert len(throttle) == 2


def test_throttle_still_refuses_a_name_under_attack_amid_many_others():
    clock = FakeClock()
    throttle = auth.LoginThrottle(limit=10, window=300, clock=clock, max_keys=1_000)
    for _ in range(10):
        throttle.failed("victim", "6.6.6.6")
    for i in range(400):  # 800 other keys: below the cap, nothing of the victim's is lost
        clock.now += 0.1
        throttle.failed(f"noise-{i}", f"10.0.{i // 256}.{i % 256}")
    assert throttle.retry_after("victim", "7.7.7.7") > 200
    assert throttle.retry_after("someone", "6.6.6.6") > 200
    # A long name costs no more memory than a short one, and is throttled like one.
    long_name = "x" * 100_000
    for _ in range(10):
        throttle.failed(long_name, "8.8.8.8")
    assert throttle.retry_after(long_name, "9.9.9.9") > 0


def test_concurrent_failures_beyond_the_limit_keep_the_sliding_window():
    clock = FakeClock()
    throttle = auth.LoginThrottle(limit=3, window=60, clock=clock)
    for second in range(6):  # six failures that all passed the check before any was recorded
        clock.now = 1000.0 + second
        throttle.failed("u", "a")
    # Throttled until the third newest (1003) leaves the window, in one wait (not
    # in steps, one for each older failure).
    clock.now = 1010.0
    assert throttle.retry_after("u", "b") == 53
    clock.now = 1062.5
    assert throttle.retry_after("u", "b") == 1
    clock.now = 1063.0
    assert throttle.retry_after("u", "b") == 0

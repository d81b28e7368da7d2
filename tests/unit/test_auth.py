"""Passwords, the login throttle and the decoy hash."""
import time

from lumiwork.server import auth


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

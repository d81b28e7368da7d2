"""Notifications and alerts, inside the server: channels' secrets, the outbox
and its dispatcher (`Notifications`: what any server feature calls to send a
message to a channel), and the alert rules' state machine, metrics, targets
and evaluator. Both run on their own threads, started and stopped with the
server (state.py), with a clock tests can replace."""
from .clock import Clock, ManualClock, SystemClock
from .evaluator import AlertEvaluator
from .notifications import ChannelNotFound, Notifications, RetryPolicy

__all__ = ["AlertEvaluator", "ChannelNotFound", "Clock", "ManualClock", "Notifications", "RetryPolicy",
           "SystemClock"]

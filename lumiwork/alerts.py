"""Channels and alerts from a notebook (public path): see lumiwork.tools.alerts."""
from .client.manage import ManageClient
from .tools.alerts import (
    alert,
    alerts,
    channels,
    condition,
    connect,
    create_alert,
    create_channel,
    delete_alert,
    delete_channel,
    deliveries,
    table,
    test_channel,
)

__all__ = ["ManageClient", "alert", "alerts", "channels", "condition", "connect", "create_alert", "create_channel",
           "delete_alert", "delete_channel", "deliveries", "table", "test_channel"]

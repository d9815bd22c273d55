"""The bridge from the core's notification outbox to this platform's outbox and gateways, enabled with
`DANGJIAN_SMS_SENDER = "dangjian.services.sms.outbox.send_notification"` (receipts, reminders)."""

from __future__ import annotations

from dangjian.core.models import Notification
from dangjian.services.sms import actions


def send_notification(n: Notification) -> str:
    """Queue the notification as one outbox row (once per notification, however often the core retries); a text
    the notification keeps only until delivery, the row keeps only until it is final."""
    message = actions.queue_message(
        mobile=n.address,
        text=n.body,
        notification_id=n.pk,
        unit=n.unit,
        text_after_delivery=n.body_after_delivery,
    )
    return f"sms:{message.pk}"

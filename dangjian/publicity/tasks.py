"""Periodic work of the publicity supermarket: scheduled publishing and expiry, closing notices past their period."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.utils import timezone
from django_tasks import task
from wagtail.models import Page

from dangjian.publicity import actions


@task()
def close_notices() -> int:
    """Daily just after midnight; idempotent (a closed notice is not closed again)."""
    return actions.close_notices()


@task()
def publish_scheduled() -> str:
    """Every minute: Wagtail's own scheduled publishing (go_live_at) and expiry (expire_at). Each page it publishes
    or takes down goes through PublicityPage.publish / unpublish, so each leaves its audit record. Idempotent: a
    revision is published once, an expired page taken down once."""
    # Wagtail's command takes expired pages down as plain Pages, past PublicityPage.unpublish and its audit
    # record; take them down as their own class first, so the command finds only what else is due.
    for page in Page.objects.filter(live=True, expire_at__lt=timezone.now()).specific().iterator():
        page.unpublish(set_expired=True, log_action="wagtail.unpublish.scheduled")
    out = io.StringIO()
    call_command("publish_scheduled", stdout=out)
    return out.getvalue()

"""Background work of the SMS platform: the sender (idempotent; one run at a time per gateway is the deployment)."""

from __future__ import annotations

from django_tasks import task

from dangjian.services.sms import dispatch
from dangjian.services.sms.gateways import make_gateway


@task()
def send_sms(gateway: str = "") -> dict[str, int]:
    return dispatch.run(make_gateway(gateway or None))

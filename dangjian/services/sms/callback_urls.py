"""The public addresses the cloud SMS providers push delivery reports and replies to, under /sms/callback/
(outside /work/, which needs a staff login); the token in each path is the provider's secret (see callbacks.py)."""

from django.urls import path

from dangjian.services.sms import callbacks

app_name = "sms_callback"
urlpatterns = [
    path(
        f"{provider}/{kind}/<str:token>/",
        callbacks.push,
        {"provider": provider, "kind": kind},
        name=f"{provider}_{kind}",
    )
    for provider in callbacks.PROVIDERS
    for kind in ("report", "reply")
]

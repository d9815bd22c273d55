"""The SMS gateways, chosen with DANGJIAN_SMS_BACKEND (console, smpp, aliyun, tencent) and configured from the
environment, read when a gateway is made so an operator's shell settings apply to `dangjian sms send`."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from dangjian.services.sms.gateways.base import Gateway, GatewayError, InboundText, Outgoing, Receipt, Result

BACKENDS = ("console", "smpp", "aliyun", "tencent")

__all__ = ["BACKENDS", "Gateway", "GatewayError", "InboundText", "Outgoing", "Receipt", "Result", "default_backend"]


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _number(name: str, default: float) -> float:
    raw = env(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None


def default_backend() -> str:
    backend = env("DANGJIAN_SMS_BACKEND", "console")
    if backend not in BACKENDS:
        raise ImproperlyConfigured(f"DANGJIAN_SMS_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    return backend


def make_gateway(name: str | None = None) -> Gateway:
    name = name or default_backend()
    if name == "console":
        from dangjian.services.sms.gateways.console import ConsoleGateway

        return ConsoleGateway()
    if name == "smpp":
        from dangjian.services.sms.gateways.smpp import SmppGateway, SmppSettings

        host = env("DANGJIAN_SMPP_HOST")
        if not host:
            raise ImproperlyConfigured("DANGJIAN_SMPP_HOST is not set")
        return SmppGateway(
            SmppSettings(
                host=host,
                port=int(_number("DANGJIAN_SMPP_PORT", 2775)),
                system_id=env("DANGJIAN_SMPP_SYSTEM_ID"),
                password=env("DANGJIAN_SMPP_PASSWORD"),
                system_type=env("DANGJIAN_SMPP_SYSTEM_TYPE"),
                source_addr=env("DANGJIAN_SMPP_SOURCE_ADDR"),
                tls=env("DANGJIAN_SMPP_TLS") == "1",
                window=int(_number("DANGJIAN_SMPP_WINDOW", 10)),
                timeout=_number("DANGJIAN_SMPP_TIMEOUT", 10),
                enquire_every=_number("DANGJIAN_SMPP_ENQUIRE_SECONDS", 30),
                retries=int(_number("DANGJIAN_SMPP_RETRIES", 5)),
                rate=_number("DANGJIAN_SMPP_RATE", 0),
                throttle_backoff=_number("DANGJIAN_SMPP_THROTTLE_BACKOFF", 0.05),
                throttle_seconds=_number("DANGJIAN_SMPP_THROTTLE_SECONDS", 60),
            )
        )
    if name in ("aliyun", "tencent"):
        from dangjian.services.sms.gateways import http

        return http.make(name, env, _number)
    raise ImproperlyConfigured(f"unknown SMS gateway {name!r}")

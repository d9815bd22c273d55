"""The client's address behind reverse proxies: only a trusted proxy's X-Forwarded-For is believed."""

from __future__ import annotations

from django.test import RequestFactory

from dangjian.core.http import client_address


def request(remote: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.DANGJIAN_TRUSTED_PROXIES = frozenset()
    assert client_address(request("10.0.0.5", "1.2.3.4")) == "10.0.0.5"


def test_behind_a_trusted_proxy_the_last_untrusted_hop_is_the_client(settings):
    settings.DANGJIAN_TRUSTED_PROXIES = frozenset({"127.0.0.1", "10.9.0.1"})
    assert client_address(request("127.0.0.1", "10.0.0.5")) == "10.0.0.5"
    assert client_address(request("127.0.0.1", "forged, 10.0.0.5, 10.9.0.1")) == "10.0.0.5"
    assert client_address(request("127.0.0.1")) == "127.0.0.1"
    assert client_address(request("192.0.2.7", "10.0.0.5")) == "192.0.2.7"  # not from a proxy: the header is a lie


def test_the_login_lockout_counts_the_same_address(settings):
    from axes.helpers import get_client_ip_address

    settings.DANGJIAN_TRUSTED_PROXIES = frozenset({"127.0.0.1"})
    assert get_client_ip_address(request("127.0.0.1", "10.0.0.5")) == "10.0.0.5"

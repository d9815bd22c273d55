"""The answer to faults: 503 with Retry-After when the database is away (try again), 500 for a bug; our own page,
translated, and JSON on the API; never Django's bare error page."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.supervision.conftest import channels as channels

pytestmark = [pytest.mark.urls("tests.core.error_urls"), pytest.mark.django_db]


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("debug", [False, True])
def test_the_database_away_is_503_with_retry_after_with_debug_on_or_off(visitor, settings, debug):
    settings.DEBUG = debug
    response = visitor.get("/test-errors/db/")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    page = response.content.decode()
    assert "服务暂时不可用" in page and "<main" in page and 'lang="zh-hans"' in page
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("debug", [False, True])
def test_the_api_answers_json_with_the_message(visitor, settings, debug, channels, monkeypatch):
    from django.db import OperationalError

    from dangjian.supervision import actions

    def away(**kwargs):
        raise OperationalError("connection failed: the database system is starting up")

    settings.DEBUG = debug
    monkeypatch.setattr(actions, "submit_letter", away)
    response = visitor.post("/api/v1/letters", {"channel": "voice", "title": "t", "body": "b", "anonymous": True},
                            content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 503 and response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "30"
    assert "briefly unavailable" in response.json()["errors"]["__all__"][0]


def test_a_bug_is_500_on_our_own_page(visitor):
    response = visitor.get("/test-errors/bug/")
    assert response.status_code == 500 and "Retry-After" not in response
    assert "已记录" in response.content.decode()

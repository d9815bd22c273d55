"""Fixtures of the stats tests: a fresh figure cache, a registry of the platform's figures only, a staff login."""

from __future__ import annotations

import pytest

from dangjian.stats import registry, results
from tests.core.otp import login_verified


@pytest.fixture(autouse=True)
def _fresh_figure_cache():
    # A new generation of keys: works on local memory and on a Redis shared with other tests, without a flush.
    results.invalidate()
    yield
    results.invalidate()


@pytest.fixture
def platform_only(monkeypatch):
    """Only the platform's own figures, so counts do not depend on which supermarkets registered theirs."""
    monkeypatch.setattr(registry, "_figures", {k: f for k, f in registry._figures.items() if k.startswith("platform.")})


@pytest.fixture
def extra_figure():
    """Register a figure for one test and remove it afterwards."""
    added: list[str] = []

    def add(key: str, *, public: bool, supermarket: str = "supervision", chart: str = "bar", compute=None):
        def default_compute(period, scope):
            return registry.Series(labels=["甲", "乙"], values={"件数": [1, 2]})

        registry.register(key=key, title=f"Figure {key}", supermarket=supermarket, public=public, chart=chart)(
            compute or default_compute
        )
        added.append(key)
        return registry.get(key)

    yield add
    for key in added:
        registry.unregister(key)


@pytest.fixture
def staff_client(client):
    """Log a user in with a verified second factor, as the workbench requires of staff."""

    def login(user):
        login_verified(client, user)
        return client

    return login

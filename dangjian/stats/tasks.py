"""The daily statistics: precompute the public figures of the default period so the first visitors pay nothing."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django_tasks import task

from dangjian.stats import registry, results


@task()
def warm_public_figures() -> int:
    """Compute every public figure for the last 12 months, in each language; safe to run any number of times."""
    period = registry.Period.default()
    stored = 0
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            stored += results.warm(registry.figures(public_only=True), period)
    return stored

"""Template tags of the core: the admin's banner while the coming year's holiday arrangement is missing."""

from django import template
from django.utils import timezone

from dangjian.core import calendar

register = template.Library()


@register.inclusion_tag("core/calendar_banner.html")
def calendar_banner():
    return {"years": calendar.unknown_years_ahead(timezone.localdate())}

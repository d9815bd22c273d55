"""Template tags of the core: the admin's banner while the coming year's holiday arrangement is missing; links
to other pages of a list that keep its filters."""

from django import template
from django.utils import timezone

from dangjian.core import calendar

register = template.Library()


@register.inclusion_tag("core/calendar_banner.html")
def calendar_banner():
    return {"years": calendar.unknown_years_ahead(timezone.localdate())}


@register.simple_tag(takes_context=True)
def page_query(context, number) -> str:
    """`?…&page=<number>`: the current query string (a queue's tab, a search) with only the page changed."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else None
    if query is None:
        return f"?page={number}"
    query["page"] = str(number)
    return "?" + query.urlencode()

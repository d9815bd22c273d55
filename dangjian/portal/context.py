"""Template context for every page: the four supermarkets and the reader's 关怀版 (care mode) choice."""

from dangjian.portal.supermarkets import SUPERMARKETS

CARE_COOKIE = "dangjian_care"


def portal(request):
    return {
        "supermarkets": SUPERMARKETS,
        "care_mode": request.COOKIES.get(CARE_COOKIE) == "1",
    }

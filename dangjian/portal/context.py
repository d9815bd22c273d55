"""Template context for every page: the four supermarkets, the reader's 关怀版 (care mode) choice, and the request's
values the header shows (base.html)."""

from dangjian.portal.supermarkets import SUPERMARKETS

CARE_COOKIE = "dangjian_care"


def portal(request):
    return {
        "supermarkets": SUPERMARKETS,
        "care_mode": request.COOKIES.get(CARE_COOKIE) == "1",
        # The search box's words and the path the 关怀版 and language forms return to. Read here once: the template
        # language would look `q` up by trying an item, an attribute and an index in turn, raising each time.
        "search_words": request.GET.get("q", ""),
        "this_path": request.get_full_path(),
    }

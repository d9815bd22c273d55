"""Pages of long lists whose cost follows the page asked for, not the length of the list.

Django's `Paginator` counts every row of the list to say "page 3 of 750". On a staff queue of a million letters that
count is most of the page's time, and it grows with the table. `WindowPaginator` counts only as far as a window
beyond the page asked for (`ahead` pages, default 10), without ordering, so the database stops counting there: the
page says "page 3 of 13 or more" and the visitor can always go on. Within the window the figures are exact.
"""

from __future__ import annotations

import contextlib
from functools import cached_property

from django.core.paginator import Paginator
from django.db.models import QuerySet


class WindowPaginator(Paginator):
    def __init__(self, object_list, per_page, *, ahead: int = 10, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.ahead = ahead
        self._asked = 1

    def get_page(self, number):
        """The page asked for; page 1 for what is not a page number (or below 1), the last page past the end."""
        try:
            self._asked = max(1, int(number))
        except (TypeError, ValueError):
            self._asked = 1
        return super().get_page(self._asked)

    def page(self, number):
        with contextlib.suppress(TypeError, ValueError):
            self._asked = max(self._asked, int(number))
        return super().page(number)

    @cached_property
    def _counted(self) -> tuple[int, bool]:
        limit = (self._asked + self.ahead) * self.per_page
        rows = self.object_list
        # Counting needs no order, and without one the database stops at the limit instead of sorting first.
        seen = rows.order_by()[: limit + 1].count() if isinstance(rows, QuerySet) else len(rows[: limit + 1])
        return min(seen, limit), seen > limit

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        return self._counted[0]

    @property
    def has_more(self) -> bool:
        """More rows lie beyond the counted window: the last page number shown is a lower bound."""
        return self._counted[1]

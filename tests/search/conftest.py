"""The search tests build public-site pages with the publicity fixtures."""

from tests.publicity.conftest import _empty_page_cache, add_page, site  # noqa: F401  (fixtures)

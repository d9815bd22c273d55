"""The search tests build public-site pages with the publicity fixtures."""

from tests.publicity.conftest import add_page, site  # noqa: F401  (fixtures)

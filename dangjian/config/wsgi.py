"""WSGI entry point. In production it refuses to start while demo accounts exist; every web process loads the
Chinese word dictionary before its first request, then freezes what it has loaded out of the garbage collector."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
application = get_wsgi_application()

from dangjian.core.guards import refuse_demo_accounts_in_production  # noqa: E402

refuse_demo_accounts_in_production()

from dangjian.search.text import warm_up  # noqa: E402

warm_up()

# What is loaded now (Django, Wagtail, the URLconf, templates, the dictionary: some 400,000 objects) lives as long as
# the process; a full collection walked all of it, 270 ms in the middle of a request (a search's p95 went from
# 30-40 ms to over 100 ms when one fell in). Frozen objects are left out of every later collection (Python
# documentation, gc.freeze).
gc.collect()
gc.freeze()

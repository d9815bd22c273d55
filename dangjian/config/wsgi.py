"""WSGI entry point. In production it refuses to start while demo accounts exist; every web process loads the
Chinese word dictionary before its first request."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
application = get_wsgi_application()

from dangjian.core.guards import refuse_demo_accounts_in_production  # noqa: E402

refuse_demo_accounts_in_production()

from dangjian.search.text import warm_up  # noqa: E402

warm_up()

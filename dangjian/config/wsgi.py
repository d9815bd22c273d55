"""WSGI entry point. In production it refuses to start while demo accounts exist."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
application = get_wsgi_application()

from dangjian.core.guards import refuse_demo_accounts_in_production  # noqa: E402

refuse_demo_accounts_in_production()

"""WSGI entry point: `ondas serve` preloads this before forking its workers."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")

application = get_wsgi_application()

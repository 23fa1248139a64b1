import os

from django.core.asgi import get_asgi_application

from .body_limit import BodyLimitASGIMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

# Django's ASGI handler reads the whole body before any middleware runs, so the body limit
# wraps the application itself.
application = BodyLimitASGIMiddleware(get_asgi_application())

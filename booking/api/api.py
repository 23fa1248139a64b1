"""The JSON API (``/api/v1/``): one Django Ninja API, its error handlers and its routers.

Why Ninja: Wagtail 8 already installs it (its own admin API is a Ninja API), it derives the
OpenAPI 3 schema from the same type hints that validate requests, and it serves its interactive
docs from its packaged static files. Django REST framework is in the tree too; one framework is
used, this one (see README, "JSON API").

Endpoints only parse, call ``booking``'s services, selectors and access getters, and shape the
answer; no rule lives here.
"""

from __future__ import annotations

from ninja import NinjaAPI

from . import doctor, patient, payments, public, staff
from .errors import install_handlers
from .limits import guard
from .security import SIGNED_IN

api = NinjaAPI(
    title="Riverside Clinic API",
    version="1",
    description=(
        "Public information, booking and appointments for patients, doctors and clinic staff. "
        "Sign in through the headless accounts API under /api/v1/auth/ (app client) and send "
        "`Authorization: Bearer <access token>`; browser pages of the same origin may use their "
        "session with the CSRF token. Times are ISO 8601 in the clinic's time zone. Errors are "
        '`{"code", "message", "errors": [{"field", "message"}]}`.'
    ),
    urls_namespace="api-v1",
    openapi_url="/schema/",
    docs_url="/docs",
    auth=SIGNED_IN,  # type: ignore[arg-type]  # AuthBase instances are callables
)
install_handlers(api)
api.add_decorator(guard, mode="view")

api.add_router("", public.router)
api.add_router("", patient.router)
api.add_router("", payments.router)
api.add_router("/doctor", doctor.router)
api.add_router("/staff", staff.router)

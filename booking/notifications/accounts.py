"""Account emails (verify your address, reset your password, …) through the outbox.

allauth sends its emails from the request that triggers them. With the mail server down, that
turned sign-up, password reset and adding an email into 500 pages, and left a new account with no
verification email ever sent. Here allauth still renders each email from its templates, but
instead of sending it the adapter writes it to the outbox (:class:`~booking.models.Notification`,
kind ``account``), where the background worker sends it after commit and retries with back-off,
exactly like the booking emails; staff see it under Bookings → Emails.

The adapter lives here, not in ``portal.adapters``, because the outbox is booking's and ``portal``
never imports ``booking``; ``settings.ACCOUNT_ADAPTER`` names this class. Everything else about
accounts (who signs up as what, where each role lands) stays in :class:`portal.adapters.AccountAdapter`.
"""

from __future__ import annotations

from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMessage
from django.utils.html import strip_tags

from portal.adapters import AccountAdapter

from ..models import Notification
from .emails import RenderedEmail, queue_email


def queue_account_email(message: EmailMessage) -> list[Notification]:
    """Put an email allauth rendered into the outbox, one row per recipient."""
    html = next((content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), "")
    text = str(message.body)
    if message.content_subtype == "html":  # allauth found only an HTML template
        text, html = strip_tags(str(message.body)), str(message.body)
    rendered = RenderedEmail(subject=" ".join(message.subject.split())[:200], body_text=text, body_html=html, ics="")
    return [queue_email(Notification.Kind.ACCOUNT, to, rendered) for to in message.to]


class OutboxAccountAdapter(AccountAdapter):
    """The portal's account adapter, with allauth's emails queued in the outbox instead of sent."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # The same context allauth's own send_mail builds, then the outbox instead of SMTP.
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        queue_account_email(self.render_mail(template_prefix, email, ctx))

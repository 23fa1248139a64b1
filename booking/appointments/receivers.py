"""Signal receivers: tell a patient, as they sign in or verify an address, about bookings found for it.

Nothing is attached here (see ``claims``): the patient confirms each booking on their
appointments page. Signing in normally lands on that page, which lists the bookings found at the
top, so the note is only added when the sign-in goes somewhere else (a ``?next=`` page) or when
an address is verified from the account's email settings.
"""

from __future__ import annotations

from django.contrib import messages
from django.urls import reverse
from django.utils.html import format_html

from .claims import found_bookings


def _tell_about_found_bookings(request, user) -> None:
    found = found_bookings(user)
    if not found:
        return
    count = len(found)
    noun = "booking" if count == 1 else "bookings"
    # fail_silently: a sign-in outside a page request (the test client, an API) has no message store.
    messages.info(
        request,
        format_html(
            'We found {} {} made with your email. <a href="{}#found">Review them</a> to add them to your account.',
            count,
            noun,
            reverse("appointments:mine"),
        ),
        fail_silently=True,
    )


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    next_url = request.POST.get("next") or request.GET.get("next")
    if not next_url or next_url.split("#")[0] == reverse("appointments:mine"):
        return  # lands on the appointments page, which lists them
    _tell_about_found_bookings(request, user)


def on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    # At sign-up the patient is signed in right after confirming (on_user_logged_in covers it);
    # here only an address added to an account already signed in.
    if request is not None and getattr(request.user, "pk", None) == email_address.user_id:
        _tell_about_found_bookings(request, email_address.user)

"""wagtail-modeladmin views for the staff lists: query strings that cannot break them, and
account emails whose text staff never see.

**Lists.** wagtail-modeladmin applies whatever the query string names as a queryset filter,
and turns a value the field cannot take (``?doctor=abc``, ``?starts_at__year=-1``) into an
exception that ends as a 500; Django's own admin catches those, modeladmin does not. It also
applies lookups that no list filter offers, across relations (``?patient__password__startswith=…``
would let a filter probe account password hashes). Here only the list's own filters are applied;
anything else, and any value that cannot be applied, is dropped with a message above the
unfiltered list.

**Emails.** An account email's text holds links that verify an address or reset a password;
whoever reads them can act for the account. The inspect view shows everything else about it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError
from wagtail_modeladmin.views import IndexView, InspectView

# What Django raises while building or running a query from values of the wrong shape.
BAD_FILTER_ERRORS = (IncorrectLookupParameters, FieldError, ValidationError, ValueError, TypeError, OverflowError)
SHOWN_NAMES = 5


class SafeIndexView(IndexView):
    """An index view that ignores unknown lookups and bad filter values instead of failing."""

    def dispatch(self, request, *args, **kwargs):
        self.ignored_params: list[str] = []
        return super().dispatch(request, *args, **kwargs)

    def get_filters_params(self, params=None):
        # Kept so that get_filters can see which parameters no list filter took.
        self._lookup_params = super().get_filters_params(params)
        return self._lookup_params

    def get_filters(self, request):
        try:
            result = super().get_filters(request)
        except IncorrectLookupParameters:
            # A parameter that names no field at all; the list's filters took theirs already.
            leftover = list(self._lookup_params)
            if not leftover:
                raise
        else:
            leftover = list(result[2])
            if not leftover:
                return result
        # Lookups that no filter of this list offers are never applied, valid or not.
        self._ignore(leftover)
        return super().get_filters(request)

    def get_queryset(self, request=None):
        try:
            queryset = super().get_queryset(request)
            if self.get_filters_params():
                self._check_runs(queryset)
        except BAD_FILTER_ERRORS + (DatabaseError,):
            filters = list(self.get_filters_params())
            if not filters:
                raise  # nothing from the query string to blame: a real error
            self._ignore(filters)
            queryset = super().get_queryset(request)
        return queryset

    @staticmethod
    def _check_runs(queryset) -> None:
        """Run the filtered query once: some bad values only fail when SQL is built or run.

        One cheap query, and only when the address carries filters. No savepoint around it: on
        SQLite (transactions start IMMEDIATE) that would take the write lock for a read.
        """
        if hasattr(queryset, "exists"):
            queryset.exists()

    def _ignore(self, names) -> None:
        """Drop ``names`` from the query string (and the filter links built from it), once, with a message."""
        names = [name for name in names if name in self.params]
        for name in names:
            del self.params[name]
        new = [name for name in names if name not in self.ignored_params]
        if not new:
            return
        self.ignored_params.extend(new)
        shown = ", ".join(name[:40] for name in new[:SHOWN_NAMES]) + ("…" if len(new) > SHOWN_NAMES else "")
        messages.warning(self.request, f"These filters in the address are not valid and were ignored: {shown}.")


class NotificationInspectView(InspectView):
    """An outbox row in full, except the text of account emails (see the module docstring)."""

    HIDDEN_FOR_ACCOUNT_EMAILS = ("body_text", "body_html")

    def get_field_display_value(self, field_name, field=None):
        if self.instance.is_account_email and field_name in self.HIDDEN_FOR_ACCOUNT_EMAILS:
            return "Not shown: account emails carry sign-in and password-reset links."
        return super().get_field_display_value(field_name, field)

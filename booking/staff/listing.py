"""The staff appointment list in the Wagtail admin, built to stay fast with a million rows.

wagtail-modeladmin's stock list did four things that each cost seconds at a million appointments
(measured on MariaDB): it joined the doctor into the sorted query, so the optimizer started from
the doctors and sorted every joined row in a temporary table; it counted the whole table, and the
filtered queryset twice more, for "x out of y" and the page links; it searched ``LIKE '%…%'``
over four columns; and a deep page made the database walk past every earlier row. Here:

* **A default window.** The list opens on today and upcoming appointments (``?when=``, with
  "All" a click away); a search looks through all dates unless a window is chosen.
* **Orderings that an index already holds.** Soonest first for today and the future, latest
  first otherwise, always (starts_at, doctor, id): the (starts_at, doctor) index, or
  (status, starts_at, doctor) when filtered by status, gives the rows in order, so the database
  reads 50 index entries instead of sorting. Doctors are fetched for the page's rows afterwards
  (one ``IN`` query), never joined into the sorted one.
* **Bounded counting and paging.** :class:`BoundedPaginator` counts at most
  :data:`MAX_LISTED` matches (``COUNT`` over a ``LIMIT`` subquery) and offers pages up to there;
  narrowing with filters or search reaches the rest. A page first reads only the ids (from the
  index), then those rows.
* **Prefix search** (``booking.appointments.selectors.staff_search``): exact reference, or the
  start of the name, email or mobile, each an index range.

The doctor filter is a select box rather than a list of links: one light query of ids and titles,
whatever the number of doctors, and usable with a thousand of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.contrib import messages
from django.contrib.admin import SimpleListFilter
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from wagtail.admin.paginator import WagtailPaginator
from wagtail_modeladmin.helpers.search import BaseSearchHandler
from wagtail_modeladmin.views import IndexView

from home.models import DoctorPage

from ..appointments.selectors import STAFF_WINDOWS, in_window, staff_search
from ..models import Appointment, clinic_zone
from .modeladmin import SafeIndexView

# The list shows at most this many matches; filters and search narrow it down to the rest.
MAX_LISTED = 10_000
WINDOW_LABELS = {
    "upcoming": "Today and upcoming",
    "today": "Today",
    "next7": "Next 7 days",
    "past7": "Past 7 days",
    "past": "Past",
    "all": "All dates",
}
# The query parameters the list's filters read; any other is ignored.
FILTER_PARAMS = {"when", "doctor", "status__exact", "mode__exact"}
# Windows listed soonest first; the others latest first.
FORWARD_WINDOWS = {"upcoming", "today", "next7"}


def current_window(params) -> str:
    """The window a request asks for: ``?when=``, else all dates for a search, else upcoming."""
    window = params.get("when", "")
    if window in STAFF_WINDOWS:
        return window
    return "all" if params.get("q", "").strip() else "upcoming"


def list_ordering(params) -> tuple[str, ...]:
    """(starts_at, doctor, id) forwards or backwards: the order of the indexes the list reads."""
    if current_window(params) in FORWARD_WINDOWS:
        return ("starts_at", "doctor_id", "pk")
    return ("-starts_at", "-doctor_id", "-pk")


class WhenFilter(SimpleListFilter):
    title = "date"
    parameter_name = "when"

    def __init__(self, request, params, model, model_admin):
        self.window = current_window(request.GET)
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return list(WINDOW_LABELS.items())

    def queryset(self, request, queryset):
        return in_window(queryset, self.window, timezone.localdate(timezone=clinic_zone()))

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": value == self.window,
                "query_string": changelist.get_query_string({self.parameter_name: value}, ["p"]),
                "display": label,
            }


class DoctorFilter(SimpleListFilter):
    """One doctor, chosen from a select box (see the module docstring)."""

    title = "doctor"
    parameter_name = "doctor"
    template = "booking/staff/doctor_filter.html"

    def lookups(self, request, model_admin):
        return list(DoctorPage.objects.order_by("title", "pk").values_list("pk", "title"))

    def selected_id(self) -> int | None:
        try:
            return int(self.value() or "")
        except ValueError:
            return None

    def queryset(self, request, queryset):
        doctor_id = self.selected_id()
        if doctor_id is None:
            if self.value():  # a hand-edited address: say so rather than quietly list everyone
                messages.warning(request, "The doctor in the address is not valid and was ignored.")
            return queryset
        return queryset.filter(doctor_id=doctor_id)

    def choices(self, changelist):
        selected = self.selected_id()
        # The select box's form keeps every other parameter of the list (but starts at page 1).
        self.kept_params = [
            (name, value)
            for name, values in changelist.params.lists()
            if name not in (self.parameter_name, "p")
            for value in values
        ]
        # Built here rather than in a template loop: a thousand options cost milliseconds this way.
        self.options_html = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((pk, mark_safe(" selected") if pk == selected else "", title) for pk, title in self.lookup_choices),
        )
        return iter(())


class AppointmentSearchHandler(BaseSearchHandler):
    """Search through ``staff_search``: exact reference or prefixes, never ``%…%``."""

    def search_queryset(self, queryset, search_term, **kwargs):
        return staff_search(queryset, search_term)

    @property
    def show_search_form(self):
        return True


class BoundedPaginator(WagtailPaginator):
    """Counts at most MAX_LISTED rows and reads a page as ids first, then those rows."""

    def __init__(self, object_list: QuerySet, per_page: int, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.capped = False

    @cached_property
    def count(self) -> int:
        found = self.object_list.order_by()[: MAX_LISTED + 1].count()
        self.capped = found > MAX_LISTED
        return min(found, MAX_LISTED)

    @cached_property
    def items_count_label(self) -> str:
        if self.capped:
            return f"More than {MAX_LISTED:,} appointments"
        return f"{self.count:,} appointment{'' if self.count == 1 else 's'}"

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        queryset = self.object_list
        # The ids come from the index in order; the rows themselves by primary key.
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        rows = queryset.model._default_manager.filter(pk__in=ids).prefetch_related(*queryset._prefetch_related_lookups)
        position = {pk: i for i, pk in enumerate(ids)}
        return self._get_page(sorted(rows, key=lambda row: position[row.pk]), number, self)


@dataclass(frozen=True)
class ListedAppointment:
    """One row of the list, as text and links (the template only prints them)."""

    pk: int
    reference: str
    starts: str
    doctor: str
    patient: str
    status: str
    mode: str
    manage_url: str
    inspect_url: str


def manage_url(appointment: Appointment) -> str:
    """The staff page where one appointment is confirmed, moved, cancelled or refunded."""
    return reverse("booking_admin_manage", args=[appointment.reference])


def list_rows(appointments, inspect_url: Callable[[int], str]) -> list[ListedAppointment]:
    """The page's rows. Built here rather than by modeladmin's generic cells (a lookup, a display
    formatter and attribute rendering per cell), which took 40 ms of CPU for 50 rows."""
    tz = clinic_zone()
    return [
        ListedAppointment(
            pk=a.pk,
            reference=a.reference,
            starts=a.starts_at.astimezone(tz).strftime("%a %d %b %Y %H:%M"),
            doctor=a.doctor.title,
            patient=a.full_name,
            status=a.get_status_display(),
            mode=a.get_mode_display(),
            manage_url=manage_url(a),
            inspect_url=inspect_url(a.pk),
        )
        for a in appointments
    ]


class AppointmentIndexView(SafeIndexView):
    """modeladmin's index view without its three counts (see the module docstring)."""

    paginator_class = BoundedPaginator
    # Column headers do not re-sort: any other order would make the database sort every match.
    sortable_by = ()

    def get_ordering(self, request, queryset):
        return list(list_ordering(request.GET))

    def get_filters_params(self, params=None):
        """Only the filters' own parameters: modeladmin would apply any other one as a lookup
        (``?foo=1`` was a 500; ``?patient__password__startswith=`` a way to probe hashes)."""
        lookup_params = super().get_filters_params(params)
        unknown = [name for name in lookup_params if name not in FILTER_PARAMS]
        if unknown:
            self._ignore(unknown)  # dropped with a message saying so
        return {name: value for name, value in lookup_params.items() if name in FILTER_PARAMS}

    def get_context_data(self, **kwargs):
        paginator = self.paginator_class(self.queryset, self.items_per_page)
        try:
            page_obj = paginator.page(self.page_num or 1)
        except PageNotAnInteger:
            page_obj = paginator.page(1)
        except EmptyPage:
            # Past the last page (or past MAX_LISTED): the last one there is.
            page_obj = paginator.page(paginator.num_pages)
        context = {
            "view": self,
            # The template only asks whether anything exists, to show the filters.
            "all_count": True,
            "result_count": paginator.count,
            "paginator": paginator,
            "page_obj": page_obj,
            "elided_page_range": paginator.get_elided_page_range(page_obj.number),
            "object_list": page_obj.object_list,
            "user_can_create": False,
            "show_search": True,
            "window_label": WINDOW_LABELS[current_window(self.request.GET)],
            "rows": list_rows(page_obj.object_list, lambda pk: self.url_helper.get_action_url("inspect", pk)),
            "max_listed": MAX_LISTED,
        }
        context.update(kwargs)
        # IndexView's own get_context_data would count again; its parent's adds the view basics.
        return super(IndexView, self).get_context_data(**context)

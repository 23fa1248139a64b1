"""The site's pages: home, free-form pages, specializations and doctors, plus clinic settings.

Page types are constrained with ``parent_page_types``/``subpage_types`` so the tree stays
Home → {Standard, Specializations → Specialization, Doctors → Doctor}. Booking rules do not live
here, and this app never imports ``booking``: the doctor page's template reaches booking through
its template tags and URLs (``<doctor page>/book/`` is a booking URL), and booking reaches these
pages through their models.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, overload

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.functional import cached_property
from modelcluster.fields import ParentalKey
from wagtail import blocks
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    MultipleChooserPanel,
    PageChooserPanel,
)
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page, PageManager, Site
from wagtail.query import PageQuerySet
from wagtail.search import index

from portal.phones import PhoneNumberField

from .availability import first_free_times
from .blocks import BodyBlock
from .filters import SORT_CHOICES, WITHIN_CHOICES, DoctorFilters, parse_doctor_filters
from .forms import DoctorPageForm
from .search import keywords, matching_doctor_ids

if TYPE_CHECKING:
    from wagtail.images.models import Image

    from portal.models import User

DOCTORS_PER_PAGE = 12


def paginate_doctors(request, doctors):
    """One page of a doctor listing (``?page=``): a page number past the end shows the last page
    and a non-number the first, rather than a 404 for a mistyped or stale shared link."""
    paginator = Paginator(doctors, DOCTORS_PER_PAGE)
    try:
        return paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


@register_setting(icon="site")
class ClinicSettings(BaseSiteSetting):
    """The clinic's public details: shown in the header and footer, emails and letterheads."""

    name: models.CharField[str, str] = models.CharField(max_length=120, default="Riverside Clinic")
    tagline: models.CharField[str, str] = models.CharField(max_length=200, blank=True)
    address: models.TextField[str, str] = models.TextField(blank=True, help_text="Postal address, one line per row.")
    phone = PhoneNumberField(max_length=32, blank=True)
    email: models.EmailField[str, str] = models.EmailField(blank=True)
    opening_hours: models.TextField[str, str] = models.TextField(
        blank=True, help_text="One line per row, e.g. 'Mon–Fri 08:00–18:00'."
    )
    moderate_doctor_edits: models.BooleanField[bool, bool] = models.BooleanField(
        "review doctors' profile changes",
        default=False,
        help_text=(
            "When on, changes doctors make to their profile and hours from their dashboard wait for "
            "staff approval (Doctor vetting workflow) instead of going live at once."
        ),
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("tagline"),
        FieldPanel("address"),
        FieldRowPanel([FieldPanel("phone"), FieldPanel("email")]),
        FieldPanel("opening_hours"),
        MultiFieldPanel([FieldPanel("moderate_doctor_edits")], heading="Doctors"),
    ]

    class Meta:
        verbose_name = "clinic settings"

    @classmethod
    def current(cls, request: HttpRequest | None = None) -> ClinicSettings:
        """The clinic's details for ``request``'s site (or the default site), read without writing.

        Wagtail's ``for_request``/``for_site`` create a row on first read; a GET (or an email
        rendered inside a booking's transaction) must not write. Without a saved row this is an
        unsaved instance holding the model's defaults. Cached on the request, so a page that
        shows the clinic's details in several places reads them once.
        """
        cached = getattr(request, "_clinic_settings", None)
        if cached is not None:
            return cached
        site = Site.find_for_request(request) if request is not None else None
        rows = cls.objects.filter(site=site) if site is not None else cls.objects.filter(site__is_default_site=True)
        found = rows.first() or cls()
        if request is not None:
            setattr(request, "_clinic_settings", found)  # noqa: B010 - a per-request cache, not a field
        return found

    @property
    def address_lines(self) -> list[str]:
        return [line for line in self.address.splitlines() if line.strip()]

    @property
    def opening_hours_lines(self) -> list[str]:
        return [line for line in self.opening_hours.splitlines() if line.strip()]


class HomePage(Page):
    hero_title: models.CharField[str, str] = models.CharField(max_length=120, default="Care that fits your day")
    hero_text: models.TextField[str, str] = models.TextField(blank=True)
    hero_image: models.ForeignKey[Image | None, Image | None] = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hero_cta_text: models.CharField[str, str] = models.CharField(
        "call to action", max_length=60, default="Find a doctor"
    )
    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("hero_title"), FieldPanel("hero_text"), FieldPanel("hero_image"), FieldPanel("hero_cta_text")],
            heading="Hero",
        ),
        FieldPanel("intro"),
        InlinePanel("featured_specializations", label="Featured specializations", max_num=8),
        InlinePanel("featured_doctors", label="Featured doctors", max_num=8),
    ]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["home.StandardPage", "home.SpecializationIndexPage", "home.DoctorIndexPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["specializations"] = [
            item.page for item in self.featured_specializations.select_related("page__image") if item.page.live
        ]
        doctor_ids = [item.page_id for item in self.featured_doctors.all()]
        doctors = {d.pk: d for d in DoctorPage.objects.live().filter(pk__in=doctor_ids).with_cards()}
        context["doctors"] = [doctors[pk] for pk in doctor_ids if pk in doctors]
        context["doctor_index"] = DoctorIndexPage.objects.live().first()
        return context


class HomePageFeaturedSpecialization(Orderable):
    home = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="featured_specializations")
    page: models.ForeignKey[SpecializationPage, SpecializationPage] = models.ForeignKey(
        "home.SpecializationPage", on_delete=models.CASCADE, related_name="+"
    )

    panels = [PageChooserPanel("page", "home.SpecializationPage")]


class HomePageFeaturedDoctor(Orderable):
    home = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="featured_doctors")
    page: models.ForeignKey[DoctorPage, DoctorPage] = models.ForeignKey(
        "home.DoctorPage", on_delete=models.CASCADE, related_name="+"
    )

    panels = [PageChooserPanel("page", "home.DoctorPage")]


class StandardPage(Page):
    """About, contact, services: an intro and a free-form body."""

    intro: models.TextField[str, str] = models.TextField(blank=True)
    body = StreamField(BodyBlock(), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [
        index.SearchField("intro"),
        index.SearchField("body"),
        index.AutocompleteField("search_keywords"),
    ]
    parent_page_types = ["home.HomePage", "home.StandardPage"]
    subpage_types = ["home.StandardPage"]

    def search_keywords(self) -> str:
        """Folded title, intro and body text, for prefix matching in site search."""
        return keywords(self.title, self.intro, self.body.stream_block.get_searchable_content(self.body))


class SpecializationIndexPage(Page):
    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["home.SpecializationPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["specializations"] = (
            SpecializationPage.objects.child_of(self).live().select_related("image").order_by("title")
        )
        return context


class SpecializationPage(Page):
    summary: models.CharField[str, str] = models.CharField(
        max_length=250, help_text="One sentence shown on cards and in search results."
    )
    description = RichTextField(blank=True)
    image: models.ForeignKey[Image | None, Image | None] = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conditions = StreamField(
        [("condition", blocks.CharBlock(max_length=120, label="Condition"))],
        blank=True,
        help_text="Conditions treated, one per row.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("image"),
        FieldPanel("description"),
        FieldPanel("conditions"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("description"),
        index.AutocompleteField("search_keywords"),
    ]
    parent_page_types = ["home.SpecializationIndexPage"]
    subpage_types: list[str] = []

    @property
    def condition_list(self) -> list[str]:
        return [str(block.value) for block in self.conditions if str(block.value).strip()]

    def search_keywords(self) -> str:
        """Folded name, summary and conditions treated: what site search matches ("heart" → Cardiology)."""
        return keywords(self.title, self.summary, self.condition_list)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        doctors = DoctorPage.objects.live().filter(specialization_links__specialization=self).order_by("title", "pk")
        context["doctors"] = paginate_doctors(request, doctors.with_cards())
        context["doctor_index"] = DoctorIndexPage.objects.live().first()
        return context


class DoctorIndexPage(Page):
    """Lists doctors, searched and filtered from a plain GET form (see :mod:`home.filters`).

    Every combination is a shareable URL and works without JavaScript. Availability ("free
    within N days", "soonest available") comes from booking through :mod:`home.availability`.
    """

    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["home.DoctorPage"]
    max_count = 1

    def doctor_languages(self) -> list[str]:
        """Every language a live doctor here lists, for the language filter (one query)."""
        found: dict[str, str] = {}
        for value in DoctorPage.objects.child_of(self).live().values_list("languages", flat=True):
            for language in value.split(","):
                if language.strip():
                    found.setdefault(language.strip().casefold(), language.strip())
        return sorted(found.values(), key=str.casefold)

    def filtered_doctors(self, filters: DoctorFilters) -> DoctorPageQuerySet:
        """The live doctors ``filters`` match, by name or fee.

        Every condition is on the doctor's own row or a subquery of primary keys, never a join
        that could repeat a doctor, so the listing needs no ``DISTINCT`` and the paginator's
        count is a plain ``COUNT(*)`` (counting over ``DISTINCT`` cost 16 ms at 1,000 doctors).
        """
        doctors = DoctorPage.objects.child_of(self).live()
        if filters.terms:
            doctors = doctors.filter(pk__in=matching_doctor_ids(filters.terms))
        if filters.specialization is not None:
            linked = DoctorSpecialization.objects.filter(specialization=filters.specialization)
            doctors = doctors.filter(pk__in=linked.values("doctor_id"))
        if filters.language:
            doctors = doctors.filter(languages__icontains=filters.language)
        if filters.online:
            doctors = doctors.filter(offers_online=True)
        if filters.fee_min is not None:
            doctors = doctors.filter(consultation_fee__gte=filters.fee_min)
        if filters.fee_max is not None:
            doctors = doctors.filter(consultation_fee__lte=filters.fee_max)
        order = ("consultation_fee", "title") if filters.sort == "fee" else ("title",)
        return doctors.order_by(*order)

    def availability_order(self, doctors: DoctorPageQuerySet, filters: DoctorFilters) -> list[int] | None:
        """Primary keys in listing order once availability is applied; None when it cannot be."""
        candidates = list(doctors.only("pk", "slot_minutes", "title"))
        times = first_free_times(candidates, within_days=filters.within_days)
        if times is None:
            return None
        if filters.within_days is not None:
            candidates = [d for d in candidates if times.get(d.pk) is not None]
        if filters.sort == "soonest":
            # Doctors with no free time at all go last, in name order.
            never = datetime.max.replace(tzinfo=UTC)
            candidates.sort(key=lambda d: times.get(d.pk) or never)
        return [d.pk for d in candidates]

    def listed_doctors(self, filters: DoctorFilters) -> DoctorPageQuerySet | CardsInOrder:
        """The doctors ``filters`` match, in listing order, read with what their cards show.

        What the doctors page and the API's doctor list both page through. Without availability
        it is a queryset (counted and sliced in the database); sorted or limited by availability,
        every match is ordered by primary key and only the page shown is read (:class:`CardsInOrder`).
        When availability cannot be known, the time frame and sort are dropped with a note.
        """
        doctors = self.filtered_doctors(filters)
        if filters.needs_availability:
            ordered_ids = self.availability_order(doctors, filters)
            if ordered_ids is not None:
                return CardsInOrder(ordered_ids)
            filters.notes.append("Availability is not known here, so the time frame and sort were not applied.")
            filters.within_days, filters.sort = None, "name"
        return doctors.with_cards()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        specializations = list(SpecializationPage.objects.live().order_by("title").only("id", "title", "slug"))
        languages = self.doctor_languages()
        filters = parse_doctor_filters(request.GET, specializations, languages)
        page = paginate_doctors(request, self.listed_doctors(filters))
        context.update(
            doctors=page,
            filters=filters,
            query=filters.query,
            specializations=specializations,
            languages=languages,
            selected_specialization=filters.specialization,
            within_choices=WITHIN_CHOICES,
            sort_choices=SORT_CHOICES,
        )
        return context


class CardsInOrder(Sequence["DoctorPage"]):
    """Doctors in a given order of primary keys, each slice read with its cards' data on demand.

    A listing sorted by availability orders every matching doctor, but shows one page of them:
    a paginator (Django's or the API's) takes the length from the keys and reads only its slice.
    """

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> DoctorPage: ...

    @overload
    def __getitem__(self, index: slice) -> list[DoctorPage]: ...

    def __getitem__(self, index: int | slice) -> DoctorPage | list[DoctorPage]:
        if isinstance(index, int):
            return self[index : index + 1 or None][0]
        ids = self.ids[index]
        found = {d.pk: d for d in DoctorPage.objects.filter(pk__in=ids).with_cards()}
        return [found[pk] for pk in ids if pk in found]


class DoctorPageQuerySet(PageQuerySet):
    def with_cards(self):
        """Prefetch everything a doctor card shows: a fixed number of queries whatever the count."""
        return self.select_related("photo").prefetch_related(
            Prefetch(
                "specialization_links",
                queryset=DoctorSpecialization.objects.select_related("specialization").order_by("sort_order"),
            )
        )


class OnlinePayment(models.TextChoices):
    """Whether a doctor's patients pay when they book (read by booking's payments feature)."""

    CLINIC_DEFAULT = "", "As the clinic's default"
    REQUIRED = "required", "Patients pay online when they book"
    OPTIONAL = "optional", "Patients choose: online when they book, or at the clinic"
    OFF = "off", "Patients pay at the clinic"


class DoctorPage(Page):
    """A doctor's public profile; ``<its url>book/`` (a booking URL) is where patients book."""

    photo: models.ForeignKey[Image | None, Image | None] = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job_title: models.CharField[str, str] = models.CharField(
        max_length=120, blank=True, help_text="e.g. 'Consultant cardiologist'."
    )
    biography = RichTextField(blank=True)
    qualifications: models.TextField[str, str] = models.TextField(
        blank=True, help_text="One per line, e.g. 'MBBS, University of Leeds'."
    )
    languages: models.CharField[str, str] = models.CharField(
        max_length=200, blank=True, help_text="Comma-separated, e.g. 'English, Urdu'."
    )
    address: models.TextField[str, str] = models.TextField(
        blank=True, help_text="Where the doctor sees patients, if not the main clinic."
    )
    phone = PhoneNumberField(max_length=32, blank=True)
    consultation_fee: models.DecimalField[Decimal, Decimal] = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="For a consultation in person, in the clinic's currency. 0 means free.",
    )
    online_consultation_fee: models.DecimalField[Decimal | None, Decimal | None] = models.DecimalField(
        "online consultation fee",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="For an online consultation. Leave empty to charge the same as in person.",
    )
    online_payment: models.CharField[str, str] = models.CharField(
        "paying online",
        max_length=16,
        choices=OnlinePayment.choices,
        default=OnlinePayment.CLINIC_DEFAULT,
        blank=True,
        help_text="Applies only once the clinic has set up card payments; until then everyone pays at the clinic.",
    )
    slot_minutes: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        "slot length (minutes)",
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
        help_text="Length of one appointment.",
    )
    offers_online: models.BooleanField[bool, bool] = models.BooleanField("offers online consultations", default=False)
    user: models.OneToOneField[User | None, User | None] = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="doctor_page",
        help_text="The doctor's own account, which sees this doctor's appointments.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("job_title"),
        FieldPanel("photo"),
        MultipleChooserPanel(
            "specialization_links", label="Specializations", chooser_field_name="specialization", min_num=1
        ),
        FieldPanel("biography"),
        FieldPanel("qualifications"),
        FieldPanel("languages"),
        MultiFieldPanel([FieldPanel("address"), FieldPanel("phone")], heading="Contact"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("consultation_fee"), FieldPanel("online_consultation_fee")]),
                FieldPanel("slot_minutes"),
                FieldPanel("offers_online"),
                FieldPanel("online_payment"),
                FieldPanel("user"),
            ],
            heading="Appointments",
        ),
        InlinePanel("working_hours", label="Weekly working hours", heading="Working hours"),
        InlinePanel("time_off", label="Time off", heading="Time off"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("biography"),
        index.AutocompleteField("title"),
        index.AutocompleteField("search_keywords"),
    ]
    parent_page_types = ["home.DoctorIndexPage"]
    subpage_types: list[str] = []

    objects = PageManager.from_queryset(DoctorPageQuerySet)()
    base_form_class = DoctorPageForm

    class Meta:
        verbose_name = "doctor"

    def clean(self):
        super().clean()
        if self.user is not None and self.user.role != self.user.Role.DOCTOR:
            raise ValidationError({"user": "Only an account with the doctor role can be linked to a doctor page."})

    def search_keywords(self) -> str:
        """Folded name, job title and languages: "marquez" finds "Dr Márquez", "span" finds Spanish."""
        return keywords(self.title, self.job_title, self.language_list)

    @cached_property
    def specializations(self) -> list[SpecializationPage]:
        """Kept for the object's life: a doctor page lists them in its body, its meta description
        and its structured data, which read the links (and their pages) once instead of three times."""
        return [link.specialization for link in self.specialization_links.all()]

    @property
    def language_list(self) -> list[str]:
        return [lang.strip() for lang in self.languages.split(",") if lang.strip()]

    @property
    def qualification_list(self) -> list[str]:
        return [line for line in self.qualifications.splitlines() if line.strip()]

    def fee(self, *, online: bool = False) -> Decimal:
        """The fee for one consultation; online ones may cost differently (empty = the same)."""
        if online and self.online_consultation_fee is not None:
            return self.online_consultation_fee
        return self.consultation_fee

    def get_booking_url(self, request: HttpRequest | None = None) -> str:
        """Where patients book this doctor (served by the booking app, below the page's own URL).

        Pass the request where there is one: Wagtail then reads the site's root paths once per
        request instead of from the shared cache on every call."""
        url = self.get_url(request)
        return f"{url}book/" if url else ""

    @cached_property
    def booking_url(self) -> str:
        """:meth:`get_booking_url` without a request, kept for the object's life."""
        return self.get_booking_url()


class DoctorSpecialization(Orderable):
    doctor = ParentalKey(DoctorPage, on_delete=models.CASCADE, related_name="specialization_links")
    specialization: models.ForeignKey[SpecializationPage, SpecializationPage] = models.ForeignKey(
        SpecializationPage, on_delete=models.CASCADE, related_name="doctor_links"
    )

    panels = [PageChooserPanel("specialization", "home.SpecializationPage")]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["doctor", "specialization"], name="unique_doctor_specialization")
        ]

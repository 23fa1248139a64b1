"""Builds the demo clinic's page tree, images and clinic settings from ``home.demo.content``.

The page side of ``manage.py seed_demo``: the home page in place of Wagtail's welcome page, the
default Site, clinic settings, the specialization and doctor indexes and their children, About and
Contact, and the home page's featured items. Modelled on bakerydemo's ``load_initial_data``, but
written as code rather than a fixture so that it survives model changes.

Idempotent by design: every object is looked up by a natural key (a page's slug under its parent,
an image's title) and only created when missing; nothing that exists is changed, so staff edits to
the demo survive a re-run. Each step says what it did through ``SeedOutput``, which is how a second
run ends up printing "already present" for everything.

Doctor pages carry booking data (working hours, time off, the doctor's account), but ``home`` never
imports ``booking``: ``PageSeeder.seed_doctors`` takes a ``prepare`` callback instead, through which
``booking.demo`` adds that data to each new page before its first publish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import partial
from io import BytesIO
from typing import Any

from django.core.files.images import ImageFile
from django.utils.text import slugify
from wagtail.images.models import Image
from wagtail.models import Collection, Page, Site
from wagtail.rich_text import RichText
from wagtail.utils.file import hash_filelike

from home.demo import images as demo_images
from home.demo.content import (
    CLINIC,
    DOCTOR_INDEX,
    DOCTORS,
    FEATURED_DOCTORS,
    FEATURED_SPECIALIZATIONS,
    HOME,
    SPECIALIZATION_INDEX,
    SPECIALIZATIONS,
    STANDARD_PAGES,
)
from home.models import (
    ClinicSettings,
    DoctorIndexPage,
    DoctorPage,
    DoctorSpecialization,
    HomePage,
    HomePageFeaturedDoctor,
    HomePageFeaturedSpecialization,
    SpecializationIndexPage,
    SpecializationPage,
    StandardPage,
)
from portal.phones import normalize_phone

# The page Wagtail's own migrations put at the top of the tree; the demo replaces it.
WELCOME_TITLE = "Welcome to your new Wagtail site!"
IMAGE_COLLECTION = "Demo images"

# Called with a new, unsaved doctor page and its entry in ``content.DOCTORS``.
PrepareDoctor = Callable[[DoctorPage, dict], None]


class SeedOutput:
    """Where the seeding steps report; shared with ``booking.demo`` so that both speak alike.

    ``write`` and ``style`` are the management command's ``stdout.write`` and ``style``, so the
    seeders can run (and be tested) without a command object.
    """

    def __init__(self, write: Callable[[str], None], style) -> None:
        self.write = write
        self.style = style

    def created(self, message: str) -> None:
        self.write(self.style.SUCCESS(message))

    def report(self, what: str, created: int, existing: int) -> None:
        """One line for a batch: how many were created, and how many were already there."""
        if created and existing:
            self.write(f"Created {created} {what} ({existing} already present)")
        elif created:
            self.created(f"Created {created} {what}")
        else:
            self.write(f"{what.capitalize()} already present")


def _paragraphs(*texts: str) -> str:
    """Rich text with one paragraph per text."""
    return "".join(f"<p>{text}</p>" for text in texts)


def publish(page: Page) -> Page:
    """Publish the page's current state as a revision, as an editor pressing Publish would."""
    page.save_revision().publish()
    return page


def child_by_slug(parent: Page, model: type[Page], slug: str) -> Page | None:
    """The child of ``parent`` with ``slug``, as ``model``; ``None`` if there is none."""
    return model.objects.child_of(parent).filter(slug=slug).first()


class PageSeeder:
    """The page-side seeding steps. ``seed_images`` comes first: the pages use its images.

    The steps are called one by one from the command rather than from a ``run`` method here,
    because the booking side has to slot in between them (accounts before doctor pages, linking
    after them) and ``home`` may not know about it.
    """

    def __init__(self, out: SeedOutput) -> None:
        self.out = out
        self.images: dict[str, Image] = {}

    # --- Images -----------------------------------------------------------------------------

    def seed_images(self) -> None:
        """Generate every illustration the pages use; an image whose title exists is reused."""
        wanted: dict[str, tuple[str, str, Callable[[], bytes]]] = {
            "hero": ("Hero: Riverside Clinic", "Riverside Clinic", demo_images.hero_image)
        }
        wanted["about"] = (
            "Banner: About Riverside Clinic",
            "Abstract illustration in the clinic's colours",
            partial(demo_images.banner_image, "about", "petals"),
        )
        for spec in SPECIALIZATIONS:
            wanted[spec["slug"]] = (
                f"Banner: {spec['title']}",
                f"Illustration for {spec['title']}",
                partial(demo_images.banner_image, spec["slug"], spec["motif"]),
            )
        for doctor in DOCTORS:
            wanted[doctor["slug"]] = (
                f"Portrait: {doctor['name']}",
                f"Illustrated portrait of {doctor['name']}",
                partial(demo_images.portrait_image, doctor["name"]),
            )
        created = 0
        collection = None
        for key, (title, description, draw) in wanted.items():
            image = Image.objects.filter(title=title).first()
            if image is None:
                collection = collection or image_collection()
                image = save_image(title, description, draw(), collection)
                created += 1
            self.images[key] = image
        self.out.report("images", created, len(wanted) - created)

    # --- Home page, site and settings -------------------------------------------------------

    def seed_home(self) -> HomePage:
        """Put a HomePage at the default Site's root in place of Wagtail's welcome page."""
        home = HomePage.objects.first()
        if home is not None:
            self.out.write("Home page already present")
        root = Page.get_first_root_node()
        site = Site.objects.filter(is_default_site=True).first()
        welcome = Page.objects.child_of(root).filter(title=WELCOME_TITLE, content_type__model="page").first()
        if welcome is not None and welcome.get_children().exists():
            welcome = None  # someone built on it: not the untouched default page any more.
        if home is None:
            if welcome is not None and site is not None and site.root_page_id == welcome.pk:
                # Sites cascade with their root page: park the site on the tree root meanwhile.
                site.root_page = root
                site.save()
            if welcome is not None:
                welcome.delete()
                welcome = None
                self.out.write("Removed Wagtail's default welcome page")
            home = self.create_home(root)
        if site is None:
            site = Site.objects.create(
                hostname="localhost", port=80, root_page=home, is_default_site=True, site_name=CLINIC["name"]
            )
            self.out.write("Created the default site")
        elif site.root_page_id != home.pk:
            site.root_page = home
            site.site_name = site.site_name or CLINIC["name"]
            site.save()
            self.out.write("Pointed the default site at the home page")
        if welcome is not None and not Site.objects.filter(root_page=welcome).exists():
            welcome.delete()
            self.out.write("Removed Wagtail's default welcome page")
        return home

    def create_home(self, root: Page) -> HomePage:
        fields = {key: value for key, value in HOME.items() if key != "intro"}
        home = HomePage(**fields, intro=HOME["intro"], hero_image=self.images["hero"])
        root.add_child(instance=home)
        self.out.created("Created the home page")
        return publish(home)

    def seed_settings(self, home: HomePage) -> None:
        """Fill in the clinic's details; fields staff have already filled in are left alone."""
        site = Site.objects.get(root_page=home, is_default_site=True)
        settings = ClinicSettings.for_site(site)
        changed = [field for field, value in CLINIC.items() if not getattr(settings, field)]
        for field in changed:
            value = CLINIC[field]
            setattr(settings, field, normalize_phone(value) if field == "phone" else value)
        if changed:
            settings.save()
            self.out.created(f"Filled in clinic settings: {', '.join(changed)}")
        else:
            self.out.write("Clinic settings already present")

    def seed_index(self, home: HomePage, model: type[Page], index: dict) -> Page:
        """One of the index pages directly under the home page, shown in the menu."""
        page = child_by_slug(home, model, index["slug"])
        if page is not None:
            self.out.write(f"{index['title']} index already present")
            return page
        page = model(title=index["title"], slug=index["slug"], intro=index["intro"], show_in_menus=True)
        home.add_child(instance=page)
        self.out.created(f"Created the {index['title']} index")
        return publish(page)

    # --- Specializations --------------------------------------------------------------------

    def seed_specializations(self, home: HomePage) -> dict[str, SpecializationPage]:
        """The Specializations index and one page per specialization, by slug."""
        index = self.seed_index(home, SpecializationIndexPage, SPECIALIZATION_INDEX)
        pages, created = {}, 0
        for spec in SPECIALIZATIONS:
            page = child_by_slug(index, SpecializationPage, spec["slug"])
            if page is None:
                page = self.create_specialization(index, spec)
                created += 1
            pages[spec["slug"]] = page
        self.out.report("specializations", created, len(SPECIALIZATIONS) - created)
        return pages

    def create_specialization(self, index: SpecializationIndexPage, spec: dict) -> SpecializationPage:
        page = SpecializationPage(
            title=spec["title"],
            slug=spec["slug"],
            summary=spec["summary"],
            search_description=spec["summary"],
            description=spec["description"],
            image=self.images[spec["slug"]],
            conditions=[("condition", condition) for condition in spec["conditions"]],
        )
        index.add_child(instance=page)
        return publish(page)

    # --- Doctors ----------------------------------------------------------------------------

    def seed_doctor_index(self, home: HomePage) -> DoctorIndexPage:
        return self.seed_index(home, DoctorIndexPage, DOCTOR_INDEX)

    def seed_doctors(
        self,
        index: DoctorIndexPage,
        specializations: dict[str, SpecializationPage],
        prepare: PrepareDoctor | None = None,
    ) -> dict[str, DoctorPage]:
        """One page per doctor, by slug. ``prepare`` completes each new page before it is published.

        Existing pages are returned untouched and never passed to ``prepare``.
        """
        pages, created = {}, 0
        for doctor in DOCTORS:
            page = child_by_slug(index, DoctorPage, doctor["slug"])
            if page is None:
                page = self.create_doctor(index, doctor, specializations, prepare)
                created += 1
            pages[doctor["slug"]] = page
        self.out.report("doctors", created, len(DOCTORS) - created)
        return pages

    def create_doctor(
        self,
        index: DoctorIndexPage,
        doctor: dict,
        specializations: dict[str, SpecializationPage],
        prepare: PrepareDoctor | None,
    ) -> DoctorPage:
        """A doctor with specializations, and whatever ``prepare`` adds, all in the first published revision.

        One revision rather than a publish followed by an edit: the page's history then starts
        complete, as if an editor had filled in the whole form before pressing Publish.
        """
        page = DoctorPage(
            title=doctor["name"],
            slug=doctor["slug"],
            search_description=f"{doctor['name']}, {doctor['job_title'].lower()} at {CLINIC['name']}.",
            photo=self.images[doctor["slug"]],
            job_title=doctor["job_title"],
            biography=_paragraphs(*doctor["biography"]),
            qualifications=doctor["qualifications"],
            languages=doctor["languages"],
            phone=normalize_phone(doctor["phone"]),
            consultation_fee=Decimal(doctor["fee"]),
            slot_minutes=doctor["slot_minutes"],
            offers_online=doctor["online"],
        )
        for order, slug in enumerate(doctor["specializations"]):
            page.specialization_links.add(DoctorSpecialization(specialization=specializations[slug], sort_order=order))
        if prepare is not None:
            prepare(page, doctor)
        index.add_child(instance=page)
        return publish(page)

    # --- About and contact ------------------------------------------------------------------

    def seed_standard_pages(self, home: HomePage, doctor_index: DoctorIndexPage) -> None:
        """About and Contact, whose calls to action lead to the Doctors index."""
        for spec in STANDARD_PAGES:
            title = spec["title"]
            if child_by_slug(home, StandardPage, spec["slug"]) is not None:
                self.out.write(f"{title} page already present")
                continue
            page = StandardPage(
                title=title,
                slug=spec["slug"],
                intro=spec["intro"],
                search_description=spec["intro"],
                body=self.stream_blocks(spec["body"], doctor_index),
                show_in_menus=True,
            )
            home.add_child(instance=page)
            publish(page)
            self.out.created(f"Created the {title} page")

    def stream_blocks(self, body: Iterable[tuple[str, Any]], doctor_index: DoctorIndexPage) -> list[tuple]:
        """StandardPage body blocks for the ``(kind, value)`` entries described in ``content``."""
        blocks = []
        for kind, value in body:
            if kind in ("heading", "quote"):
                blocks.append((kind, value))
            elif kind == "paragraphs":
                blocks.append(("paragraph", RichText(_paragraphs(*value))))
            elif kind == "bullets":
                blocks.append(("paragraph", RichText("<ul>" + "".join(f"<li>{item}</li>" for item in value) + "</ul>")))
            elif kind == "lines":
                blocks.append(("paragraph", RichText(f"<p>{'<br/>'.join(value)}</p>")))
            elif kind == "contact_details":
                phone, email = value["phone"], value["email"]
                blocks.append(
                    (
                        "paragraph",
                        RichText(
                            f'<p>Telephone: <a href="tel:{normalize_phone(phone)}">{phone}</a><br/>'
                            f'Email: <a href="mailto:{email}">{email}</a></p>'
                        ),
                    )
                )
            elif kind == "image":
                blocks.append(("image", {"image": self.images[value], "decorative": True, "alt_text": ""}))
            elif kind == "call_to_action":
                blocks.append(("call_to_action", {"text": value, "page": doctor_index}))
            else:
                raise ValueError(f"Unknown demo body block {kind!r}")
        return blocks

    # --- Home page features -----------------------------------------------------------------

    def seed_home_features(
        self, home: HomePage, specializations: dict[str, SpecializationPage], doctors: dict[str, DoctorPage]
    ) -> None:
        """Feature six specializations and four doctors, unless staff have already chosen some."""
        changed = False
        if not home.featured_specializations.exists():
            for order, slug in enumerate(FEATURED_SPECIALIZATIONS):
                home.featured_specializations.add(
                    HomePageFeaturedSpecialization(page=specializations[slug], sort_order=order)
                )
            changed = True
        if not home.featured_doctors.exists():
            for order, slug in enumerate(FEATURED_DOCTORS):
                home.featured_doctors.add(HomePageFeaturedDoctor(page=doctors[slug], sort_order=order))
            changed = True
        if changed:
            home.save()
            publish(home)
            self.out.created("Featured specializations and doctors on the home page")
        else:
            self.out.write("Home page features already present")


def image_collection() -> Collection:
    """The collection the demo's images go in, so staff can find (and remove) them together."""
    root = Collection.get_first_root_node()
    existing = root.get_children().filter(name=IMAGE_COLLECTION).first()
    return existing or root.add_child(name=IMAGE_COLLECTION)


def save_image(title: str, description: str, data: bytes, collection: Collection) -> Image:
    """Store generated JPEG bytes as a Wagtail image, with the size and hash the admin expects."""
    image = Image(
        title=title,
        description=description,
        collection=collection,
        file=ImageFile(BytesIO(data), name=f"{slugify(title)}.jpg"),
        file_size=len(data),
        file_hash=hash_filelike(BytesIO(data)),
    )
    image.save()
    return image

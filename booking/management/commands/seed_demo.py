"""``manage.py seed_demo``: a complete, browsable demo clinic on an empty database.

Builds the page tree (home, about, contact, specializations, doctors with working hours and time
off), the clinic settings, generated illustrations and one account per role. The content is in
``home.demo.content``, the page mechanics in ``home.demo.pages`` and the booking side (accounts,
hours, time off) in ``booking.demo``; this command only runs their steps in dependency order. It
lives in ``booking`` because it needs both halves, and ``home`` must not import ``booking``.

Idempotent by design: every object is looked up by a natural key (a page's slug under its parent,
a user's email, an image's title) and only created when missing; nothing that exists is changed.
Running it twice therefore prints "already present" for everything the second time.

The demo passwords are public (they are in the README), so the command refuses to run when DEBUG
is off, which is how a production database looks, unless given ``--allow-production``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from booking.demo import BookingSeeder
from booking.onboarding.workflow import ensure_vetting_workflow
from home.demo.pages import PageSeeder, SeedOutput

REFUSAL = (
    "DEBUG is off, so this database looks like production. seed_demo creates accounts with "
    "published passwords (including a superuser, admin@example.com), which must never exist on a "
    "real site. Nothing was changed. If this really is a throwaway database, run it again with "
    "--allow-production."
)


class Command(BaseCommand):
    help = "Create the demo clinic: pages, doctors with hours, settings, images and demo accounts. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even though DEBUG is off. The demo accounts' passwords are published: throwaway databases only.",
        )

    def handle(self, *args, **options):
        # DEBUG is the one setting every production configuration here turns off; checking it
        # rather than the settings module's name also catches dev settings run with DEBUG=0.
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(REFUSAL)
        out = SeedOutput(self.stdout.write, self.style)
        # One transaction: an interrupted run leaves the database as it was, never half-seeded.
        with transaction.atomic():
            pages = PageSeeder(out)
            bookings = BookingSeeder(out)
            pages.seed_images()
            bookings.seed_accounts()  # before the doctor pages, which the doctors' accounts own
            home = pages.seed_home()
            pages.seed_settings(home)
            specializations = pages.seed_specializations(home)
            doctor_index = pages.seed_doctor_index(home)
            ensure_vetting_workflow()  # doctors who join through the site are reviewed in it
            doctors = pages.seed_doctors(doctor_index, specializations, prepare=bookings.prepare_doctor)
            bookings.link_doctor_accounts(doctors)
            bookings.seed_closures()
            bookings.seed_appointments(doctors)
            pages.seed_standard_pages(home, doctor_index)
            pages.seed_home_features(home, specializations, doctors)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

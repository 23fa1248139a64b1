"""``manage.py seed_scale --doctors N --appointments M``: bulk data for benchmarks.

See ``booking.scale`` for how the rows are shaped and why they are written in bulk. Like
``seed_demo`` it refuses to run on a database that looks like production (DEBUG off) unless given
``--allow-production``: benchmarks run production settings against a throwaway database.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from booking.scale import ScaleSeeder
from home.models import DoctorIndexPage


class Command(BaseCommand):
    help = "Add many doctors and appointments (with events, prescriptions and emails) in bulk, for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--doctors", type=int, default=100, help="Doctor pages to add (default 100).")
        parser.add_argument("--appointments", type=int, default=10000, help="Appointments to add (default 10000).")
        parser.add_argument("--patients", type=int, default=1000, help="Patient accounts to spread them over.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (same seed, same data).")
        parser.add_argument(
            "--allow-production", action="store_true", help="Run even though DEBUG is off (throwaway databases only)."
        )

    def handle(self, *args, doctors: int, appointments: int, patients: int, seed: int, **options) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "DEBUG is off, so this database looks like production; seed_scale fills it with made-up "
                "doctors and patients. Nothing was changed. For a throwaway database, add --allow-production."
            )
        if doctors < 0 or appointments < 0 or patients < 0:
            raise CommandError("Counts must be zero or more.")
        started = time.monotonic()
        if not DoctorIndexPage.objects.live().exists():
            self.stdout.write("No page tree yet: seeding the demo clinic first.")
            call_command("seed_demo", allow_production=True, stdout=self.stdout)
        seeder = ScaleSeeder(self.stdout.write, seed=seed)
        self.stdout.write(f"Creating {doctors} doctor pages…")
        new_doctors = seeder.seed_doctors(doctors)
        self.stdout.write(f"Creating {patients} patient accounts…")
        patient_ids = seeder.seed_patients(patients)
        self.stdout.write(f"Creating {appointments} appointments…")
        seeder.seed_appointments(new_doctors, appointments, patient_ids)
        report = seeder.report
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {report.doctors} doctors, {report.appointments} appointments, "
                f"{report.prescriptions} prescriptions and {report.notifications} emails "
                f"in {time.monotonic() - started:.1f} s."
            )
        )

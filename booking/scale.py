"""Bulk data for benchmarks and scale tests: many doctors, a long history of appointments.

``manage.py seed_scale`` builds on the demo clinic's page tree (it runs the demo seeding first if
the tree is missing) and adds doctors and appointments in bulk. Why it is written the way it is:

* **Pages one by one, rows in bulk.** Wagtail pages live in a materialised-path tree
  (treebeard) and use multi-table inheritance, which Django's ``bulk_create`` refuses; creating
  a page costs a few milliseconds, so a thousand doctors take well under a minute. Everything
  else (hours, time off, appointments, events, prescriptions, emails) is ``bulk_create`` in
  batches, which is what makes a million appointments feasible in minutes.
* **Realistic shape.** Each doctor works weekdays in two sessions; appointments fill their slots
  backwards from today (past: completed, no-shows, cancellations, declines, expired holds) and
  forwards into the booking horizon (pending and confirmed, some cancelled), so pages and
  reports see the mix a busy clinic has. At most one *active* appointment holds a slot, exactly
  as the database constraint requires.
* **Deterministic.** A seeded random generator (the seed includes how many scale doctors exist
  already, so a second run adds new rows instead of repeating the first run's references): two
  runs with the same arguments on empty databases produce the same rows, so benchmark figures
  compare like with like.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from home.models import DoctorIndexPage, DoctorPage, DoctorSpecialization, SpecializationPage
from portal.models import User

from .models import (
    REFERENCE_ALPHABET,
    Appointment,
    AppointmentEvent,
    MedicationLine,
    Notification,
    Prescription,
    TimeOff,
    WorkingHours,
    clinic_zone,
)

Status = Appointment.Status
BATCH = 5000
# Two sessions a weekday; 30-minute slots give 14 slots a day, 70 a week per doctor.
SESSIONS = ((time(9, 0), time(12, 30)), (time(13, 30), time(17, 0)))
SLOT_MINUTES = 30
PAST_MIX = (
    (Status.COMPLETED, 70),
    (Status.NO_SHOW, 5),
    (Status.CANCELLED, 12),
    (Status.DECLINED, 5),
    (Status.EXPIRED, 8),
)
FUTURE_MIX = ((Status.CONFIRMED, 55), (Status.PENDING, 30), (Status.CANCELLED, 15))
FIRST_NAMES = ("Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Grace", "Hugo", "Ines", "Jon", "Kemi", "Liam")
LAST_NAMES = ("Okafor", "Smith", "Nowak", "Patel", "Garcia", "Kim", "Haddad", "Rossi", "Murphy", "Chen")


@dataclass
class ScaleReport:
    doctors: int = 0
    appointments: int = 0
    prescriptions: int = 0
    notifications: int = 0


def _reference(rng: random.Random) -> str:
    raw = "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _weighted(rng: random.Random, mix: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([status for status, _ in mix], weights=[weight for _, weight in mix])[0]


def _slot_starts(day: date) -> Iterator[datetime]:
    tz = clinic_zone()
    for start, end in SESSIONS:
        moment = datetime.combine(day, start, tzinfo=tz)
        stop = datetime.combine(day, end, tzinfo=tz)
        while moment + timedelta(minutes=SLOT_MINUTES) <= stop:
            yield moment
            moment += timedelta(minutes=SLOT_MINUTES)


def _weekdays(start: date, step: int) -> Iterator[date]:
    """Weekdays from ``start`` going forwards (step 1) or backwards (step -1), for ever."""
    day = start
    while True:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=step)


class ScaleSeeder:
    """Adds ``doctors`` doctor pages and ``appointments`` appointments; see the module docstring."""

    def __init__(self, write: Callable[[str], None], *, seed: int = 2026) -> None:
        self.write = write
        existing = DoctorPage.objects.filter(slug__startswith="scale-doctor-").count()
        self.rng = random.Random(f"{seed}:{existing}")
        self.report = ScaleReport()

    # --- Doctors ----------------------------------------------------------------------------

    def seed_doctors(self, count: int) -> list[DoctorPage]:
        """Create ``count`` live doctor pages under the Doctors index, each with weekday hours."""
        index = DoctorIndexPage.objects.live().first()
        if index is None:
            raise RuntimeError("No Doctors index page: run seed_demo first.")
        specializations = list(SpecializationPage.objects.live().order_by("pk"))
        existing = DoctorPage.objects.filter(slug__startswith="scale-doctor-").count()
        doctors: list[DoctorPage] = []
        for n in range(existing, existing + count):
            name = f"Dr {self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)} {n + 1}"
            page = DoctorPage(
                title=name,
                slug=f"scale-doctor-{n + 1}",
                job_title="Consultant",
                languages=self.rng.choice(("English", "English, French", "English, Urdu", "English, Polish")),
                consultation_fee=Decimal(self.rng.choice((60, 80, 100, 120, 150))),
                slot_minutes=SLOT_MINUTES,
                offers_online=self.rng.random() < 0.4,
            )
            index.add_child(instance=page)
            doctors.append(page)
            if len(doctors) % 100 == 0:
                self.write(f"  {len(doctors)}/{count} doctor pages")
        WorkingHours.objects.bulk_create(
            [
                WorkingHours(doctor=page, weekday=weekday, starts=start, ends=end, sort_order=i)
                for page in doctors
                for weekday in range(5)
                for i, (start, end) in enumerate(SESSIONS)
            ],
            batch_size=BATCH,
        )
        today = timezone.localdate(timezone=clinic_zone())
        TimeOff.objects.bulk_create(
            [
                TimeOff(doctor=page, start_date=today + timedelta(days=offset), end_date=today + timedelta(days=offset))
                for page in doctors
                if (offset := self.rng.randint(3, 60)) and self.rng.random() < 0.3
            ],
            batch_size=BATCH,
        )
        if specializations:
            DoctorSpecialization.objects.bulk_create(
                [
                    DoctorSpecialization(doctor=page, specialization=self.rng.choice(specializations), sort_order=0)
                    for page in doctors
                ],
                batch_size=BATCH,
            )
        self.report.doctors += len(doctors)
        return doctors

    # --- Patients ---------------------------------------------------------------------------

    def seed_patients(self, count: int) -> list[int]:
        """Patient accounts (no usable password) that some appointments belong to."""
        existing = set(User.objects.filter(email__endswith="@scale.example").values_list("email", flat=True))
        users = [
            User(
                email=f"patient{n}@scale.example",
                first_name="Scale",
                last_name=f"Patient {n}",
                password=make_password(None),
            )
            for n in range(count)
            if f"patient{n}@scale.example" not in existing
        ]
        User.objects.bulk_create(users, batch_size=BATCH)
        return list(User.objects.filter(email__endswith="@scale.example").values_list("pk", flat=True))

    # --- Appointments -----------------------------------------------------------------------

    def _appointments_for(
        self, doctor: DoctorPage, count: int, patient_ids: list[int], now: datetime
    ) -> Iterator[Appointment]:
        """``count`` appointments for one doctor: about a tenth ahead, the rest behind today."""
        today = timezone.localdate(now, clinic_zone())
        future = count // 10
        starts: list[tuple[datetime, bool]] = []
        for day in _weekdays(today + timedelta(days=1), 1):
            if len(starts) >= future or day > today + timedelta(days=27):
                break
            starts += [(s, True) for s in _slot_starts(day)][: future - len(starts)]
        for day in _weekdays(today - timedelta(days=1), -1):
            if len(starts) >= count:
                break
            starts += [(s, False) for s in _slot_starts(day)][: count - len(starts)]
        for start, upcoming in starts:
            status = _weighted(self.rng, FUTURE_MIX if upcoming else PAST_MIX)
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            patient_id = self.rng.choice(patient_ids) if patient_ids and self.rng.random() < 0.5 else None
            appointment = Appointment(
                reference=_reference(self.rng),
                doctor_id=doctor.pk,
                patient_id=patient_id,
                full_name=f"{first} {last}",
                email=f"{first}.{last}.{self.rng.randint(1, 99999)}@example.org".lower(),
                mobile=f"+4479{self.rng.randint(10000000, 99999999)}",
                mode=Appointment.Mode.ONLINE if doctor.offers_online and self.rng.random() < 0.3 else "in_person",
                starts_at=start,
                ends_at=start + timedelta(minutes=SLOT_MINUTES),
                fee=doctor.consultation_fee,
            )
            appointment.set_status(status, hold_until=start)
            yield appointment

    def seed_appointments(self, doctors: list[DoctorPage], total: int, patient_ids: list[int]) -> None:
        """Spread ``total`` appointments over ``doctors``, with events, prescriptions and emails."""
        if not doctors or total <= 0:
            return
        now = timezone.now()
        per_doctor, remainder = divmod(total, len(doctors))
        batch: list[Appointment] = []
        for i, doctor in enumerate(doctors):
            batch.extend(self._appointments_for(doctor, per_doctor + (1 if i < remainder else 0), patient_ids, now))
            if len(batch) >= BATCH:
                self._flush(batch)
                batch = []
        self._flush(batch)

    def _flush(self, batch: list[Appointment]) -> None:
        if not batch:
            return
        with transaction.atomic():
            Appointment.objects.bulk_create(batch, batch_size=BATCH)
            # bulk_create sets primary keys on MySQL/MariaDB only for single-row inserts; read
            # them back by reference, which is unique.
            ids = dict(
                Appointment.objects.filter(reference__in=[a.reference for a in batch]).values_list("reference", "pk")
            )
            for appointment in batch:
                appointment.pk = ids[appointment.reference]
            AppointmentEvent.objects.bulk_create(
                [
                    AppointmentEvent(
                        appointment_id=a.pk,
                        actor_role="patient" if a.patient_id else "guest",
                        from_status="",
                        to_status=a.status,
                        created_at=a.starts_at - timedelta(days=7),
                    )
                    for a in batch
                ],
                batch_size=BATCH,
            )
            completed = [a for a in batch if a.status == Status.COMPLETED and self.rng.random() < 0.3]
            Prescription.objects.bulk_create(
                [
                    Prescription(appointment_id=a.pk, advice="Rest and plenty of fluids.", signed_at=a.ends_at)
                    for a in completed
                ],
                batch_size=BATCH,
            )
            prescription_ids = Prescription.objects.filter(appointment_id__in=[a.pk for a in completed]).values_list(
                "pk", flat=True
            )
            MedicationLine.objects.bulk_create(
                [
                    MedicationLine(
                        prescription_id=pk,
                        drug="Paracetamol",
                        dose="500 mg",
                        frequency="4 times a day",
                        duration="3 days",
                    )
                    for pk in prescription_ids
                ],
                batch_size=BATCH,
            )
            notified = [a for a in batch if self.rng.random() < 0.2]
            Notification.objects.bulk_create(
                [
                    Notification(
                        appointment_id=a.pk,
                        kind=Notification.Kind.RECEIVED,
                        to=a.email,
                        subject=f"We have received your appointment request ({a.reference})",
                        body_text="(bulk data)",
                        status=Notification.Status.SENT,
                        attempts=1,
                        sent_at=a.starts_at - timedelta(days=7),
                        created_at=a.starts_at - timedelta(days=7),
                    )
                    for a in notified
                ],
                batch_size=BATCH,
            )
        self.report.appointments += len(batch)
        self.report.prescriptions += len(completed)
        self.report.notifications += len(notified)
        self.write(f"  {self.report.appointments} appointments")

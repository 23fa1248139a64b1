"""Bulk data for benchmarks and scale tests: many doctors, a long history of appointments.

``manage.py seed_scale`` builds on the demo clinic's page tree (it runs the demo seeding first if
the tree is missing) and adds doctors and appointments in bulk. Why it is written the way it is:

* **Pages as rows.** Wagtail pages live in a materialised-path tree (treebeard) and use
  multi-table inheritance, which Django's ``bulk_create`` refuses; creating a page with
  ``add_child`` costs tens of milliseconds (a minute for a thousand). So doctor pages are written
  as rows too: the tree's paths computed from the Doctors index's last child, the base ``Page``
  rows by ``bulk_create``, the doctor rows that extend them through :class:`RowWriter`, and the
  parent's child count updated once. Their hours, time off and specializations are
  ``bulk_create`` per run.
* **Appointments straight through the cursor.** A million appointments with their events,
  prescriptions and emails are three million rows. Profiling ``bulk_create`` showed almost all the
  time in Python, per row: model ``__init__``, ``get_db_prep_save`` for every field (the phone
  field re-validates each number with libphonenumber) and ``random.choices``. So rows are built as
  tuples of values already in the database's format (:class:`RowWriter`): the few thousand
  distinct slot times are converted once (:class:`SlotPlan`), constants once per run, statuses are
  dealt from shuffled decks, and ``executemany`` sends them in batches (MySQLdb turns that into
  multi-row ``INSERT``\\s). Primary keys are assigned here (from ``MAX(id)`` inside each batch's
  transaction) so events, prescriptions and emails can point at their appointment without reading
  anything back; run the command on its own (benchmarks use a throwaway database), as a concurrent
  insert would make the batch fail on the primary key rather than corrupt anything.
* **Rows in time order, keys that grow.** Appointments are written oldest first across all
  doctors, and their references, emails and mobiles grow with the primary key, so every index
  grows at its end or at a few hot spots. Written doctor by doctor with random references, the
  indexes outgrew MariaDB's buffer pool (128 MB here) and inserts slowed from 4,000 to 1,700 a
  second as pages were read and written back.
* **Realistic shape.** Each doctor works weekdays in two sessions; appointments fill their slots
  backwards from today (past: completed, no-shows, cancellations, declines, expired holds) and
  forwards into the booking horizon (confirmed, pending, awaiting confirmation or payment, some
  cancelled), so pages and reports see the mix a busy clinic has. Statuses come from shuffled decks
  of 100 in the mix's proportions, so any 100 rows hold every state of their side. At most one
  *active* appointment holds a slot, exactly as the database constraint requires (one appointment
  per doctor and slot).
* **Deterministic.** A seeded random generator (the seed includes how many scale doctors exist
  already, so a second run adds new rows instead of repeating the first run's): two runs with the
  same arguments on empty databases produce the same rows, so benchmark figures compare like with
  like. The data is made up: references are unique by construction, not secret.
"""

from __future__ import annotations

import os
import random
import tempfile
import time as clock
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import F, Max
from django.utils import timezone
from wagtail.models import Page

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
# Rows built before each write; one transaction per batch.
BATCH = 20_000
# Rows per executemany call (MySQLdb splits further by statement length).
CHUNK = 5_000
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
FUTURE_MIX = (
    (Status.CONFIRMED, 52),
    (Status.PENDING, 28),
    (Status.UNCONFIRMED, 3),
    (Status.PENDING_PAYMENT, 2),
    (Status.CANCELLED, 15),
)
# Unconfirmed or unpaid bookings hold their slot this long from now (then expire_holds frees them).
HOLD_MINUTES = 30
# The doctor page's own columns that seed_doctors sets (the rest keep their defaults).
DOCTOR_FIELDS = ("job_title", "languages", "consultation_fee", "slot_minutes", "offers_online")
FIRST_NAMES = ("Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Grace", "Hugo", "Ines", "Jon", "Kemi", "Liam")
LAST_NAMES = ("Okafor", "Smith", "Nowak", "Patel", "Garcia", "Kim", "Haddad", "Rossi", "Murphy", "Chen")
# References are ten base-32 characters of the portal's alphabet: 50 bits.
REFERENCE_BITS = 50


@dataclass
class ScaleReport:
    doctors: int = 0
    appointments: int = 0
    prescriptions: int = 0
    notifications: int = 0


def scale_reference(pk: int, rnd: Callable[[], float]) -> str:
    """A reference such as ``G0003-2RK7M`` that no other primary key gets.

    The primary key fills the high bits and a random number the low ten, so references grow
    with the key (appended to the unique index rather than scattered over it) yet do not read as
    a counter. A marker bit keeps them clear of zeros.
    """
    x = (1 << (REFERENCE_BITS - 1)) | (pk << 10) | int(rnd() * 1024)
    if x >> REFERENCE_BITS:
        raise ValueError("primary key too large for a scale reference")
    chars = [REFERENCE_ALPHABET[(x >> shift) & 31] for shift in range(45, -5, -5)]
    return "".join(chars[:5]) + "-" + "".join(chars[5:])


def _weekdays(start: date, step: int) -> Iterator[date]:
    """Weekdays from ``start`` going forwards (step 1) or backwards (step -1), for ever."""
    day = start
    while True:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=step)


class Deck:
    """Statuses in a mix's proportions, dealt from a shuffled deck of 100 and reshuffled when empty.

    Cheaper than ``random.choices`` per row, and every 100 draws hold the exact mix.
    """

    def __init__(self, rng: random.Random, mix: tuple[tuple[Appointment.Status, int], ...]) -> None:
        self.rng = rng
        self.cards = [str(status.value) for status, weight in mix for _ in range(weight)]
        assert len(self.cards) == 100, "a mix's weights add up to 100"
        self.left: list[str] = []

    def draw(self) -> str:
        if not self.left:
            self.left = self.cards[:]
            self.rng.shuffle(self.left)
        return self.left.pop()


@dataclass(frozen=True)
class SlotRow:
    """One slot's times, already in the database's format."""

    starts_at: Any
    ends_at: Any
    booked_at: Any  # when the booking was made: a week before (at most now)
    hold_lapsed_at: Any  # for expired holds: half an hour after booking


class SlotPlan:
    """Every doctor's slot times, computed once: all doctors share the same weekly hours."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.tz = clinic_zone()
        self.today = timezone.localdate(now, self.tz)
        self.adapt = connection.ops.adapt_datetimefield_value
        self.future: list[SlotRow] = []
        horizon = self.today + timedelta(days=27)
        for day in _weekdays(self.today + timedelta(days=1), 1):
            if day > horizon:
                break
            self.future += self._day(day)
        self.past: list[SlotRow] = []
        self._past_days = _weekdays(self.today - timedelta(days=1), -1)

    def _day(self, day: date) -> list[SlotRow]:
        rows = []
        for start, end in SESSIONS:
            moment = datetime.combine(day, start, tzinfo=self.tz)
            stop = datetime.combine(day, end, tzinfo=self.tz)
            while moment + timedelta(minutes=SLOT_MINUTES) <= stop:
                booked = min(moment - timedelta(days=7), self.now)
                rows.append(
                    SlotRow(
                        starts_at=self.adapt(moment),
                        ends_at=self.adapt(moment + timedelta(minutes=SLOT_MINUTES)),
                        booked_at=self.adapt(booked),
                        hold_lapsed_at=self.adapt(booked + timedelta(minutes=HOLD_MINUTES)),
                    )
                )
                moment += timedelta(minutes=SLOT_MINUTES)
        return rows

    def past_slots(self, count: int) -> list[SlotRow]:
        """The ``count`` latest past slots, newest first (more days are computed on demand)."""
        while len(self.past) < count:
            self.past += reversed(self._day(next(self._past_days)))
        return self.past[:count]


class RowWriter:
    """Writes rows of one model; values must already be in the database's format.

    ``columns`` are the attribute names the caller supplies in each tuple; every other column
    gets the field's default (or NULL), converted once. A unique or required column without a
    default that the caller does not supply is a programming error, caught at construction.
    Rows go out as ``executemany`` INSERTs, or as ``LOAD DATA LOCAL INFILE`` through a
    :class:`Sink` that can (MariaDB/MySQL).
    """

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        fields = {f.attname: f for f in model._meta.local_concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
        constants: list[tuple[str, Any]] = []
        now = timezone.now()
        for name, f in fields.items():
            if name in columns or f.primary_key:
                continue
            if f.unique and not (f.null and not f.has_default()):  # NULLs never collide
                raise ValueError(f"{model.__name__}.{name} is unique: supply it")
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value: Any = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif f.blank and f.empty_strings_allowed:
                value = ""
            else:
                raise ValueError(f"{model.__name__}.{name} has no default: supply it")
            constants.append((name, f.get_db_prep_save(value, connection)))
        self.constants = tuple(value for _, value in constants)
        names = [fields[c].column for c in columns] + [fields[name].column for name, _ in constants]
        quote = connection.ops.quote_name
        # Table and column names come from the model's metadata, quoted; values travel as
        # parameters (INSERT) or in a file the client sends (LOAD DATA).
        table, column_list = quote(model._meta.db_table), ", ".join(quote(n) for n in names)
        placeholders = ", ".join(["%s"] * len(names))
        self.insert_sql = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"  # noqa: S608
        self.load_sql = (
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {table} CHARACTER SET utf8mb4 "
            f"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({column_list})"
        )

    def insert(self, cursor, rows: Iterable[tuple]) -> None:
        constants = self.constants
        chunk: list[tuple] = []
        for row in rows:
            chunk.append(row + constants)
            if len(chunk) >= CHUNK:
                cursor.executemany(self.insert_sql, chunk)
                chunk = []
        if chunk:
            cursor.executemany(self.insert_sql, chunk)

    def load(self, cursor, rows: Iterable[tuple], folder: str) -> None:
        """One ``LOAD DATA LOCAL INFILE`` of ``rows`` written as tab-separated text.

        With LOCAL the server turns bad values and duplicate keys into warnings (it cannot stop
        the client's upload half-way), so any warning fails the batch, which is rolled back.
        """
        constants = "".join("\t" + _tsv(value) for value in self.constants)
        path = os.path.join(folder, f"{self.model._meta.db_table}.tsv")
        count = 0
        with open(path, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write("\t".join([_tsv(value) for value in row]) + constants + "\n")
                count += 1
        if not count:
            return
        cursor.execute(self.load_sql, [path])
        cursor.execute("SHOW WARNINGS LIMIT 5")
        warnings = cursor.fetchall()
        if warnings:
            raise RuntimeError(f"Loading {self.model.__name__} rows gave warnings: {warnings}")


def _tsv(value: Any) -> str:
    """A value as LOAD DATA reads it: ``\\N`` for NULL, backslash escapes for the separators."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "1" if value else "0"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return text


class Sink:
    """Where batches of appointment rows go, one transaction each.

    On MariaDB/MySQL a second connection opened with ``local_infile`` sends each table's rows as
    one ``LOAD DATA LOCAL INFILE``: no SQL to build or escape per value in Python, none to parse
    on the server. It cut the seed's CPU by a third (Python 9.1 → 5.1 s, MariaDB 9.5 → 7.2 s per
    200,000 appointments). Being another connection, it cannot see rows the caller has not
    committed, so inside a transaction (a test, or a caller's ``atomic``), on SQLite, or if the
    server refuses LOCAL INFILE, rows go through the caller's connection as INSERTs.
    """

    def __init__(self) -> None:
        self.loader = None
        if connection.vendor == "mysql" and not connection.in_atomic_block:
            self.loader = self._open_loader()

    @staticmethod
    def _open_loader():
        params = {**connection.get_connection_params(), "local_infile": True}
        driver = connection.Database  # type: ignore[attr-defined]  # the MySQL backend's driver module
        try:
            loader = driver.connect(**params)
            with loader.cursor() as cursor:
                cursor.execute("SELECT @@local_infile")
                if not cursor.fetchone()[0]:
                    loader.close()
                    return None
        except driver.Error:
            return None
        loader.autocommit(False)
        return loader

    @contextmanager
    def batch(self) -> Iterator[SinkBatch]:
        if self.loader is None:
            with transaction.atomic(), connection.cursor() as cursor:
                yield SinkBatch(cursor, None)
            return
        cursor = self.loader.cursor()
        try:
            with tempfile.TemporaryDirectory(prefix="seed-scale-") as folder:
                yield SinkBatch(cursor, folder)
            self.loader.commit()
        except BaseException:
            self.loader.rollback()
            raise
        finally:
            cursor.close()

    def close(self) -> None:
        if self.loader is not None:
            self.loader.close()
            self.loader = None


class SinkBatch:
    def __init__(self, cursor, folder: str | None) -> None:
        self.cursor = cursor
        self.folder = folder

    def next_pk(self, model: type[models.Model]) -> int:
        """One more than the table's highest primary key, read in this batch's transaction."""
        quote = connection.ops.quote_name
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        self.cursor.execute(f"SELECT MAX({pk}) FROM {table}")  # noqa: S608 - names from model metadata
        return (self.cursor.fetchone()[0] or 0) + 1

    def write(self, writer: RowWriter, rows: list[tuple]) -> None:
        if self.folder is None:
            writer.insert(self.cursor, rows)
        else:
            writer.load(self.cursor, rows, self.folder)


def next_pk(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


@dataclass
class Batch:
    """Rows built for one transaction."""

    appointments: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    prescriptions: list[tuple] = field(default_factory=list)
    medications: list[tuple] = field(default_factory=list)
    notifications: list[tuple] = field(default_factory=list)


@dataclass(frozen=True)
class DoctorColumn:
    """One doctor's share of the appointments, and what their rows repeat."""

    doctor_id: int
    fee: Any
    online_share: float
    past: int
    future: int


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
        specs = []
        for n in range(existing, existing + count):
            specs.append(
                {
                    "title": f"Dr {self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)} {n + 1}",
                    "slug": f"scale-doctor-{n + 1}",
                    "job_title": "Consultant",
                    "languages": self.rng.choice(("English", "English, French", "English, Urdu", "English, Polish")),
                    "consultation_fee": Decimal(self.rng.choice((60, 80, 100, 120, 150))),
                    "slot_minutes": SLOT_MINUTES,
                    "offers_online": self.rng.random() < 0.4,
                }
            )
        doctors: list[DoctorPage] = []
        for first in range(0, len(specs), BATCH):
            doctors += self._bulk_doctor_pages(index, specs[first : first + BATCH])
            self.write(f"  {len(doctors):,}/{count:,} doctor pages")
        WorkingHours.objects.bulk_create(
            [
                WorkingHours(doctor=page, weekday=weekday, starts=start, ends=end, sort_order=i)
                for page in doctors
                for weekday in range(5)
                for i, (start, end) in enumerate(SESSIONS)
            ],
            batch_size=5000,
        )
        today = timezone.localdate(timezone=clinic_zone())
        TimeOff.objects.bulk_create(
            [
                TimeOff(doctor=page, start_date=today + timedelta(days=offset), end_date=today + timedelta(days=offset))
                for page in doctors
                if (offset := self.rng.randint(3, 60)) and self.rng.random() < 0.3
            ],
            batch_size=5000,
        )
        if specializations:
            DoctorSpecialization.objects.bulk_create(
                [
                    DoctorSpecialization(doctor=page, specialization=self.rng.choice(specializations), sort_order=0)
                    for page in doctors
                ],
                batch_size=5000,
            )
        self.report.doctors += len(doctors)
        return doctors

    def _bulk_doctor_pages(self, index: DoctorIndexPage, specs: list[dict]) -> list[DoctorPage]:
        """Live doctor pages as rows: the tree's base rows, then the doctor rows that extend them.

        What ``add_child`` would write for a page created in code (no revision, as the demo's
        pages), minus the per-page work: a log entry, and search and reference index tasks. The
        doctors index searches titles in the database, so nothing there needs the search index.
        """
        with transaction.atomic():
            index = DoctorIndexPage.objects.select_for_update().get(pk=index.pk)
            last = index.get_last_child()
            step = Page._str2int(last.path[-Page.steplen :]) + 1 if last else 1
            pk = next_pk(Page)
            content_type = ContentType.objects.get_for_model(DoctorPage)
            now = timezone.now()
            pages = [
                Page(
                    id=pk + i,
                    path=Page._get_path(index.path, index.depth + 1, step + i),
                    depth=index.depth + 1,
                    numchild=0,
                    title=spec["title"],
                    draft_title=spec["title"],
                    slug=spec["slug"],
                    live=True,
                    has_unpublished_changes=False,
                    url_path=f"{index.url_path}{spec['slug']}/",
                    content_type=content_type,
                    locale_id=index.locale_id,
                    first_published_at=now,
                    last_published_at=now,
                )
                for i, spec in enumerate(specs)
            ]
            Page.objects.bulk_create(pages)
            model_fields = {f.attname: f for f in DoctorPage._meta.local_concrete_fields}
            with connection.cursor() as cursor:
                RowWriter(DoctorPage, ["page_ptr_id", *DOCTOR_FIELDS]).insert(
                    cursor,
                    (
                        (
                            page.pk,
                            *(model_fields[name].get_db_prep_save(spec[name], connection) for name in DOCTOR_FIELDS),
                        )
                        for page, spec in zip(pages, specs, strict=True)
                    ),
                )
            Page.objects.filter(pk=index.pk).update(numchild=F("numchild") + len(pages))
        return list(DoctorPage.objects.filter(pk__in=[page.pk for page in pages]).order_by("pk"))

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
        User.objects.bulk_create(users, batch_size=5000)
        return list(User.objects.filter(email__endswith="@scale.example").order_by("pk").values_list("pk", flat=True))

    # --- Appointments -----------------------------------------------------------------------

    def seed_appointments(self, doctors: list[DoctorPage], total: int, patient_ids: list[int]) -> None:
        """Spread ``total`` appointments over ``doctors``, with events, prescriptions and emails."""
        if not doctors or total <= 0:
            return
        now = timezone.now()
        self.plan = SlotPlan(now)
        self.adapt = connection.ops.adapt_datetimefield_value
        self.hold_until = self.adapt(now + timedelta(minutes=HOLD_MINUTES))
        self.now_db = self.adapt(now)
        self.patient_ids = patient_ids
        self.past_deck = Deck(self.rng, PAST_MIX)
        self.future_deck = Deck(self.rng, FUTURE_MIX)
        self.writers = {
            "appointments": RowWriter(
                Appointment,
                [
                    "id",
                    "reference",
                    "doctor_id",
                    "patient_id",
                    "full_name",
                    "email",
                    "mobile",
                    "mode",
                    "starts_at",
                    "ends_at",
                    "status",
                    "holds_slot",
                    "hold_expires_at",
                    "fee",
                    "created_at",
                    "updated_at",
                ],
            ),
            "events": RowWriter(
                AppointmentEvent, ["appointment_id", "actor_role", "from_status", "to_status", "created_at"]
            ),
            "prescriptions": RowWriter(
                Prescription, ["id", "appointment_id", "advice", "signed_at", "created_at", "updated_at"]
            ),
            "medications": RowWriter(MedicationLine, ["prescription_id", "drug", "dose", "frequency", "duration"]),
            "notifications": RowWriter(
                Notification,
                ["appointment_id", "kind", "to", "subject", "body_text", "status", "attempts", "sent_at", "created_at"],
            ),
        }
        self.started = clock.monotonic()
        self.total = total
        fee_field = DoctorPage._meta.get_field("consultation_fee")
        plan = self.plan
        per_doctor, remainder = divmod(total, len(doctors))
        # Each doctor: about a tenth ahead (within the booking horizon), the rest behind today.
        columns = []
        for i, doctor in enumerate(doctors):
            count = per_doctor + (1 if i < remainder else 0)
            future = min(count // 10, len(plan.future))
            columns.append(
                DoctorColumn(
                    doctor_id=doctor.pk,
                    fee=fee_field.get_db_prep_save(doctor.consultation_fee, connection),
                    online_share=0.3 if doctor.offers_online else 0.0,
                    past=count - future,
                    future=future,
                )
            )
        self.sink = Sink()
        try:
            self._write_in_time_order(columns)
        finally:
            self.sink.close()

    def _write_in_time_order(self, columns: list[DoctorColumn]) -> None:
        """Rows in time order across doctors, oldest first: every index then grows at its end or at
        a few hot spots instead of at random places, which kept MariaDB's buffer pool (128 MB
        here) reading and writing pages back and forth."""
        plan = self.plan
        most_past = max(column.past for column in columns)
        past = plan.past_slots(most_past)
        work: list[tuple[SlotRow, bool, list[DoctorColumn]]] = []
        queued = 0
        for position in range(most_past - 1, -1, -1):
            work.append((past[position], False, [c for c in columns if c.past > position]))
            queued += len(work[-1][2])
            if queued >= BATCH:
                self._write_batch(work)
                work, queued = [], 0
        for position in range(max(column.future for column in columns)):
            work.append((plan.future[position], True, [c for c in columns if c.future > position]))
            queued += len(work[-1][2])
            if queued >= BATCH:
                self._write_batch(work)
                work, queued = [], 0
        self._write_batch(work)

    def _write_batch(self, work: list[tuple[SlotRow, bool, list[DoctorColumn]]]) -> None:
        if not work:
            return
        with self.sink.batch() as sink:
            appointment_pk = sink.next_pk(Appointment)
            prescription_pk = sink.next_pk(Prescription)
            batch = Batch()
            for slot, upcoming, columns in work:
                appointment_pk, prescription_pk = self._rows_for(
                    batch, slot, upcoming, columns, appointment_pk, prescription_pk
                )
            writers = self.writers
            sink.write(writers["appointments"], batch.appointments)
            sink.write(writers["events"], batch.events)
            sink.write(writers["prescriptions"], batch.prescriptions)
            sink.write(writers["medications"], batch.medications)
            sink.write(writers["notifications"], batch.notifications)
        self.report.appointments += len(batch.appointments)
        self.report.prescriptions += len(batch.prescriptions)
        self.report.notifications += len(batch.notifications)
        elapsed = clock.monotonic() - self.started
        done = self.report.appointments
        self.write(f"  {done:,}/{self.total:,} appointments ({elapsed:.0f} s, {done / max(elapsed, 1e-6):,.0f}/s)")

    def _rows_for(
        self,
        batch: Batch,
        slot: SlotRow,
        upcoming: bool,
        columns: list[DoctorColumn],
        pk: int,
        prescription_pk: int,
    ) -> tuple[int, int]:
        """One slot's rows: an appointment (with its event, maybe a prescription and an email)
        for each doctor in ``columns``, primary keys from ``pk`` on."""
        rnd = self.rng.random
        patients = self.patient_ids
        n_patients = len(patients)
        hold_until, now_db = self.hold_until, self.now_db
        appointments, events = batch.appointments, batch.events
        active, holds = Appointment.ACTIVE_STATUSES, Appointment.HOLD_STATUSES
        deck = self.future_deck if upcoming else self.past_deck
        for column in columns:
            status = deck.draw()
            first = FIRST_NAMES[int(rnd() * len(FIRST_NAMES))]
            last = LAST_NAMES[int(rnd() * len(LAST_NAMES))]
            patient_id = patients[int(rnd() * n_patients)] if n_patients and rnd() < 0.5 else None
            # Email and mobile grow with the primary key (unique, and appended to their indexes).
            email = f"{first}.{last}.{pk}@example.org".lower()
            if status in holds:
                hold_expires = hold_until
            elif status == Status.EXPIRED:
                hold_expires = slot.hold_lapsed_at
            else:
                hold_expires = None
            reference = scale_reference(pk, rnd)
            appointments.append(
                (
                    pk,
                    reference,
                    column.doctor_id,
                    patient_id,
                    f"{first} {last}",
                    email,
                    f"+447{700_000_000 + pk:09d}",
                    "online" if rnd() < column.online_share else "in_person",
                    slot.starts_at,
                    slot.ends_at,
                    status,
                    True if status in active else None,
                    hold_expires,
                    column.fee,
                    slot.booked_at,
                    now_db,
                )
            )
            events.append((pk, "patient" if patient_id else "guest", "", status, slot.booked_at))
            if status == Status.COMPLETED and rnd() < 0.3:
                batch.prescriptions.append(
                    (prescription_pk, pk, "Rest and plenty of fluids.", slot.ends_at, slot.ends_at, slot.ends_at)
                )
                batch.medications.append((prescription_pk, "Paracetamol", "500 mg", "4 times a day", "3 days"))
                prescription_pk += 1
            if rnd() < 0.2:
                batch.notifications.append(
                    (
                        pk,
                        Notification.Kind.RECEIVED.value,
                        email,
                        f"We have received your appointment request ({reference})",
                        "(bulk data)",
                        Notification.Status.SENT.value,
                        1,
                        slot.booked_at,
                        slot.booked_at,
                    )
                )
            pk += 1
        return pk, prescription_pk

"""The booking side of the demo clinic: demo accounts, doctors' weekly hours and time off.

``manage.py seed_demo`` builds the pages with ``home.demo.pages`` and calls in here for what
``home`` may not know about: WorkingHours and TimeOff are booking models (with a ParentalKey to
``home.DoctorPage``), and the demo accounts matter because doctors' accounts own their pages and
see their appointments. This module sits in ``booking`` so that the import direction stays
portal ← home ← booking; the words and numbers it uses come from ``home.demo.content``.

Idempotent like the page side: accounts are looked up by email and created only when missing
(passwords are set on creation and never reset), and hours and time off are only ever added to a
doctor page that is being created, never to one that exists.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from allauth.account.models import EmailAddress
from django.utils import timezone

from booking.models import ClinicClosure, TimeOff, WorkingHours, clinic_zone
from home.demo.content import ACCOUNTS, CLOSED_DAYS, HOURS_PATTERNS, TIME_OFF
from home.demo.pages import SeedOutput, publish
from home.models import DoctorPage
from portal.models import User
from portal.phones import normalize_phone
from portal.roles import sync_role_groups


class BookingSeeder:
    """The booking-side seeding steps; ``seed_accounts`` must run before any doctor page is created."""

    def __init__(self, out: SeedOutput) -> None:
        self.out = out
        self.accounts: dict[str, User] = {}

    # --- Accounts ---------------------------------------------------------------------------

    def seed_accounts(self) -> None:
        """One account per role. Passwords are set only on creation, never reset."""
        created = 0
        for account in ACCOUNTS:
            user = User.objects.filter(email=account["email"]).first()
            if user is None:
                user = create_account(account)
                created += 1
            # Mandatory email verification: without a verified address the demo logins would stall.
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
            self.accounts[account["email"]] = user
        self.out.report("demo accounts", created, len(ACCOUNTS) - created)

    # --- Doctors ----------------------------------------------------------------------------

    def prepare_doctor(self, page: DoctorPage, doctor: dict) -> None:
        """Give a new, unsaved doctor page its account, weekly hours and time off.

        Passed to ``PageSeeder.seed_doctors`` as its ``prepare`` callback, so that all of this is
        part of the page's first published revision.
        """
        page.user = self.unlinked_account_for(doctor["slug"])
        for order, hours in enumerate(working_hours(doctor["hours"])):
            hours.sort_order = order
            page.working_hours.add(hours)
        for order, time_off in enumerate(time_off_for(doctor["slug"])):
            time_off.sort_order = order
            page.time_off.add(time_off)

    def unlinked_account_for(self, doctor_slug: str) -> User | None:
        """The demo doctor account meant for this page, unless it already has a page of its own."""
        for account in ACCOUNTS:
            if account.get("doctor") == doctor_slug:
                user = self.accounts[account["email"]]
                if user.role == User.Role.DOCTOR and not DoctorPage.objects.filter(user=user).exists():
                    return user
        return None

    def link_doctor_accounts(self, doctors: dict[str, DoctorPage]) -> None:
        """Link demo doctor accounts to existing pages that have no account yet (new pages got theirs)."""
        linked = 0
        for slug, page in doctors.items():
            user = self.unlinked_account_for(slug)
            if user is not None and page.user_id is None:
                page.user = user
                publish(page)
                linked += 1
        if linked:
            self.out.created(f"Linked {linked} doctor accounts to their pages")
        else:
            self.out.write("Doctor accounts already linked")

    # --- Closures ---------------------------------------------------------------------------

    def seed_closures(self) -> None:
        """The bank holidays in ``CLOSED_DAYS`` for this year and the next, each created once."""
        this_year = timezone.localdate(timezone=clinic_zone()).year
        created = existing = 0
        for year in (this_year, this_year + 1):
            for month, day, reason in CLOSED_DAYS:
                on = date(year, month, day)
                _closure, new = ClinicClosure.objects.get_or_create(
                    start_date=on, end_date=on, defaults={"reason": reason}
                )
                created += new
                existing += not new
        self.out.report("clinic closures", created, existing)


def create_account(account: dict) -> User:
    """A demo user in its role's group (the admin is a superuser); ``seed_accounts`` verifies the email."""
    fields = {
        "role": account["role"],
        "first_name": account["first_name"],
        "last_name": account["last_name"],
        "mobile": normalize_phone(account["mobile"]) if account.get("mobile") else "",
    }
    if account.get("superuser"):
        user = User.objects.create_superuser(account["email"], account["password"], **fields)
    else:
        is_staff = account["role"] == User.Role.STAFF
        user = User.objects.create_user(account["email"], account["password"], is_staff=is_staff, **fields)
    sync_role_groups(user)
    return user


def working_hours(pattern: str) -> list[WorkingHours]:
    """Unsaved WorkingHours rows for one of ``HOURS_PATTERNS``."""
    return [
        WorkingHours(weekday=weekday, starts=_time(starts), ends=_time(ends))
        for weekdays, intervals in HOURS_PATTERNS[pattern]
        for weekday in weekdays
        for starts, ends in intervals
    ]


def time_off_for(doctor_slug: str) -> list[TimeOff]:
    """Unsaved TimeOff rows placed relative to today, so the demo always has upcoming leave."""
    today = timezone.localdate(timezone=clinic_zone())
    return [
        TimeOff(
            start_date=today + timedelta(days=first),
            end_date=today + timedelta(days=last),
            start_time=_time(starts),
            end_time=_time(ends),
            reason=reason,
        )
        for first, last, starts, ends, reason in TIME_OFF.get(doctor_slug, ())
    ]


def _time(value: str | None) -> time | None:
    return time.fromisoformat(value) if value else None

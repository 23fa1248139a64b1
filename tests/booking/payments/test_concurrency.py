"""Payments under real concurrency (MariaDB row locks, 16 threads, each with its own connection).

* 16 patients pay-and-book the same slot at once: one hold, one payment, one PaymentIntent.
* 16 tabs of the one winner open the pay page at once: one payment record and one live intent
  (localstripe ignores idempotency keys, so any extra intent it makes must be cancelled by us).
* 16 deliveries of one success event arrive at once: applied once (one transition, one receipt).
* 4 reconcile runs at once: the missed success is applied once.

The figures are printed (run with ``-s`` to see them) for the notes that go with the change.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import close_old_connections, connection
from django.test import Client

from booking.models import Appointment, Notification
from booking.payments.models import Payment, StripeEvent
from booking.payments.services import reconcile_payments
from tests import payments_server

from .conftest import WEBHOOK_URL, booking_data, event_for

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

THREADS = 16
Status = Appointment.Status


def needs_mariadb() -> None:
    if connection.vendor != "mysql":
        pytest.skip("needs MariaDB/MySQL: SQLite's test database is in memory and has no row locks")


def run_at_once(n: int, attempt: Callable[[int], object]) -> tuple[list, list, float]:
    """Run ``attempt(i)`` in ``n`` threads released together; (results, crashes, seconds)."""
    barrier = threading.Barrier(n)
    results: list = []
    crashed: list = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        close_old_connections()
        try:
            barrier.wait(timeout=30)
            outcome = attempt(i)
            with lock:
                results.append(outcome)
        except Exception as exc:  # noqa: BLE001 - collected and asserted empty
            with lock:
                crashed.append(repr(exc))
        finally:
            connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return results, crashed, time.monotonic() - started


def test_sixteen_pay_and_book_attempts_on_one_slot(doctor, free_slot, stripe_on):
    needs_mariadb()
    slot = free_slot(doctor)
    clients = [Client() for _ in range(THREADS)]
    book_url = f"{doctor.url}book/"

    def attempt(i: int):
        response = clients[i].post(book_url, booking_data(slot, email=f"p{i}@example.com"))
        if response.status_code != 302:
            return ("refused", response.status_code, None)
        page = clients[i].get(response["Location"])
        return ("held", page.status_code, page.context["client_secret"])

    results, crashed, seconds = run_at_once(THREADS, attempt)
    outcomes = Counter((kind, status) for kind, status, _ in results)
    print(f"\npay-and-book: {THREADS} attempts in {seconds:.2f}s → {dict(outcomes)}")
    assert crashed == []
    assert outcomes == Counter({("held", 200): 1, ("refused", 409): THREADS - 1})
    holds = Appointment.objects.filter(doctor=doctor, starts_at=slot.start, holds_slot=True)
    assert holds.count() == 1 and holds.get().status == Status.PENDING_PAYMENT
    winner = holds.get()
    assert Payment.objects.count() == 1
    intents = stripe_on.intents_for(winner.reference)
    print(f"pay-and-book: holds=1 payments={Payment.objects.count()} intents={len(intents)}")
    assert len(intents) == 1 and intents[0]["amount"] == 6000


def test_sixteen_tabs_open_the_pay_page_at_once(doctor, free_slot, stripe_on):
    needs_mariadb()
    owner = Client()
    response = owner.post(f"{doctor.url}book/", booking_data(free_slot(doctor)))
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    session = owner.cookies[settings.SESSION_COOKIE_NAME].value
    tabs = []
    for _ in range(THREADS):
        tab = Client()
        tab.cookies[settings.SESSION_COOKIE_NAME] = session
        tabs.append(tab)

    def attempt(i: int):
        page = tabs[i].get(response["Location"])
        return page.status_code, page.context["client_secret"] if page.status_code == 200 else ""

    results, crashed, seconds = run_at_once(THREADS, attempt)
    assert crashed == []
    secrets = {secret for status, secret in results if status == 200}
    intents = stripe_on.intents_for(appointment.reference)
    live = [i for i in intents if i["status"] != "canceled"]
    print(
        f"\npay page x{THREADS}: {seconds:.2f}s, statuses {Counter(s for s, _ in results)}, "
        f"intents created {len(intents)}, live {len(live)}, secrets shown {len(secrets)}"
    )
    payment = Payment.objects.get()
    assert len(live) == 1 and live[0]["id"] == payment.intent_id
    assert all(status == 200 for status, _ in results)
    assert all(secret.startswith(payment.intent_id) for secret in secrets)


def test_sixteen_deliveries_of_one_success_apply_it_once(client, doctor, free_slot, stripe_on):
    needs_mariadb()
    response = client.post(f"{doctor.url}book/", booking_data(free_slot(doctor)))
    page = client.get(response["Location"])
    stripe_on.confirm_card(page.context["client_secret"])
    payment = Payment.objects.get()
    body, header = payments_server.signed(event_for(stripe_on, "payment_intent.succeeded", payment.intent_id))
    senders = [Client() for _ in range(THREADS)]

    def attempt(i: int):
        answer = senders[i].post(WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
        return answer.status_code, answer.json()["outcome"]

    results, crashed, seconds = run_at_once(THREADS, attempt)
    outcomes = Counter(outcome for _, outcome in results)
    print(f"\nwebhook x{THREADS}: {seconds:.2f}s → {dict(outcomes)}")
    assert crashed == [] and all(status == 200 for status, _ in results)
    assert outcomes == Counter({"paid": 1, "duplicate delivery: already handled": THREADS - 1})
    appointment = Appointment.objects.get()
    assert appointment.status == Status.PENDING
    assert StripeEvent.objects.count() == 1
    assert appointment.events.filter(from_status=Status.PENDING_PAYMENT, to_status=Status.PENDING).count() == 1
    assert Notification.objects.filter(appointment=appointment, kind="receipt").count() == 1


def test_concurrent_reconcile_runs_apply_a_missed_success_once(client, doctor, free_slot, stripe_on):
    needs_mariadb()
    response = client.post(f"{doctor.url}book/", booking_data(free_slot(doctor)))
    page = client.get(response["Location"])
    stripe_on.confirm_card(page.context["client_secret"])

    results, crashed, seconds = run_at_once(4, lambda i: reconcile_payments().outcomes)
    print(f"\nreconcile x4: {seconds:.2f}s → {results}")
    assert crashed == []
    appointment = Appointment.objects.get()
    assert appointment.status == Status.PENDING
    assert appointment.events.filter(from_status=Status.PENDING_PAYMENT, to_status=Status.PENDING).count() == 1
    assert Notification.objects.filter(appointment=appointment, kind="receipt").count() == 1

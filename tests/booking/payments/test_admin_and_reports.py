"""Staff side: desk payments and refunds on the Manage page, the records in the admin, money in the report."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from booking.appointments.services import PatientDetails, book_appointment
from booking.models import Appointment
from booking.payments.models import Payment
from booking.payments.services import record_desk_payment, staff_refund
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

Status = Appointment.Status


@pytest.fixture
def admin_client(staff_user) -> Client:
    client = Client()
    client.login(email=staff_user.email, password=PASSWORD)
    return client


def booked(doctor, slot, email="desk@example.com") -> Appointment:
    return book_appointment(
        doctor_id=doctor.pk,
        starts_at=slot.start,
        details=PatientDetails(full_name="Desk Patient", email=email, mobile="+447912345678"),
    )


def test_staff_record_a_desk_payment_on_the_manage_page(admin_client, doctor, free_slot, committed, mailoutbox):
    appointment = booked(doctor, free_slot(doctor))
    url = reverse("booking_admin_manage", args=[appointment.reference])
    page = admin_client.get(url)
    assert "Record a payment taken at the desk" in page.content.decode()
    token = str(page.context["desk_form"]["token"].value())
    with committed():
        response = admin_client.post(url, {"action": "desk_payment", "amount": "60", "note": "cash", "token": token})
        admin_client.post(url, {"action": "desk_payment", "amount": "60", "note": "cash", "token": token})
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.method, payment.amount, payment.status) == (Payment.Method.DESK, 6000, Payment.Status.SUCCEEDED)
    page = admin_client.get(url).content.decode()
    assert "Payment of £60.00 taken at the desk." in page  # on the timeline
    assert "At the clinic desk" in page
    assert mailoutbox[-1].subject.startswith("Payment received")
    bad = admin_client.post(url, {"action": "desk_payment", "amount": "-5", "token": token})
    assert bad.status_code == 400 and Payment.objects.count() == 1


def test_only_staff_with_the_permission_see_or_make_payments(client, patient, doctor, free_slot):
    appointment = booked(doctor, free_slot(doctor))
    client.login(email=patient.email, password=PASSWORD)
    url = reverse("booking_admin_manage", args=[appointment.reference])
    response = client.post(
        url, {"action": "desk_payment", "amount": "60", "token": "4a0c7a4e-0000-4000-8000-000000000000"}
    )
    assert response.status_code in (302, 403)
    assert not Payment.objects.exists()


def test_payment_and_refund_records_in_the_admin(admin_client, doctor, other_doctor, free_slot, staff_user, committed):
    first = booked(doctor, free_slot(doctor), email="first@example.com")
    second = booked(other_doctor, free_slot(other_doctor), email="second@example.com")
    with committed():
        paid = record_desk_payment(first, 6000, user=staff_user, key="a")
        record_desk_payment(second, 4000, user=staff_user, key="b")
        staff_refund(paid, 1000, user=staff_user, reason="Overcharged", key="r")
    Payment.objects.filter(pk=paid.pk).update(intent_id="pi_findme123")

    index = reverse("payments_payment_modeladmin_index")
    listing = admin_client.get(index)
    assert listing.status_code == 200
    for query, expected, absent in (
        (first.reference, first.reference, second.reference),
        ("pi_findme123", first.reference, second.reference),
        ("second@example.com", second.reference, first.reference),
    ):
        page = admin_client.get(index, {"q": query}).content.decode()
        assert expected in page and absent not in page, query
    assert first.reference in admin_client.get(index, {"status__exact": "succeeded"}).content.decode()
    assert first.reference not in admin_client.get(index, {"status__exact": "pending"}).content.decode()
    dated = admin_client.get(
        index, {"created_at__gte": "2000-01-01 00:00:00+00:00", "created_at__lt": "2999-01-01 00:00:00+00:00"}
    )
    assert first.reference in dated.content.decode()
    # Records are read-only: no add or edit views.
    assert admin_client.get(reverse("payments_payment_modeladmin_create")).status_code in (302, 403)
    refunds = admin_client.get(reverse("payments_refund_modeladmin_index"), {"q": first.reference}).content.decode()
    assert "£10.00" in refunds and "Refunded by staff" in refunds


def test_the_report_and_its_csv_have_paid_refunded_and_net(
    admin_client, doctor, other_doctor, free_slot, staff_user, committed
):
    one = booked(doctor, free_slot(doctor, 0), email="a@example.com")
    two = booked(doctor, free_slot(doctor, 1), email="b@example.com")
    three = booked(other_doctor, free_slot(other_doctor, 0), email="c@example.com")
    with committed():
        p1 = record_desk_payment(one, 6000, user=staff_user, key="1")
        record_desk_payment(two, 6000, user=staff_user, key="2")
        record_desk_payment(three, 4550, user=staff_user, key="3")
        staff_refund(p1, 2500, user=staff_user, reason="Partly", key="r1")
    dates = sorted(a.local_starts_at.date() for a in (one, two, three))
    query = {"from": dates[0].isoformat(), "to": dates[-1].isoformat()}

    page = admin_client.get(reverse("booking_admin_report"), query)
    content = page.content.decode()
    assert page.status_code == 200
    money = page.context["money"]
    assert (money[doctor.pk].paid, money[doctor.pk].refunded, money[doctor.pk].net) == (12000, 2500, 9500)
    assert (money[other_doctor.pk].paid, money[other_doctor.pk].net) == (4550, 4550)
    for text in ("Paid", "Refunded", "Net", "£120.00", "£25.00", "£95.00", "£45.50", "£165.50", "£140.50"):
        assert text in content, text

    response = admin_client.get(reverse("booking_admin_report"), {**query, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_ref = {row["reference"]: row for row in rows}
    assert (by_ref[one.reference]["paid"], by_ref[one.reference]["refunded"], by_ref[one.reference]["net"]) == (
        "60.00",
        "25.00",
        "35.00",
    )
    assert by_ref[three.reference]["net"] == "45.50"

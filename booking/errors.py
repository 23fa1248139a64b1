"""Every refusal the booking rules can give, in one place.

A :class:`BookingError` carries a ``message`` safe to show to the person who asked; the subclass
says what kind of refusal it is (a taken slot, a refused transition…). Views turn them into form
errors, messages or status codes; nothing here knows about HTTP.
"""

from __future__ import annotations


class BookingError(Exception):
    """A booking or change was refused; ``message`` is safe to show to the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class DoctorUnavailable(BookingError):
    pass


class SlotUnavailable(BookingError):
    pass


class SlotTaken(SlotUnavailable):
    pass


class TransitionRefused(BookingError):
    pass


class ClaimRefused(BookingError):
    """A guest booking could not join this account (not offered to it, or already in one)."""


class PrescriptionError(BookingError):
    """A prescription change was refused; ``message`` is safe to show to the doctor."""


class NotPrescribingDoctor(PrescriptionError):
    pass


class NotPrescribable(PrescriptionError):
    pass


class NothingToSign(PrescriptionError):
    pass


class AlreadySigned(PrescriptionError):
    pass


class InvalidPrescription(PrescriptionError):
    pass


class AttachmentRejected(PrescriptionError):
    pass


# Someone else booked the time between the picker being shown and the booking: pick another.
SLOT_TAKEN_MESSAGE = "That time was just taken — please pick another."
# The time was never bookable: the picker only offers free slots, so this is a stale or hand-made time.
SLOT_UNAVAILABLE_MESSAGE = (
    "That time is not available: it is outside the doctor's hours, on a day the clinic is closed, or too soon."
)

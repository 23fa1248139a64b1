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


class AlreadyConfirmed(TransitionRefused):
    """A guest's confirmation link was used again: the booking went to the clinic already."""


class ConfirmationLapsed(TransitionRefused):
    """A guest's booking was not confirmed from the email in time, or is no longer active."""


class TooManyAttempts(BookingError):
    """A rate limit or a cap on unconfirmed bookings refused the request (the page answers 429).

    ``retry_after`` is how many seconds to wait, for the ``Retry-After`` header.
    """

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class ProofOfWorkRefused(BookingError):
    """The form's proof-of-work answer is missing, wrong, expired or was used before."""


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


class UploadRejected(BookingError):
    """An uploaded file is empty, too large, or not what its content should be (``booking.uploads``)."""


class ApplicationError(BookingError):
    """A doctor's application or its review was refused. ``field`` names the form field it concerns, if any."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class PaymentError(BookingError):
    """A payment or refund was refused or could not be made; ``message`` is safe to show."""


class PaymentUnavailable(PaymentError):
    """The payment service could not be reached (or answered with an error of its own)."""


class PaymentRefused(PaymentError):
    """The payment service, or our own rules, refused this payment step.

    ``code`` is Stripe's error code when Stripe refused (``card_declined``, ``invalid_request``…).
    """

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.code = code


class RefundRefused(PaymentError):
    """A refund that would break the rules (more than was paid, nothing paid, bad amount)."""


# Someone else booked the time between the picker being shown and the booking: pick another.
SLOT_TAKEN_MESSAGE = "That time was just taken — please pick another."
# The time was never bookable: the picker only offers free slots, so this is a stale or hand-made time.
SLOT_UNAVAILABLE_MESSAGE = (
    "That time is not available: it is outside the doctor's hours, on a day the clinic is closed, or too soon."
)

"""Email identity: one normal form for every stored and compared address, compared exactly.

An email address decides who may see a booking (guest lookups, signed links, bookings joining
an account), so "the same address" must mean the same thing everywhere:

* **One normal form** (:func:`normalize_email`): surrounding spaces stripped, the whole address
  lower-cased as django-allauth does (allauth 65 stores and compares ``EmailAddress.email`` and
  the user's email after ``str.lower()``; Django's validator allows only ASCII local parts, so
  ``lower()`` and ``casefold()`` agree), and the domain converted to its IDNA A-label (punycode,
  UTS #46 non-transitional, as browsers and registries do today). ``vera@Exámple.org`` becomes
  ``vera@xn--exmple-qta.org``: the form mail is delivered to, and pure ASCII.
* **Exact comparison on every database** (:class:`ExactEmailField`): MySQL/MariaDB's default
  collations fold accents and case, so ``vera@exámple.org = vera@example.org`` is true there
  while SQLite says false. The probe signed up with a look-alike domain it controlled and
  claimed the real guest's bookings that way. The column uses the binary ``utf8mb4_bin``
  collation on MySQL/MariaDB (and stays as it is on SQLite, which already compares bytes), and
  the field normalises every value it writes or looks up, so a forgotten ``.lower()`` at a call
  site cannot reopen the hole.

Why a binary collation rather than a second "email key" column: the normal form already *is*
the key (ASCII, lower case), so a second column would hold the same string twice and every
write path would have to keep the two in step. The collation is chosen per database in
:meth:`ExactEmailField.db_parameters` because Django's ``db_collation`` names one collation for
all backends and ``utf8mb4_bin`` does not exist on SQLite.
"""

from __future__ import annotations

import idna
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import lookups

# Shown wherever a typed address is refused; says what to fix without echoing odd input.
INVALID_EMAIL_MESSAGE = "Enter a valid email address, like name@example.com."

# MySQL/MariaDB collation for email columns: compares code points, so accents and case count.
MYSQL_EMAIL_COLLATION = "utf8mb4_bin"


class InvalidEmail(ValueError):
    """The value is not an email address this site can store and write to."""


def normalize_email(value: str) -> str:
    """Return the one stored form of ``value``, or raise :class:`InvalidEmail`.

    Lower-cases the whole address (allauth's rule), converts an internationalised domain to its
    A-label and validates the result with Django's email validator. IP-literal domains
    (``name@[192.0.2.1]``) are refused: the clinic writes to people, not to hosts.
    """
    if not isinstance(value, str):
        raise InvalidEmail(INVALID_EMAIL_MESSAGE)
    local, at, domain = value.strip().rpartition("@")
    if not at or not local or not domain or domain.startswith("["):
        raise InvalidEmail(INVALID_EMAIL_MESSAGE)
    if domain.isascii():
        # Already the A-label form (or plain ASCII): IDNA 2008 would refuse some registered
        # ASCII names (e.g. "ab--cd.example"), which mail servers accept, so only lower-case.
        ascii_domain = domain.lower()
    else:
        try:
            ascii_domain = idna.encode(domain, uts46=True, transitional=False).decode("ascii").lower()
        except (idna.IDNAError, UnicodeError):
            raise InvalidEmail(INVALID_EMAIL_MESSAGE) from None
    address = f"{local.lower()}@{ascii_domain}"
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidEmail(INVALID_EMAIL_MESSAGE) from None
    if len(address) > 254:  # RFC 5321's limit, and every email column's max_length
        raise InvalidEmail(INVALID_EMAIL_MESSAGE)
    return address


def comparable_email(value):
    """``value`` in the stored form if it is a valid address, else stripped and lower-cased.

    For lookups and for columns that must never refuse a write: an invalid value can never equal
    a stored (valid, normalised) address, so comparing it as typed is safe and raises nothing.
    Non-strings (``None``, expressions) pass through.
    """
    if not isinstance(value, str):
        return value
    try:
        return normalize_email(value)
    except InvalidEmail:
        return value.strip().lower()


class EmailFormField(forms.EmailField):
    """A form's email field that hands the view the stored form (see :func:`normalize_email`)."""

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return value
        try:
            return normalize_email(value)
        except InvalidEmail as exc:
            raise ValidationError(str(exc), code="invalid") from None


class ExactEmailField(models.EmailField):
    """An email column that stores the normal form and compares it exactly on every database.

    * Writes (``save``, ``bulk_create``, ``update``) and lookups go through
      :func:`comparable_email`, so ``filter(email="Vera@Example.ORG")`` finds the stored
      ``vera@example.org`` and an internationalised domain matches its A-label.
    * On MySQL/MariaDB the column's collation is ``utf8mb4_bin``: equality never folds accents,
      even for a value that somehow bypassed normalisation.
    * ``iexact`` means the same as exact (of the normal form); ``icontains``, ``istartswith`` and
      ``iendswith`` lower-case their needle. Stored addresses are lower case, so searches in the
      admin stay case-insensitive although the binary collation itself is case-sensitive.
    """

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "mysql":
            params["collation"] = MYSQL_EMAIL_COLLATION
        return params

    def get_prep_value(self, value):
        return comparable_email(super().get_prep_value(value))

    def pre_save(self, model_instance, add):
        # Also update the instance, so code reading it after save() sees what was stored.
        value = comparable_email(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def formfield(self, form_class=None, choices_form_class=None, **kwargs):
        return super().formfield(
            form_class=form_class or EmailFormField, choices_form_class=choices_form_class, **kwargs
        )


@ExactEmailField.register_lookup
class NormalisedIExact(lookups.Exact):
    """``email__iexact=x`` is ``email = normalize(x)``: on MySQL ``iexact`` would be a LIKE under
    the column's collation, and the normal form already settles case."""

    lookup_name = "iexact"


class _LowerCaseNeedle(lookups.Lookup):
    """Pattern lookups on stored (lower-case) addresses: lower-case the searched text."""

    def get_prep_lookup(self):
        rhs = super().get_prep_lookup()
        return rhs.lower() if isinstance(rhs, str) else rhs


@ExactEmailField.register_lookup
class EmailIContains(_LowerCaseNeedle, lookups.IContains):
    pass


@ExactEmailField.register_lookup
class EmailIStartsWith(_LowerCaseNeedle, lookups.IStartsWith):
    pass


@ExactEmailField.register_lookup
class EmailIEndsWith(_LowerCaseNeedle, lookups.IEndsWith):
    pass

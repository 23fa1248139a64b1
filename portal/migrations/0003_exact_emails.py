"""Email identity is exact: users' and allauth's addresses in one normal form, compared exactly.

* ``User.email`` becomes ``portal.emails.ExactEmailField``: on MySQL/MariaDB its column moves to
  the binary ``utf8mb4_bin`` collation (nothing changes on SQLite, which compares bytes).
* allauth's ``account_emailaddress.email`` gets the same collation on MySQL/MariaDB. It is
  allauth's table, so the change is made here, by hand, and pinned by a MariaDB test
  (tests/portal/test_email_collation.py): an allauth migration that redefines the column would
  reset it to the table's default collation, and that test would say so.
* Existing addresses are rewritten in the normal form (IDNA domains as A-labels). A row whose
  normal form would collide with another row is left as it is, for staff to resolve, rather than
  failing the deployment.
"""

from django.db import migrations

import portal.emails
from portal.emails import ExactEmailField, InvalidEmail, normalize_email


def _normal_or_none(value):
    try:
        normal = normalize_email(value)
    except InvalidEmail:
        return None
    return normal if normal != value else None


def normalise_user_emails(apps, schema_editor):
    User = apps.get_model("portal", "User")
    for pk, email in User.objects.values_list("pk", "email").iterator(chunk_size=2000):
        normal = _normal_or_none(email)
        if normal and not User.objects.filter(email=normal).exclude(pk=pk).exists():
            User.objects.filter(pk=pk).update(email=normal)


def normalise_allauth_emails(apps, schema_editor):
    EmailAddress = apps.get_model("account", "EmailAddress")
    rows = EmailAddress.objects.values_list("pk", "user_id", "email", "verified")
    for pk, user_id, email, verified in rows.iterator(chunk_size=2000):
        normal = _normal_or_none(email)
        if not normal:
            continue
        others = EmailAddress.objects.filter(email=normal).exclude(pk=pk)
        if others.filter(user_id=user_id).exists() or (verified and others.filter(verified=True).exists()):
            continue
        EmailAddress.objects.filter(pk=pk).update(email=normal)


def _emailaddress_fields(apps):
    EmailAddress = apps.get_model("account", "EmailAddress")
    plain = EmailAddress._meta.get_field("email")
    exact = ExactEmailField(max_length=plain.max_length, db_index=plain.db_index, verbose_name=plain.verbose_name)
    exact.set_attributes_from_name("email")
    exact.model = EmailAddress
    return EmailAddress, plain, exact


def emailaddress_binary_collation(apps, schema_editor):
    if schema_editor.connection.vendor != "mysql":
        return
    EmailAddress, plain, exact = _emailaddress_fields(apps)
    schema_editor.alter_field(EmailAddress, plain, exact)


def emailaddress_default_collation(apps, schema_editor):
    if schema_editor.connection.vendor != "mysql":
        return
    EmailAddress, plain, exact = _emailaddress_fields(apps)
    schema_editor.alter_field(EmailAddress, exact, plain)


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0002_alter_user_mobile"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="email",
            field=portal.emails.ExactEmailField(max_length=254, unique=True, verbose_name="email address"),
        ),
        migrations.RunPython(normalise_user_emails, migrations.RunPython.noop),
        # Not atomic: MySQL cannot run DDL inside a transaction (and never rolls it back anyway).
        migrations.RunPython(emailaddress_binary_collation, emailaddress_default_collation, atomic=False),
        migrations.RunPython(normalise_allauth_emails, migrations.RunPython.noop),
    ]

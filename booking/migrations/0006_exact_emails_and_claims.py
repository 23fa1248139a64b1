"""Appointment emails in the normal form of portal.emails, compared exactly; "not mine" answers.

* ``Appointment.email`` becomes ``portal.emails.ExactEmailField`` (binary ``utf8mb4_bin`` collation
  on MySQL/MariaDB, so ``vera@exámple.org`` never equals ``vera@example.org``), and existing
  addresses are rewritten in the normal form (IDNA domains as A-labels).
* ``DismissedClaim`` records a patient saying a guest booking made with their address is not
  theirs (guest bookings join an account only when the patient confirms them).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import portal.emails
from portal.emails import InvalidEmail, normalize_email


def normalise_appointment_emails(apps, schema_editor):
    Appointment = apps.get_model("booking", "Appointment")
    changed = []
    for pk, email in Appointment.objects.values_list("pk", "email").iterator(chunk_size=2000):
        try:
            normal = normalize_email(email)
        except InvalidEmail:
            continue
        if normal != email:
            changed.append(Appointment(pk=pk, email=normal))
    Appointment.objects.bulk_update(changed, ["email"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("booking", "0005_clinic_closures"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="appointment",
            name="email",
            field=portal.emails.ExactEmailField(max_length=254),
        ),
        migrations.RunPython(normalise_appointment_emails, migrations.RunPython.noop),
        migrations.CreateModel(
            name="DismissedClaim",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("dismissed_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "appointment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="dismissed_claims",
                        to="booking.appointment",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("user", "appointment"), name="one_dismissal_per_user")],
            },
        ),
    ]

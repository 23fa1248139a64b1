"""Doctors who join through the site, and emails about accounts.

* ``DoctorApplication`` / ``DoctorApplicationEvent``: a self-registered doctor's vetting data
  (registration number, private document) and status history (``booking.onboarding``).
* ``Notification.appointment`` becomes optional and ``Notification.kind`` gains the
  doctor-account emails (received, approved, sent back, suspended, reinstated, profile changes),
  which go through the same outbox.
"""

import booking.models.prescriptions
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('booking', '0006_exact_emails_and_claims'),
        ('home', '0002_alter_clinicsettings_phone_alter_doctorpage_phone'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='notification',
            name='appointment',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='booking.appointment'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('received', 'Booking received'), ('confirmed', 'Confirmed'), ('declined', 'Declined'), ('cancelled', 'Cancelled'), ('rescheduled', 'Rescheduled'), ('prescription', 'Prescription ready'), ('reminder', 'Reminder'), ('doctor_applied', 'Doctor application received'), ('doctor_approved', 'Doctor approved'), ('doctor_rejected', 'Doctor application sent back'), ('doctor_suspended', 'Doctor suspended'), ('reinstated', 'Doctor reinstated'), ('edits_published', 'Profile changes published'), ('edits_rejected', 'Profile changes sent back')], max_length=16),
        ),
        migrations.CreateModel(
            name='DoctorApplication',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('started', 'Profile not sent yet'), ('submitted', 'Waiting for review'), ('approved', 'Approved'), ('rejected', 'Changes requested'), ('suspended', 'Suspended')], db_index=True, default='started', max_length=16)),
                ('licence_number', models.CharField(blank=True, max_length=40, null=True, unique=True, verbose_name='registration / licence number')),
                ('document', models.FileField(blank=True, storage=booking.models.prescriptions.private_storage, upload_to='doctor-applications/%Y/%m/', verbose_name='supporting document')),
                ('document_name', models.CharField(blank=True, max_length=200)),
                ('document_content_type', models.CharField(blank=True, max_length=100)),
                ('document_size', models.PositiveIntegerField(default=0)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('submitted_at', models.DateTimeField(blank=True, null=True)),
                ('decided_at', models.DateTimeField(blank=True, help_text='The last approval, rejection or suspension.', null=True)),
                ('approved_at', models.DateTimeField(blank=True, null=True)),
                ('page', models.OneToOneField(blank=True, help_text="The doctor's profile page (a draft until the application is approved).", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='application', to='home.doctorpage')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='doctor_application', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'doctor application',
                'ordering': ['-submitted_at', '-created_at'],
            },
        ),
        migrations.CreateModel(
            name='DoctorApplicationEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_status', models.CharField(blank=True, choices=[('started', 'Profile not sent yet'), ('submitted', 'Waiting for review'), ('approved', 'Approved'), ('rejected', 'Changes requested'), ('suspended', 'Suspended')], max_length=16)),
                ('to_status', models.CharField(choices=[('started', 'Profile not sent yet'), ('submitted', 'Waiting for review'), ('approved', 'Approved'), ('rejected', 'Changes requested'), ('suspended', 'Suspended')], max_length=16)),
                ('comment', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('application', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='booking.doctorapplication')),
            ],
            options={
                'verbose_name': 'doctor application event',
                'ordering': ['created_at', 'pk'],
            },
        ),
    ]

"""Clinic setting: whether doctors' own profile changes wait for staff review."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('home', '0002_alter_clinicsettings_phone_alter_doctorpage_phone'),
    ]

    operations = [
        migrations.AddField(
            model_name='clinicsettings',
            name='moderate_doctor_edits',
            field=models.BooleanField(default=False, help_text='When on, changes doctors make to their profile and hours from their dashboard wait for staff approval (Doctor vetting workflow) instead of going live at once.', verbose_name="review doctors' profile changes"),
        ),
    ]

"""Doctors joining the clinic through the site, and staff vetting them.

* ``/join/doctor/`` (views.py, forms.py): an allauth sign-up whose form creates a *doctor*
  account with a :class:`~booking.models.DoctorApplication`; after verifying their email the
  doctor sends their profile (the profile step), which becomes a draft ``DoctorPage`` submitted
  to the "Doctor vetting" Wagtail workflow (workflow.py).
* Staff approve, or request changes with a comment, in the Wagtail admin; receivers.py turns
  Wagtail's signals into the application's status and the doctor's emails (services.py).
* Staff suspend an approved doctor (their page is unpublished and their future appointments are
  listed for staff to move or cancel) and reinstate them (``booking.staff``).
* With the clinic setting "review doctors' profile changes" on, a doctor's later edits from the
  dashboard go through the same workflow instead of being published at once.
"""

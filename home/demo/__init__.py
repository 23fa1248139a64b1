"""The demo clinic's pages: what they say (``content``), how they are built (``pages``) and their pictures (``images``).

Run through ``manage.py seed_demo``, which lives in ``booking`` because it also creates booking
data (working hours, time off, accounts linked to doctor pages; see ``booking.demo``). Nothing in
this package imports ``booking``: the dependency runs from booking to home, never back.
"""

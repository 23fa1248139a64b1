"""Payments: paying for a booking online with Stripe, refunds by policy, desk payments, reports.

A nested Django app (label ``payments``) inside booking. It sits *above* appointments: it books
holds through the booking service, moves paid holds on through the lifecycle service and reacts
to ``booking.appointments.signals.status_changed`` (refunds on cancel or decline, abandoned
payments cancelled on expiry). Appointments never import it; the booking page reaches it only
through the checkout it installs (``booking.appointments.checkout``).

Modules: ``gateway`` (the only module that imports ``stripe``), ``policy`` (fees, holds, refund
shares — pure rules), ``services`` (every write), ``selectors`` (reads for pages and reports),
``checkout`` (what the booking page asks), ``views``/``urls`` (pay page, return page, webhook).
"""

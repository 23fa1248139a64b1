"""What the appointment service tells the rest of the portal, after the change has committed.

Other features (payments refunding a cancelled booking, webhooks for integrations) react to
these instead of being called by the service: appointments never import them, and a reaction
never runs for a change that rolled back.
"""

from django.dispatch import Signal

# Sent on commit whenever an appointment's status changes (including its creation, with
# ``from_status=""``). Arguments: ``appointment_id``, ``from_status``, ``to_status``,
# ``actor_role`` (patient, guest, doctor, staff or system) and ``remark``.
status_changed = Signal()

# Sent on commit when an appointment moves to another time or doctor (its status unchanged).
# Arguments: ``appointment_id``, ``from_starts_at``, ``from_doctor_id`` and ``actor_role``.
appointment_moved = Signal()

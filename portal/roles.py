"""Role groups and their permissions, created idempotently after every migrate.

Patients get no permissions at all: they never reach the Wagtail admin. Staff get admin access,
page editing under the site root, images, settings, the booking records, and adding and editing
accounts (so they can set up doctors; only superusers can grant "Administrator" or other groups,
see ``portal/user_admin.py``). Doctors get no admin access here; they work from their own
dashboard at /doctor/.

A user's role group always follows ``User.role``: :func:`sync_role_groups` is the one place that
puts accounts in and out of these groups. "Auditors" is not a role but a group an
administrator puts people in to read and export the whole audit trail.
"""

from django.contrib.auth.models import Group, Permission

PATIENTS = "Patients"
DOCTORS = "Doctors"
STAFF = "Clinic staff"
# Not a role: staff (or an outside auditor) added to it by an administrator may search and
# export the whole audit trail. Clinic staff see only its prescription rows.
AUDITORS = "Auditors"

ROLE_GROUPS = {"patient": PATIENTS, "doctor": DOCTORS, "staff": STAFF}

STAFF_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    # Wagtail's Users area checks the user model's own permissions (the model lives in portal).
    ("portal", "add_user"),
    ("portal", "change_user"),
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
    ("home", "change_clinicsettings"),
    ("booking", "view_appointment"),
    # Booking for patients who phone ("New appointment"): through the booking service, never a model form.
    ("booking", "add_appointment"),
    ("booking", "change_appointment"),
    ("booking", "view_notification"),
    ("booking", "view_prescription"),
    ("booking", "view_prescriptionaccesslog"),
    ("booking", "view_clinicclosure"),
    ("booking", "add_clinicclosure"),
    ("booking", "change_clinicclosure"),
    ("booking", "delete_clinicclosure"),
    # Payments: read every record, record desk payments, refund (fully or partly, with a reason).
    ("payments", "view_payment"),
    ("payments", "add_payment"),
    ("payments", "view_refund"),
    ("payments", "add_refund"),
    ("payments", "view_stripeevent"),
    # Doctors who join through the site: review applications, read their documents, suspend.
    ("booking", "view_doctorapplication"),
    ("booking", "change_doctorapplication"),
    # Integrations (booking.api.webhooks): staff register endpoints and watch deliveries.
    ("booking", "view_webhookendpoint"),
    ("booking", "add_webhookendpoint"),
    ("booking", "change_webhookendpoint"),
    ("booking", "delete_webhookendpoint"),
    ("booking", "view_webhookdelivery"),
]

AUDITOR_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("booking", "view_auditevent"),
]


def _permissions(pairs):
    for app_label, codename in pairs:
        perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if perm is not None:
            yield perm


def ensure_role_groups(**kwargs) -> None:
    """Create the three role groups and give staff their permissions; safe to call repeatedly."""
    from django.apps import apps

    app_config = kwargs.get("app_config")
    last_with_models = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if app_config is not None and app_config is not last_with_models:
        return
    from wagtail.models import GroupPagePermission, Page

    Group.objects.get_or_create(name=PATIENTS)
    Group.objects.get_or_create(name=DOCTORS)
    staff, _ = Group.objects.get_or_create(name=STAFF)
    staff.permissions.add(*_permissions(STAFF_PERMISSIONS))
    auditors, _ = Group.objects.get_or_create(name=AUDITORS)
    auditors.permissions.add(*_permissions(AUDITOR_PERMISSIONS))

    root = Page.get_first_root_node()
    if root is None:
        return
    for codename in ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"):
        perm = Permission.objects.filter(content_type__app_label="wagtailcore", codename=codename).first()
        if perm is not None:
            GroupPagePermission.objects.get_or_create(group=staff, page=root, permission=perm)


def group_for_role(role: str) -> Group:
    """The group that carries a role's permissions."""
    return Group.objects.get_or_create(name=ROLE_GROUPS[role])[0]


def sync_role_groups(user) -> None:
    """Put a saved ``user`` in their role's group and take them out of the other role groups.

    Groups that are not role groups are never touched, so an administrator's extra groups survive a
    role change. Called explicitly after every save that can set a role (the admin user forms, the
    sign-up adapter) rather than from a ``post_save`` signal: the admin forms write ``groups``
    after the user row, which would undo whatever a signal had just done.
    """
    wanted = group_for_role(user.role)
    stale = list(user.groups.filter(name__in=ROLE_GROUPS.values()).exclude(pk=wanted.pk))
    if stale:
        user.groups.remove(*stale)
    user.groups.add(wanted)

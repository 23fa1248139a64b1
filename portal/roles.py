"""Role groups and their permissions, created idempotently after every migrate.

Patients get no permissions at all: they never reach the Wagtail admin. Staff get admin access,
page editing under the site root, images, settings and the booking records. Doctors get no admin
access here; they work from their own dashboard at /doctor/.
"""

from django.contrib.auth.models import Group, Permission

PATIENTS = "Patients"
DOCTORS = "Doctors"
STAFF = "Clinic staff"

STAFF_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
    ("home", "change_clinicsettings"),
    ("booking", "view_appointment"),
    ("booking", "change_appointment"),
    ("booking", "view_notification"),
    ("booking", "view_prescription"),
    ("booking", "view_prescriptionaccesslog"),
    # Payments: read every record, record desk payments, refund (fully or partly, with a reason).
    ("payments", "view_payment"),
    ("payments", "add_payment"),
    ("payments", "view_refund"),
    ("payments", "add_refund"),
    ("payments", "view_stripeevent"),
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

    root = Page.get_first_root_node()
    if root is None:
        return
    for codename in ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"):
        perm = Permission.objects.filter(content_type__app_label="wagtailcore", codename=codename).first()
        if perm is not None:
            GroupPagePermission.objects.get_or_create(group=staff, page=root, permission=perm)


def group_for_role(role: str) -> Group:
    """The group that carries a role's permissions."""
    from .models import User

    names: dict[str, str] = {User.Role.PATIENT: PATIENTS, User.Role.DOCTOR: DOCTORS, User.Role.STAFF: STAFF}
    name = names[role]
    return Group.objects.get_or_create(name=name)[0]

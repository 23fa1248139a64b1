"""Guards on Wagtail's bulk actions for users, which bypass the user forms in ``user_admin``.

Staff hold the user permissions so they can manage accounts, and Wagtail's "Assign role" bulk
action would let them put anyone in any group: in the "Clinic staff" group without the staff
role, or in a group with more rights than their own. So that action is for superusers only and
never for role groups (those follow ``User.role``), and no bulk action by a non-superuser may
touch a superuser's account.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from wagtail import hooks

from .roles import ROLE_GROUPS
from .user_admin import can_grant_admin


@hooks.register("before_bulk_action")
def guard_user_bulk_actions(request, action_type, objects, action_class_instance):
    if getattr(action_class_instance, "model", None) is not get_user_model():
        return None
    refusal = None
    if action_type == "assign_role":
        group = action_class_instance.cleaned_form.cleaned_data.get("role")
        if not can_grant_admin(request.user):
            refusal = "Only administrators can add accounts to groups."
        elif group is not None and group.name in ROLE_GROUPS.values():
            refusal = f"“{group.name}” follows each account's role: change the Role on the account instead."
    if refusal is None and not can_grant_admin(request.user) and any(user.is_superuser for user in objects):
        refusal = "Only administrators can change administrators' accounts."
    if refusal is None:
        return None
    messages.error(request, refusal)
    return redirect(action_class_instance.next_url)


@hooks.register("before_serve_page")
def mark_page_for_the_page_cache(page, request, serve_args, serve_kwargs):
    """Tell the page cache this response is the page's own (a routed sub-URL is not)."""
    from .pagecache import page_served

    page_served(page, request, routed=bool(serve_args or serve_kwargs))

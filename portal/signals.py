"""Signal receivers of the portal app, connected in ``PortalConfig.ready``."""

from .middleware import stamp_session
from .ratelimit import SigninAttempt


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    """Start the session's timeout clocks and trust this address for the account's sign-in limit.

    Django sends this only once every sign-in stage has passed, the second factor included, so
    an address that knows the password but not the code is never trusted.
    """
    if request is None or not hasattr(request, "session"):
        return
    stamp_session(request)
    SigninAttempt(request, user.email, account=f"user:{user.pk}").remember_address()

"""allauth's forms, where the site needs more than the adapter offers."""

from allauth.account.forms import LoginForm as AllauthLoginForm

from .emails import comparable_email


class LoginForm(AllauthLoginForm):
    """Sign-in with the typed address in the stored form (``portal.emails``).

    allauth looks the account up by the address as typed (lower-cased only), and its login also
    remembers that address for email verification; an internationalised domain must therefore
    become its A-label here, before either happens. An address that cannot be normalised stays
    as typed: it matches no account, and allauth answers with its usual "wrong email or
    password" message.
    """

    def clean_login(self) -> str:
        return comparable_email(super().clean_login())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:  # allauth's "Remember Me", in the site's sentence case
            self.fields["remember"].label = "Remember me"

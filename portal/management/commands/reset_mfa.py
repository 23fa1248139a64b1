"""``manage.py reset_mfa <email>``: remove someone's second factor after they lost their phone."""

from django.core.management.base import BaseCommand, CommandError

from portal.mfa import reset_second_factor
from portal.models import User


class Command(BaseCommand):
    help = (
        "Remove a person's authenticator app and recovery codes. Staff and doctors are asked to set up a "
        "new one at their next sign-in. Check who is asking before you run it."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, **options):
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"No account with the email {options['email']!r}.")
        removed = reset_second_factor(user)
        self.stdout.write(self.style.SUCCESS(f"Removed {removed} authenticator(s) of {user.email}."))

"""`dangjian createadmin`: create a superuser; the first login enrols TOTP."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangjian.core import audit
from dangjian.core.models import User


class Command(BaseCommand):
    help = "Create a superuser. The password comes from --password-file or the prompt; TOTP is set up at first login."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--password-file", help="A file whose first line is the password.")

    def handle(self, *args, username, email, password_file=None, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"user {username!r} already exists")
        if password_file:
            with open(password_file) as f:
                password = f.readline().rstrip("\n")
        else:
            import getpass

            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords differ")
        user = User(username=username, email=email, is_staff=True, is_superuser=True)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        user.set_password(password)
        user.save()
        audit.record(actor=None, actor_name="dangjian createadmin", verb="user.create_admin", obj=user)
        self.stdout.write(f"superuser {username} created; TOTP is enrolled at the first login")

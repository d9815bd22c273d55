"""`dangjian totp USER`: print the current TOTP code of a demo account (development aid; refuses real accounts)."""

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo account."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        device = TOTPDevice.objects.filter(user__username=username, user__is_demo=True, confirmed=True).first()
        if device is None:
            raise CommandError(f"{username} is not a demo account with a TOTP device")
        self.stdout.write(f"{totp(device.bin_key, step=device.step, digits=device.digits):0{device.digits}d}")

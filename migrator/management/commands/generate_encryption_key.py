from django.core.management.base import BaseCommand

from migrator.crypto import generate_key


class Command(BaseCommand):
    help = "Print a new key for CREDENTIALS_ENCRYPTION_KEYS (put it first to rotate)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(generate_key())

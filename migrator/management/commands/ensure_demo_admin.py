from django.core.management.base import BaseCommand

from migrator.services import demo_admin_ensure


class Command(BaseCommand):
    help = "Create the demo administrator if missing and print how to sign in."

    def handle(self, *args, **options) -> None:
        email, password = demo_admin_ensure()
        self.stdout.write(
            self.style.SUCCESS("Demo administrator: ") + f"{email} / password: {password}"
        )

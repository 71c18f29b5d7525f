from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MigratorConfig(AppConfig):
    name = "migrator"
    verbose_name = _("Migrations")

    def ready(self) -> None:
        from migrator import checks  # noqa: F401  (registers the system checks)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MigratorConfig(AppConfig):
    name = "migrator"
    verbose_name = _("Migrations")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from migrator import checks  # noqa: F401  (registers the system checks)
        from migrator.groups import support_group_after_migrate

        # The Support group the README names exists as soon as the database does.
        post_migrate.connect(
            support_group_after_migrate, sender=self, dispatch_uid="migrator-support-group"
        )

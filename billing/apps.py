from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from billing import models, selectors

        def prices_changed(**_kwargs) -> None:
            selectors.billing_enabled_forget()

        # Whether billing is on is cached; any change of a price decides it again.
        for model in (
            models.Pricing,
            models.EntityPrice,
            models.PriceTier,
            models.OptionSurcharge,
            models.PlanPrice,
        ):
            post_save.connect(prices_changed, sender=model, weak=False)
            post_delete.connect(prices_changed, sender=model, weak=False)

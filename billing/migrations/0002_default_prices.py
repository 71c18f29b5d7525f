"""The prices a new site starts with (billing.defaults); an operator sets them all to zero
in the admin to switch billing off."""

from django.db import migrations


def install_defaults(apps, schema_editor):
    from billing import defaults

    if apps.get_model("billing", "Pricing").objects.exists():
        return
    defaults.install(
        pricing_model=apps.get_model("billing", "Pricing"),
        entity_price_model=apps.get_model("billing", "EntityPrice"),
        tier_model=apps.get_model("billing", "PriceTier"),
        surcharge_model=apps.get_model("billing", "OptionSurcharge"),
        plan_model=apps.get_model("billing", "PlanPrice"),
    )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(install_defaults, migrations.RunPython.noop)]

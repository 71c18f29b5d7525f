"""Billing tests: billing switched on with known prices, and migrations between in-memory
help desks whose record counts the quote reads."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from billing import services as billing_services
from billing.models import EntityPrice, OptionSurcharge, Order, PlanPrice, PriceTier, Pricing
from connectors.registry import registry
from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import Migration, Run
from tests.migrator.engine import memory
from tests.migrator.engine.conftest import connection_for

#: The prices the billing tests use (not the site's defaults, which may change).
TICKET_TIERS = [(100, "0.10"), (1000, "0.05"), (None, "0.02")]
CONTACT_TIERS = [(None, "0.01")]
MINIMUM = Decimal("20.00")
PLAN_PRICES = {"basic": Decimal("0"), "premium": Decimal("100"), "signature": Decimal("250")}


def install_test_prices() -> None:
    Pricing.objects.update_or_create(pk=1, defaults={"currency": "EUR", "minimum_price": MINIMUM})
    PriceTier.objects.all().delete()
    EntityPrice.objects.all().delete()
    for entity, tiers in (("tickets", TICKET_TIERS), ("contacts", CONTACT_TIERS)):
        entity_price = EntityPrice.objects.create(entity=entity)
        for up_to, price in tiers:
            PriceTier.objects.create(
                entity_price=entity_price, up_to=up_to, price_per_record=Decimal(price)
            )
    EntityPrice.objects.create(entity="agents", free=True)
    OptionSurcharge.objects.all().delete()
    OptionSurcharge.objects.create(option="inline_images_as_attachments", percent=Decimal(10))
    PlanPrice.objects.all().delete()
    for plan, price in PLAN_PRICES.items():
        PlanPrice.objects.create(plan=plan, price=price)


@pytest.fixture
def billing_on(db, settings):
    settings.BILLING_ENABLED = True
    settings.BILLING_PROVIDER = "manual"
    install_test_prices()


@pytest.fixture
def memory_platform():
    registry.register(memory.MemoryDesk)
    yield memory.MemoryDesk
    registry.unregister(memory.MemoryDesk.key)


@pytest.fixture
def make_migration(db, memory_platform):
    """A migration from a seeded in-memory source, configured up to the demo."""
    created: list[str] = []

    def make(
        *, owner, tickets: int = 150, contacts: int = 30, agents: int = 3, **parts
    ) -> Migration:
        source_url = f"mem://source-{uuid.uuid4().hex[:8]}"
        target_url = f"mem://target-{uuid.uuid4().hex[:8]}"
        source = memory.MemoryAccount(fields=memory.SOURCE_FIELDS)
        source.add(*(memory.ticket(n) for n in range(1, tickets + 1)))
        source.add(*(memory.contact(n) for n in range(1, contacts + 1)))
        source.add(*(memory.agent(n) for n in range(1, agents + 1)))
        memory.ACCOUNTS[source_url] = source
        memory.ACCOUNTS[target_url] = memory.MemoryAccount(fields=memory.TARGET_FIELDS)
        created.extend([source_url, target_url])
        migration = services.migration_create(owner=owner, name="Memory to memory")
        services.migration_configure(
            migration=migration,
            source=connection_for(owner=owner, account_url=source_url),
            target=connection_for(owner=owner, account_url=target_url),
            entities=parts.pop("entities", None)
            or [Entity.TICKETS, Entity.CONTACTS, Entity.AGENTS],
            matches=configuration.Matches(),
            field_mappings=configuration.FieldMappings(),
            options=parts.pop("options", None) or configuration.Options(),
            **parts,
        )
        migration.refresh_from_db()
        return migration

    yield make
    for url in created:
        memory.ACCOUNTS.pop(url, None)


@pytest.fixture
def migration(make_migration, user):
    return make_migration(owner=user)


@pytest.fixture
def staff(make_user):
    return make_user(email="staff@example.com", is_staff=True)


def paid_order(*, migration: Migration, staff, plan: str = "basic") -> Order:
    """An order of ``migration`` submitted and marked paid by staff."""
    order = billing_services.order_submit(
        migration=migration,
        created_by=migration.owner,
        plan=plan,
        details=DETAILS,
    )
    return billing_services.order_mark_paid(order=order, staff=staff)


def completed_run(*, migration: Migration, kind: str = Run.Kind.FULL, **fields) -> Run:
    from django.utils import timezone

    now = timezone.now()
    values = {"started_at": now, "finished_at": now, **fields}
    return Run.objects.create(migration=migration, kind=kind, status=Run.Status.COMPLETED, **values)


DETAILS = billing_services.BillingDetails(
    company="Acme SAS",
    address="12 rue de la Paix",
    postal_code="75002",
    city="Paris",
    country="France",
    vat_id="FR 40 303 265 045",
    billing_email="billing@acme.example",
)

"""The quote and the receipt name the pair by account and platform, not platform keys."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.billing.conftest import paid_order

pytestmark = pytest.mark.usefixtures("billing_on")


def test_quote_and_receipt_name_the_platforms(client, migration, staff):
    client.force_login(migration.owner)
    source = migration.source.account_name
    quote = client.get(reverse("billing_quote", args=[migration.pk])).content.decode()
    order = paid_order(migration=migration, staff=staff)
    receipt = client.get(reverse("billing_receipt", args=[migration.pk, order.pk]))
    for page in (quote, receipt.content.decode()):
        assert "(memorydesk)" not in page
        assert f"{source} on Memory Desk → " in page


def test_an_account_named_after_its_platform_is_not_named_twice(migration):
    connection = migration.source
    connection.account_name = "Acme on Memory Desk"
    assert str(connection) == "Acme on Memory Desk"

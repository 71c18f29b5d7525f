"""Prices the operator sets, and the orders that pay for full migrations.

Prices live in the database so staff edit them in the admin; every price at zero switches
billing off (see :func:`billing.selectors.billing_enabled`).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.plans import Plan
from connectors.schema import Entity
from migrator.models import Migration

ENTITY_CHOICES = [(entity.value, entity.label) for entity in Entity]
NOT_NEGATIVE = [MinValueValidator(Decimal(0))]


class Pricing(models.Model):
    """The one row of site-wide price settings (primary key 1)."""

    SINGLETON_ID = 1

    currency = models.CharField(
        _("currency"), max_length=3, default="EUR", help_text=_("ISO 4217 code, e.g. EUR.")
    )
    minimum_price = models.DecimalField(
        _("minimum price"),
        max_digits=10,
        decimal_places=2,
        default=Decimal(0),
        validators=NOT_NEGATIVE,
        help_text=_("A full migration never costs less than this (support plan excluded)."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("pricing")
        verbose_name_plural = _("pricing")

    def __str__(self) -> str:
        return str(_("Pricing"))

    def save(self, *args, **kwargs) -> None:
        self.pk = self.SINGLETON_ID
        self.currency = self.currency.upper()
        super().save(*args, **kwargs)


class EntityPrice(models.Model):
    """How the records of one entity are priced: free, or by volume tiers."""

    entity = models.CharField(_("entity"), max_length=40, choices=ENTITY_CHOICES, unique=True)
    free = models.BooleanField(
        _("free"), default=False, help_text=_("Migrated at no charge whatever the volume.")
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("price per record")
        verbose_name_plural = _("prices per record")

    def __str__(self) -> str:
        return self.get_entity_display()


class PriceTier(models.Model):
    """Records up to ``up_to`` (after the tier before) cost ``price_per_record`` each.

    Tiers are graduated: the first tier's price applies to the first records, the next
    tier's to the records after them, so the price never jumps down at a boundary.
    """

    entity_price = models.ForeignKey(EntityPrice, on_delete=models.CASCADE, related_name="tiers")
    up_to = models.PositiveIntegerField(
        _("up to (records)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for the last tier: every record beyond the others."),
    )
    price_per_record = models.DecimalField(
        _("price per record"), max_digits=10, decimal_places=4, validators=NOT_NEGATIVE
    )

    class Meta:
        ordering = ["entity_price", models.F("up_to").asc(nulls_last=True)]
        verbose_name = _("volume tier")
        verbose_name_plural = _("volume tiers")
        constraints = [
            models.UniqueConstraint(fields=["entity_price", "up_to"], name="price_tier_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entity_price}: ≤{self.up_to or '∞'} @ {self.price_per_record}"


class OptionSurcharge(models.Model):
    """What choosing an automated option adds to the migration's price."""

    class Option(models.TextChoices):
        INLINE_IMAGES = "inline_images_as_attachments", _("Inline images as attachments")
        SIDE_CONVERSATIONS = "side_conversations_as_notes", _("Side conversations as notes")
        CALL_RECORDINGS = "call_recordings_as_notes", _("Call recordings as attachments")
        TRANSLATIONS = "translations", _("Content translations")
        MIGRATED_TAG = "migrated_tag", _("Tag migrated tickets")

    option = models.CharField(_("option"), max_length=40, choices=Option.choices, unique=True)
    percent = models.DecimalField(
        _("percent of the records' price"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=NOT_NEGATIVE,
    )
    amount = models.DecimalField(
        _("fixed amount"),
        max_digits=10,
        decimal_places=2,
        default=Decimal(0),
        validators=NOT_NEGATIVE,
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("option surcharge")
        verbose_name_plural = _("option surcharges")

    def __str__(self) -> str:
        return self.get_option_display()


class PlanPrice(models.Model):
    """The price of a support plan (its features are fixed in ``billing.plans``)."""

    plan = models.CharField(_("plan"), max_length=20, choices=Plan.choices, unique=True)
    price = models.DecimalField(
        _("price"), max_digits=10, decimal_places=2, default=Decimal(0), validators=NOT_NEGATIVE
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("support plan price")
        verbose_name_plural = _("support plan prices")

    def __str__(self) -> str:
        return self.get_plan_display()


class Order(models.Model):
    """An order for a migration's full run: the quote frozen when it was submitted, who
    pays, and where the payment stands."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Payment failed")
        REFUNDED = "refunded", _("Refunded")

    class Provider(models.TextChoices):
        MANUAL = "manual", _("Invoice")
        STRIPE = "stripe", _("Card (Stripe)")
        FREE = "free", _("Nothing to pay")

    migration = models.ForeignKey(
        Migration, on_delete=models.PROTECT, related_name="orders", verbose_name=_("migration")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("ordered by"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    provider = models.CharField(_("payment method"), max_length=20, choices=Provider.choices)
    plan = models.CharField(_("plan"), max_length=20, choices=Plan.choices)
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    #: The quote as submitted (``billing.pricing.Quote.to_json``).
    quote = models.JSONField(default=dict)

    company = models.CharField(_("company"), max_length=200)
    address = models.CharField(_("address"), max_length=300)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=100)
    vat_id = models.CharField(_("VAT id"), max_length=20, blank=True)
    billing_email = models.EmailField(_("billing e-mail"))

    #: The provider's checkout (a Stripe Checkout Session id), its address and expiry.
    checkout_reference = models.CharField(max_length=255, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    checkout_expires_at = models.DateTimeField(null=True, blank=True)
    #: The provider's payment (a Stripe PaymentIntent id, an invoice or transfer reference).
    payment_reference = models.CharField(_("payment reference"), max_length=255, blank=True)
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by staff"),
    )
    created_at = models.DateTimeField(_("ordered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [models.Index(fields=["migration", "status"], name="order_migration_status")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        year = self.created_at.year if self.created_at else 0
        return f"HM-{year}-{self.pk or 0:06d}"


class PaymentEvent(models.Model):
    """A provider's notification, kept so that a repeated one changes nothing."""

    provider = models.CharField(max_length=20, choices=Order.Provider.choices)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    #: What the event did to the order ("" when it changed nothing).
    outcome = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="payment_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"

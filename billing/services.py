"""Writes of billing: orders, payments, and the gates that keep unpaid features shut.

The gates live here, not in pages: :func:`run_start_check` is called by
``migrator.services.run_start`` for every run, and :func:`feature_require` by any service
that offers a plan feature (verification of skipped and failed records).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing import defaults, selectors
from billing.models import (
    EntityPrice,
    OptionSurcharge,
    Order,
    PaymentEvent,
    PlanPrice,
    PriceTier,
    Pricing,
)
from billing.plans import REMIGRATION_DAYS, Feature, Plan, unlocking_plan
from billing.providers import (
    Outcome,
    PaymentUpdate,
    ProviderError,
    amount_in_minor_units,
    provider,
)
from connectors.errors import ConnectorError
from migrator import configuration, notifications
from migrator.models import AuditEvent, Migration, Run, User
from migrator.validators import validate_email_address

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- gates


def _locked(feature: Feature) -> ValidationError:
    plan = unlocking_plan(feature)
    return ValidationError(
        _("%(feature)s needs the %(plan)s support plan or higher.")
        % {"feature": feature.label, "plan": plan.label},
        code="plan_required",
    )


def feature_require(*, migration: Migration, feature: Feature) -> None:
    """Refuse (``ValidationError``) unless the migration's plan includes ``feature``."""
    if not selectors.entitlements(migration=migration).allows(feature):
        raise _locked(feature)


def run_start_check(
    *, migration: Migration, kind: str, windows: Sequence[configuration.Window] = ()
) -> None:
    """Refuse a run the migration has not paid for. Demos are always free; with billing
    off every run is allowed.

    - a full run needs a paid order, and runs once: moving the data again after it
      completed is a re-migration;
    - a re-migration needs Premium (5 days after the full run) or Signature (10 days);
    - a delta needs Signature; run windows (interval migration) need Premium or higher.
    """
    if kind == Run.Kind.DEMO:
        return
    granted = selectors.entitlements(migration=migration)
    if not granted.billing_on:
        return
    if not granted.paid:
        raise ValidationError(
            _("The full migration starts once its order is paid."), code="payment_required"
        )
    if windows:
        feature_require(migration=migration, feature=Feature.INTERVAL)
    if kind == Run.Kind.FULL:
        if selectors.full_run_finished_at(migration=migration) is not None:
            raise ValidationError(
                _(
                    "The full migration has already run. To move the data again, start a "
                    "re-migration (Premium or Signature support plan)."
                ),
                code="full_run_done",
            )
    elif kind == Run.Kind.DELTA:
        feature_require(migration=migration, feature=Feature.DELTA)
    elif kind == Run.Kind.REMIGRATION:
        feature_require(migration=migration, feature=Feature.REMIGRATION)
        deadline = selectors.remigration_deadline(migration=migration, plan=granted.plan)
        if deadline is not None and timezone.now() > deadline:
            raise ValidationError(
                _(
                    "Your %(plan)s plan allows a re-migration within %(days)d days of the full "
                    "migration; that time ended on %(deadline)s."
                )
                % {
                    "plan": granted.plan.label,
                    "days": REMIGRATION_DAYS[granted.plan],
                    "deadline": formats.date_format(
                        timezone.localtime(deadline), "DATETIME_FORMAT"
                    ),
                },
                code="remigration_window_over",
            )


# --------------------------------------------------------------------------- orders

VAT_ID = re.compile(r"^[A-Z]{2}[A-Z0-9+*]{2,13}$")


def vat_id_normalize(value: str) -> str:
    """A VAT id in its usual written form: country prefix, then 2 to 13 characters, with
    spaces, dots and dashes dropped ("" when none is given)."""
    cleaned = re.sub(r"[\s.\-]", "", value or "").upper()
    if cleaned and not VAT_ID.match(cleaned):
        raise ValidationError(
            _(
                "Enter a VAT id as it is written on your invoices: the two-letter country code "
                "then its number, e.g. FR40303265045."
            ),
            code="invalid_vat_id",
        )
    return cleaned


@dataclass(frozen=True, slots=True)
class BillingDetails:
    company: str
    address: str
    postal_code: str
    city: str
    country: str
    billing_email: str
    vat_id: str = ""

    def cleaned(self) -> BillingDetails:
        """The details with spaces tidied; ``ValidationError`` per field when one is wrong."""
        problems: dict[str, list[str]] = {}
        values: dict[str, str] = {}
        limits = {
            "company": 200,
            "address": 300,
            "postal_code": 20,
            "city": 100,
            "country": 100,
            "billing_email": 254,
        }
        for name, limit in limits.items():
            value = " ".join(str(getattr(self, name) or "").split())
            if not value:
                problems.setdefault(name, []).append(_("This field is required."))
            elif len(value) > limit:
                problems.setdefault(name, []).append(
                    _("At most %(limit)d characters.") % {"limit": limit}
                )
            values[name] = value
        if values["billing_email"] and "billing_email" not in problems:
            try:
                validate_email_address(values["billing_email"])
            except ValidationError:
                problems.setdefault("billing_email", []).append(
                    _("Enter the e-mail address invoices and receipts go to.")
                )
        try:
            values["vat_id"] = vat_id_normalize(self.vat_id)
        except ValidationError as error:
            problems.setdefault("vat_id", []).extend(error.messages)
        if problems:
            raise ValidationError(problems)
        return BillingDetails(**values)


def order_submit(
    *,
    migration: Migration,
    created_by: User,
    plan: Plan,
    details: BillingDetails,
    refresh_counts: bool = False,
) -> Order:
    """ "Submit order": freeze the quote with the billing details, awaiting payment.

    An earlier order still awaiting payment is replaced. An order with nothing to pay is
    paid at once. Raises ``ValidationError`` (billing off, already paid, details wrong,
    the source unreadable).
    """
    if not selectors.billing_enabled():
        raise ValidationError(
            _("Billing is switched off on this site: the full migration needs no order."),
            code="billing_off",
        )
    details = details.cleaned()
    plan = Plan(plan)
    try:
        quote = selectors.migration_quote(migration=migration, plan=plan, refresh=refresh_counts)
    except ConnectorError as error:
        raise ValidationError(
            _("The source help desk could not be counted: %(reason)s")
            % {"reason": error.user_message},
            code="source_unreadable",
        ) from None
    if not quote.counts:
        raise ValidationError(_("Select the data to migrate first."), code="nothing_selected")
    provider_key = Order.Provider.FREE if quote.total <= 0 else provider().key
    with transaction.atomic():
        # One order at a time per migration: two clicks on "Submit order" give one.
        Migration.objects.select_for_update().get(pk=migration.pk)
        if selectors.paid_order(migration=migration) is not None:
            raise ValidationError(_("This migration is already paid."), code="already_paid")
        replaced = list(
            selectors.orders_of(migration=migration).filter(status=Order.Status.PENDING)
        )
        order = Order.objects.create(
            migration=migration,
            created_by=created_by,
            provider=provider_key,
            plan=plan,
            currency=quote.currency,
            total=quote.total,
            quote=quote.to_json(),
            company=details.company,
            address=details.address,
            postal_code=details.postal_code,
            city=details.city,
            country=details.country,
            vat_id=details.vat_id,
            billing_email=details.billing_email,
        )
        for old in replaced:
            old.status = Order.Status.FAILED
            old.status_reason = gettext_noop("Replaced by a newer order.")
            old.save(update_fields=["status", "status_reason", "updated_at"])
        if provider_key == Order.Provider.FREE:
            order.status = Order.Status.PAID
            order.paid_at = timezone.now()
            order.save(update_fields=["status", "paid_at", "updated_at"])
            _audit_paid(order)
        else:
            # The quote to the buyer, the invoice when paid by invoice (the page says so).
            transaction.on_commit(lambda: notifications.order_submitted(order=order))
    return order


def _audit_paid(order: Order) -> None:
    """The migration's activity log: paid, by whoever placed the order; the receipt goes
    out by e-mail once the payment is saved."""
    # Imported here: migrator.services imports this module for the gates above.
    from migrator.services import audit_record

    transaction.on_commit(lambda: notifications.order_paid(order=order))
    audit_record(
        migration=order.migration,
        actor=order.created_by,
        action=AuditEvent.Action.PAID,
        detail=f"{order.number}: {order.total} {order.currency}",
    )


#: A payment page about to expire is not handed out again; a new one is opened.
CHECKOUT_MARGIN = timedelta(minutes=5)


def order_checkout(*, order: Order, success_url: str, cancel_url: str) -> str | None:
    """Where to send the payer of a pending order: the provider's payment page (the open
    one if it has not expired), or None when payment is by invoice.

    Raises ``ValidationError`` when the order cannot be paid or the provider refused.
    """
    if order.status != Order.Status.PENDING:
        raise ValidationError(_("This order is not awaiting payment."), code="not_pending")
    now = timezone.now()
    if (
        order.checkout_url
        and order.checkout_expires_at
        and order.checkout_expires_at > now + (CHECKOUT_MARGIN)
    ):
        return order.checkout_url
    try:
        checkout = provider(order.provider).checkout_start(
            order=order, success_url=success_url, cancel_url=cancel_url
        )
    except ProviderError as error:
        raise ValidationError(error.user_message, code="provider_refused") from None
    if checkout.url is None:
        return None
    Order.objects.filter(pk=order.pk).update(
        checkout_reference=checkout.reference,
        checkout_url=checkout.url,
        checkout_expires_at=checkout.expires_at,
        updated_at=now,
    )
    order.refresh_from_db()
    return checkout.url


def order_refresh(*, order: Order) -> Order:
    """Ask the provider about a pending order (a payer back from the payment page may
    arrive before the provider's notification)."""
    if order.status != Order.Status.PENDING:
        return order
    update = provider(order.provider).checkout_status(order=order)
    if update is not None:
        payment_update_apply(provider_key=order.provider, update=update)
        order.refresh_from_db()
    return order


def _order_for(*, provider_key: str, update: PaymentUpdate) -> Order | None:
    orders = Order.objects.select_for_update().filter(provider=provider_key)
    if update.order_id is not None:
        return orders.filter(pk=update.order_id).first()
    if update.payment_reference:
        return orders.filter(payment_reference=update.payment_reference).first()
    if update.checkout_reference:
        return orders.filter(checkout_reference=update.checkout_reference).first()
    return None


def _transition(*, order: Order, update: PaymentUpdate) -> str:
    """Apply the update's outcome where the order's status allows it; say what changed."""
    now = timezone.now()
    if update.outcome == Outcome.PAID:
        if order.status not in (Order.Status.PENDING, Order.Status.FAILED):
            return ""
        if update.amount_minor is not None and (
            update.amount_minor != amount_in_minor_units(order.total, order.currency)
            or (update.currency and update.currency.lower() != order.currency.lower())
        ):
            logger.warning(
                "Order %s: paid %s %s, expected %s %s; not marked paid.",
                order.pk,
                update.amount_minor,
                update.currency,
                order.total,
                order.currency,
            )
            return "amount_mismatch"
        order.status = Order.Status.PAID
        order.paid_at = now
        order.payment_reference = update.payment_reference or order.payment_reference
        order.status_reason = ""
        order.save(
            update_fields=["status", "paid_at", "payment_reference", "status_reason", "updated_at"]
        )
        _audit_paid(order)
        return "paid"
    if update.outcome == Outcome.FAILED:
        # Only the order's current payment page can fail it, and never once paid.
        if order.status != Order.Status.PENDING:
            return ""
        if update.checkout_reference and update.checkout_reference != order.checkout_reference:
            return ""
        order.status = Order.Status.FAILED
        order.status_reason = update.reason
        order.save(update_fields=["status", "status_reason", "updated_at"])
        return "failed"
    if update.outcome == Outcome.REFUNDED:
        if order.status != Order.Status.PAID:
            return ""
        order.status = Order.Status.REFUNDED
        order.refunded_at = now
        order.save(update_fields=["status", "refunded_at", "updated_at"])
        return "refunded"
    return ""


def payment_update_apply(*, provider_key: str, update: PaymentUpdate) -> PaymentEvent | None:
    """Apply what a provider said, once: an event already seen changes nothing (None)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = PaymentEvent.objects.create(
                    provider=provider_key, event_id=update.event_id, event_type=update.event_type
                )
        except IntegrityError:
            return None
        order = _order_for(provider_key=provider_key, update=update)
        if order is None:
            event.outcome = "no_order" if update.outcome else ""
        else:
            event.order = order
            event.outcome = _transition(order=order, update=update)
        event.save(update_fields=["order", "outcome"])
    return event


def webhook_receive(*, provider_key: str, payload: bytes, signature: str) -> PaymentEvent | None:
    """A provider's notification: verified (``providers.WebhookRefused`` otherwise), then
    applied once."""
    update = provider(provider_key).webhook_parse(payload=payload, signature=signature)
    return payment_update_apply(provider_key=provider_key, update=update)


def _staff_only(staff: User) -> None:
    if not staff.is_staff:
        raise ValidationError(_("Only staff may record payments."), code="not_staff")


def order_mark_paid(*, order: Order, staff: User, reference: str = "") -> Order:
    """Staff record the payment of an invoice (manual provider), or of any order paid
    another way."""
    _staff_only(staff)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in (Order.Status.PENDING, Order.Status.FAILED):
            raise ValidationError(
                _("Order %(number)s is %(status)s: it cannot be marked paid.")
                % {"number": order.number, "status": order.get_status_display()},
                code="not_payable",
            )
        if selectors.paid_order(migration=order.migration) is not None:
            raise ValidationError(
                _("Migration “%(name)s” already has a paid order.") % {"name": order.migration},
                code="already_paid",
            )
        order.status = Order.Status.PAID
        order.paid_at = timezone.now()
        order.marked_by = staff
        order.status_reason = ""
        if reference:
            order.payment_reference = reference[:255]
        order.save()
        _audit_paid(order)
    return order


def order_mark_failed(*, order: Order, staff: User, reason: str = "") -> Order:
    """Staff close an order that will not be paid (an invoice left unpaid)."""
    _staff_only(staff)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != Order.Status.PENDING:
            raise ValidationError(
                _("Only an order awaiting payment can be marked failed."), code="not_pending"
            )
        order.status = Order.Status.FAILED
        order.status_reason = reason[:300] or gettext_noop("Not paid.")
        order.marked_by = staff
        order.save()
    return order


def order_mark_refunded(*, order: Order, staff: User) -> Order:
    """Staff record a refund: the migration is unpaid again."""
    _staff_only(staff)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != Order.Status.PAID:
            raise ValidationError(_("Only a paid order can be refunded."), code="not_paid")
        order.status = Order.Status.REFUNDED
        order.refunded_at = timezone.now()
        order.marked_by = staff
        order.save()
    return order


# --------------------------------------------------------------------------- prices


def pricing_reset_to_defaults() -> None:
    """Put back the prices a new site starts with (``billing.defaults``)."""
    with transaction.atomic():
        defaults.install(
            pricing_model=Pricing,
            entity_price_model=EntityPrice,
            tier_model=PriceTier,
            surcharge_model=OptionSurcharge,
            plan_model=PlanPrice,
        )
    selectors.billing_enabled_forget()


def pricing_set_free() -> None:
    """Every price to zero: billing switches off (no payment step, every run allowed)."""
    with transaction.atomic():
        Pricing.objects.update_or_create(pk=Pricing.SINGLETON_ID, defaults={"minimum_price": 0})
        PriceTier.objects.update(price_per_record=0)
        OptionSurcharge.objects.update(percent=0, amount=0)
        PlanPrice.objects.update(price=0)
    selectors.billing_enabled_forget()

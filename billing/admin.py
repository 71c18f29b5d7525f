"""Staff edit the prices and record payments here; every change goes through the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from billing import services
from billing.formatting import money, unit_price
from billing.models import (
    EntityPrice,
    OptionSurcharge,
    Order,
    PaymentEvent,
    PlanPrice,
    PriceTier,
    Pricing,
)


@admin.register(Pricing)
class PricingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "currency", "minimum_price", "updated_at"]
    actions = ["restore_defaults", "set_free"]

    def has_add_permission(self, request) -> bool:
        return not Pricing.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Restore the default prices"))
    def restore_defaults(self, request, queryset) -> None:
        services.pricing_reset_to_defaults()
        self.message_user(request, gettext("The default prices are back."), messages.SUCCESS)

    @admin.action(description=_("Set every price to zero (switches billing off)"))
    def set_free(self, request, queryset) -> None:
        services.pricing_set_free()
        self.message_user(
            request,
            gettext("Every price is zero: billing is off and the wizard skips the payment step."),
            messages.SUCCESS,
        )


class PriceTierFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        open_ended = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("up_to") is None
        ]
        if len(open_ended) > 1:
            raise ValidationError(
                gettext("Only one tier may be left without an upper bound (the last one).")
            )


class PriceTierInline(admin.TabularInline):
    model = PriceTier
    formset = PriceTierFormSet
    extra = 1
    fields = ["up_to", "price_per_record"]


@admin.register(EntityPrice)
class EntityPriceAdmin(admin.ModelAdmin):
    list_display = ["entity", "free", "tier_summary"]
    list_editable = ["free"]
    inlines = [PriceTierInline]

    @admin.display(description=_("volume tiers"))
    def tier_summary(self, obj: EntityPrice) -> str:
        currency = Pricing.objects.values_list("currency", flat=True).first() or "EUR"
        parts = [
            f"≤ {tier.up_to:,}: {unit_price(tier.price_per_record, currency)}"
            if tier.up_to is not None
            else f"{gettext('beyond')}: {unit_price(tier.price_per_record, currency)}"
            for tier in obj.tiers.all()
        ]
        return " · ".join(parts) or "—"


@admin.register(OptionSurcharge)
class OptionSurchargeAdmin(admin.ModelAdmin):
    list_display = ["option", "percent", "amount"]
    list_editable = ["percent", "amount"]


@admin.register(PlanPrice)
class PlanPriceAdmin(admin.ModelAdmin):
    list_display = ["plan", "price"]
    list_editable = ["price"]

    def has_add_permission(self, request) -> bool:
        return PlanPrice.objects.count() < len(PlanPrice._meta.get_field("plan").choices)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PaymentEventInline(admin.TabularInline):
    model = PaymentEvent
    extra = 0
    fields = ["received_at", "provider", "event_type", "event_id", "outcome"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "migration",
        "company",
        "status",
        "provider",
        "plan",
        "amount",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "provider", "plan"]
    search_fields = ["company", "billing_email", "vat_id", "migration__name", "payment_reference"]
    raw_id_fields = ["migration", "created_by", "marked_by"]
    actions = ["mark_paid", "mark_failed", "mark_refunded"]
    inlines = [PaymentEventInline]
    readonly_fields = [
        "migration",
        "created_by",
        "status",
        "provider",
        "plan",
        "currency",
        "total",
        "quote",
        "checkout_reference",
        "checkout_url",
        "checkout_expires_at",
        "status_reason",
        "marked_by",
        "created_at",
        "updated_at",
        "paid_at",
        "refunded_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("total"), ordering="total")
    def amount(self, obj: Order) -> str:
        return money(obj.total, obj.currency)

    def _each(self, request, queryset, change, done_message) -> None:
        changed = 0
        for order in queryset:
            try:
                change(order)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                changed += 1
        if changed:
            self.message_user(request, done_message(changed), messages.SUCCESS)

    @admin.action(description=_("Mark as paid (payment received)"))
    def mark_paid(self, request, queryset) -> None:
        self._each(
            request,
            queryset,
            lambda order: services.order_mark_paid(order=order, staff=request.user),
            lambda count: (
                ngettext(
                    "%(count)d order marked paid: its full migration may start.",
                    "%(count)d orders marked paid: their full migrations may start.",
                    count,
                )
                % {"count": count}
            ),
        )

    @admin.action(description=_("Mark as failed (will not be paid)"))
    def mark_failed(self, request, queryset) -> None:
        self._each(
            request,
            queryset,
            lambda order: services.order_mark_failed(order=order, staff=request.user),
            lambda count: (
                ngettext("%(count)d order marked failed.", "%(count)d orders marked failed.", count)
                % {"count": count}
            ),
        )

    @admin.action(description=_("Mark as refunded"))
    def mark_refunded(self, request, queryset) -> None:
        self._each(
            request,
            queryset,
            lambda order: services.order_mark_refunded(order=order, staff=request.user),
            lambda count: (
                ngettext(
                    "%(count)d order marked refunded.", "%(count)d orders marked refunded.", count
                )
                % {"count": count}
            ),
        )


@admin.register(PaymentEvent)
class PaymentEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "provider", "event_type", "event_id", "order", "outcome"]
    list_filter = ["provider", "event_type", "outcome"]
    search_fields = ["event_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

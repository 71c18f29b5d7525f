"""The wizard's payment step and its pages: quote, checkout, order, receipt; Stripe's webhook.

Views stay thin: reads through ``billing.selectors`` / ``billing.pages``, writes through
``billing.services``. Every page of a migration goes through who may see it (the
``wizard_step`` decorator or ``migration_for_user``): anyone else gets a 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from billing import pages, selectors, services
from billing.forms import CheckoutForm
from billing.models import Order
from billing.plans import Plan
from billing.pricing import Quote
from billing.providers import WebhookRefused
from migrator import policy
from migrator import selectors as migrator_selectors
from migrator import services as migrator_services
from migrator.models import Migration, Run
from wizard import steps
from wizard.views.base import render_step, wizard_step


def _order_url(order: Order) -> str:
    return reverse("billing_order", args=[order.migration_id, order.pk])


def _run_state(migration: Migration) -> dict[str, object]:
    """What the "Start the full migration" button needs to know."""
    granted = selectors.entitlements(migration=migration)
    active = migration.runs.filter(status__in=Run.ACTIVE_STATUSES).first()
    full_done = selectors.full_run_finished_at(migration=migration) is not None
    return {
        "may_start_full": granted.may_run_full and active is None and not full_done,
        "active_run": active,
        "full_run_done": full_done,
        "run_step_url": steps.RUN.url(migration),
    }


@wizard_step(steps.PAY)
def pay(request: HttpRequest, migration: Migration) -> HttpResponse:
    """The step: the quote under each plan, the plan choice, where the order stands."""
    found = pages.quotes(migration=migration, refresh=request.GET.get("refresh") == "1")
    paid = selectors.paid_order(migration=migration)
    chosen = pages.plan_from(request.GET.get("plan"), Plan(paid.plan) if paid else Plan.BASIC)
    return render_step(
        request,
        "billing/pay.html",
        migration=migration,
        step=steps.PAY,
        context={
            "quotes": found,
            "quote": found.for_plan(chosen),
            "chosen_plan": chosen,
            "plan_offers": pages.plan_offers(found),
            "currency": selectors.price_book().currency,
            "paid_order": paid,
            "pending_order": selectors.pending_order(migration=migration),
            "features": selectors.feature_states(migration=migration),
            **_run_state(migration),
        },
    )


@login_required
def quote(request: HttpRequest, migration_id: int) -> HttpResponse:
    """The printable quote (a document: no wizard around it when printed)."""
    migration = migrator_selectors.migration_for_user(
        user=request.user, migration_id=migration_id, action=policy.Action.PAY
    )
    found = pages.quotes(migration=migration)
    plan = pages.plan_from(request.GET.get("plan"))
    return render(
        request,
        "billing/quote.html",
        {
            "migration": migration,
            "quotes": found,
            "quote": found.for_plan(plan),
            "plan": plan,
            "pricing_currency": selectors.price_book().currency,
        },
    )


def _last_details(migration: Migration, user) -> dict[str, str]:
    """Fill the checkout with the details of the migration's last order, if any."""
    last = selectors.orders_of(migration=migration).first()
    if last is None:
        return {"billing_email": user.email}
    return {
        name: getattr(last, name)
        for name in ("company", "address", "postal_code", "city", "country", "vat_id")
    } | {"billing_email": last.billing_email, "plan": last.plan}


@wizard_step(steps.PAY)
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, migration: Migration) -> HttpResponse:
    paid = selectors.paid_order(migration=migration)
    if paid is not None:
        messages.info(request, _("This migration is already paid."))
        return redirect(_order_url(paid))
    found = pages.quotes(migration=migration)
    initial = _last_details(migration, request.user)
    if request.GET.get("plan"):
        initial["plan"] = pages.plan_from(request.GET["plan"])
    form = CheckoutForm(request.POST or None, initial=initial, plan_labels=pages.plan_labels(found))
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_submit(
                migration=migration,
                created_by=request.user,
                plan=Plan(form.cleaned_data["plan"]),
                details=form.details(),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                form.add_error(None, error)
        else:
            return _after_submit(request, order)
    chosen = pages.plan_from(form["plan"].value())
    return render_step(
        request,
        "billing/checkout.html",
        migration=migration,
        step=steps.PAY,
        context={
            "form": form,
            "quotes": found,
            "quote": found.for_plan(chosen),
            "chosen_plan": chosen,
            "by_invoice": settings.BILLING_PROVIDER == Order.Provider.MANUAL,
        },
        status=400 if request.method == "POST" else 200,
    )


def _checkout_urls(request: HttpRequest, order: Order) -> dict[str, str]:
    url = request.build_absolute_uri(_order_url(order))
    return {"success_url": url, "cancel_url": url}


def _after_submit(request: HttpRequest, order: Order) -> HttpResponse:
    if order.status == Order.Status.PAID:
        messages.success(request, _("Order submitted: there is nothing to pay."))
        return redirect(_order_url(order))
    try:
        payment_url = services.order_checkout(order=order, **_checkout_urls(request, order))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_order_url(order))
    if payment_url:
        return redirect(payment_url)
    messages.success(
        request,
        _("Order submitted. The invoice goes to %(email)s.") % {"email": order.billing_email},
    )
    return redirect(_order_url(order))


@wizard_step(steps.PAY)
def order(request: HttpRequest, migration: Migration, order_id: int) -> HttpResponse:
    found = selectors.order_for_user(user=request.user, migration=migration, order_id=order_id)
    if request.GET.get("session_id") and found.status == Order.Status.PENDING:
        # Back from the payment page: Stripe may not have notified us yet.
        found = services.order_refresh(order=found)
    return render_step(
        request,
        "billing/order.html",
        migration=migration,
        step=steps.PAY,
        context={
            "order": found,
            "quote": Quote.from_json(found.quote),
            "features": selectors.feature_states(migration=migration, order=found),
            **_run_state(migration),
        },
    )


@wizard_step(steps.PAY)
@require_POST
def order_pay(request: HttpRequest, migration: Migration, order_id: int) -> HttpResponse:
    """ "Pay now": back to the provider's payment page of a pending order."""
    found = selectors.order_for_user(user=request.user, migration=migration, order_id=order_id)
    try:
        payment_url = services.order_checkout(order=found, **_checkout_urls(request, found))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_order_url(found))
    if payment_url is None:
        messages.info(request, _("This order is paid by invoice."))
        return redirect(_order_url(found))
    return redirect(payment_url)


@login_required
def receipt(request: HttpRequest, migration_id: int, order_id: int) -> HttpResponse:
    """The receipt of a paid order (a document, printable; kept after archiving)."""
    migration = migrator_selectors.migration_for_user(
        user=request.user, migration_id=migration_id, action=policy.Action.VIEW_BILLING
    )
    found = selectors.order_for_user(user=request.user, migration=migration, order_id=order_id)
    if found.status not in (Order.Status.PAID, Order.Status.REFUNDED):
        raise Http404("No receipt: the order is not paid.")
    return render(
        request,
        "billing/receipt.html",
        {"migration": migration, "order": found, "quote": Quote.from_json(found.quote)},
    )


@wizard_step(steps.PAY)
@require_POST
def run_start(request: HttpRequest, migration: Migration) -> HttpResponse:
    """ "Start the full migration" once paid (the service refuses otherwise)."""
    policy.require(request.user, migration, policy.Action.RUN)
    try:
        migrator_services.run_start(
            migration=migration, kind=Run.Kind.FULL, created_by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(steps.PAY.url(migration))
    messages.success(request, _("The full migration has started."))
    return redirect(steps.RUN.url(migration))


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's signed notifications; a bad signature gets 400 and changes nothing."""
    try:
        services.webhook_receive(
            provider_key=Order.Provider.STRIPE,
            payload=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
        )
    except WebhookRefused:
        return HttpResponseBadRequest("invalid signature")
    return JsonResponse({"received": True})

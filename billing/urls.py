from django.urls import path

from billing import views

urlpatterns = [
    # The wizard's payment step (wizard/steps.py: PAY) and its pages.
    path("migrations/<int:migration_id>/pay/", views.pay, name="wizard_pay"),
    path("migrations/<int:migration_id>/pay/quote/", views.quote, name="billing_quote"),
    path("migrations/<int:migration_id>/pay/checkout/", views.checkout, name="billing_checkout"),
    path(
        "migrations/<int:migration_id>/pay/orders/<int:order_id>/",
        views.order,
        name="billing_order",
    ),
    path(
        "migrations/<int:migration_id>/pay/orders/<int:order_id>/pay/",
        views.order_pay,
        name="billing_order_pay",
    ),
    path(
        "migrations/<int:migration_id>/pay/orders/<int:order_id>/receipt/",
        views.receipt,
        name="billing_receipt",
    ),
    path("migrations/<int:migration_id>/pay/start/", views.run_start, name="billing_run_start"),
    path("billing/webhooks/stripe/", views.stripe_webhook, name="billing_stripe_webhook"),
]

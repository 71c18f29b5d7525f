from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from migrator.account_views import confirm_email
from migrator.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    # Before allauth's own: confirming an address signs its user in, once.
    path("accounts/confirm-email/<str:key>/", confirm_email, name="account_confirm_email"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz/", healthz, name="healthz"),
    path("", include("wizard.urls")),
    path("", include("billing.urls")),
]
if settings.SANDBOX_ENABLED:
    urlpatterns[:0] = [
        # Readable pages of the records the reports link to, then the emulators' APIs.
        path("sandbox/", include("wizard.sandbox_urls")),
        path("sandbox/", include("connectors.urls")),
    ]

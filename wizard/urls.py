from django.urls import path

from wizard.views import dashboard, overview

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("migrations/new/", dashboard.migration_create, name="migration_create"),
    path("migrations/<int:migration_id>/", overview.migration_continue, name="migration_continue"),
    path(
        "migrations/<int:migration_id>/rename/",
        dashboard.migration_rename,
        name="migration_rename",
    ),
    path("migrations/<int:migration_id>/row/", dashboard.migration_row, name="migration_row"),
    # The steps, in order (wizard/steps.py).
]

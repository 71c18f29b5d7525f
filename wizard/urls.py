from django.urls import path

from wizard.views import connect, dashboard, overview, scope, select

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
    path("migrations/<int:migration_id>/connect/", connect.connect, name="wizard_connect"),
    path(
        "migrations/<int:migration_id>/connect/<str:side>/",
        connect.connect_side,
        name="wizard_connect_side",
    ),
    path(
        "migrations/<int:migration_id>/connect/<str:side>/reuse/",
        connect.connect_reuse,
        name="wizard_connect_reuse",
    ),
    path("migrations/<int:migration_id>/scope/", scope.scope, name="wizard_scope"),
    path("migrations/<int:migration_id>/select/", select.select, name="wizard_select"),
]

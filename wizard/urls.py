from django.urls import path

from wizard.views import dashboard, overview
from wizard.views.mapping import mapping, mapping_values
from wizard.views.match import match
from wizard.views.options import options

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
    path("migrations/<int:migration_id>/match/", match, name="wizard_match"),
    path("migrations/<int:migration_id>/map/", mapping, name="wizard_map"),
    path(
        "migrations/<int:migration_id>/map/values/",
        mapping_values,
        name="wizard_map_values",
    ),
    path("migrations/<int:migration_id>/options/", options, name="wizard_options"),
]

from django.urls import path

from wizard.views import dashboard, overview
from wizard.views import demo as demo_views
from wizard.views import results as results_views
from wizard.views import runs as runs_views

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
    path("migrations/<int:migration_id>/demo/", demo_views.demo, name="wizard_demo"),
    path(
        "migrations/<int:migration_id>/demo/start/", demo_views.demo_start, name="wizard_demo_start"
    ),
    path(
        "migrations/<int:migration_id>/demo/restart/",
        demo_views.demo_restart,
        name="wizard_demo_restart",
    ),
    path("migrations/<int:migration_id>/run/", runs_views.full_run, name="wizard_run"),
    path(
        "migrations/<int:migration_id>/run/delta/", runs_views.delta_start, name="wizard_run_delta"
    ),
    # One run: its results, live progress, CSV reports and controls.
    path("runs/<int:run_id>/", results_views.run_results, name="wizard_run_results"),
    path("runs/<int:run_id>/progress/", results_views.run_progress, name="wizard_run_progress"),
    path("runs/<int:run_id>/records.csv", results_views.run_records_csv, name="wizard_run_csv"),
    path("runs/<int:run_id>/pause/", runs_views.run_pause, name="wizard_run_pause"),
    path("runs/<int:run_id>/resume/", runs_views.run_resume, name="wizard_run_resume"),
    path("runs/<int:run_id>/cancel/", runs_views.run_cancel, name="wizard_run_cancel"),
]

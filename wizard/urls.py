from django.urls import path

from wizard.views import connect, dashboard, members, overview, scope, select, support
from wizard.views import demo as demo_views
from wizard.views import results as results_views
from wizard.views import runs as runs_views
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
    path(
        "migrations/<int:migration_id>/delete/",
        dashboard.migration_delete,
        name="migration_delete",
    ),
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
    # Sharing: teammates, invitations, support access, activity.
    path("migrations/<int:migration_id>/members/", members.members, name="migration_members"),
    path(
        "migrations/<int:migration_id>/members/invite/",
        members.member_invite,
        name="migration_member_invite",
    ),
    path(
        "migrations/<int:migration_id>/members/<int:membership_id>/revoke/",
        members.member_revoke,
        name="migration_member_revoke",
    ),
    path(
        "migrations/<int:migration_id>/invitations/<int:invitation_id>/revoke/",
        members.invitation_revoke,
        name="migration_invitation_revoke",
    ),
    path(
        "migrations/<int:migration_id>/support/grant/",
        members.support_grant,
        name="migration_support_grant",
    ),
    path(
        "migrations/<int:migration_id>/support/revoke/",
        members.support_revoke,
        name="migration_support_revoke",
    ),
    path("migrations/<int:migration_id>/activity/", members.activity, name="migration_activity"),
    path("invitations/<str:token>/", members.invitation_accept, name="invitation_accept"),
    # The support console (support staff only).
    path("support/", support.console, name="support_console"),
    path("support/runs/<int:run_id>/", support.run_inspect, name="support_run"),
    path("support/runs/<int:run_id>/note/", support.run_note, name="support_run_note"),
    path("support/runs/<int:run_id>/resume/", support.run_resume, name="support_run_resume"),
    path("migrations/<int:migration_id>/match/", match, name="wizard_match"),
    path("migrations/<int:migration_id>/map/", mapping, name="wizard_map"),
    path(
        "migrations/<int:migration_id>/map/values/",
        mapping_values,
        name="wizard_map_values",
    ),
    path("migrations/<int:migration_id>/options/", options, name="wizard_options"),
    path("migrations/<int:migration_id>/demo/", demo_views.demo, name="wizard_demo"),
    path(
        "migrations/<int:migration_id>/demo/start/", demo_views.demo_start, name="wizard_demo_start"
    ),
    path(
        "migrations/<int:migration_id>/demo/restart/",
        demo_views.demo_restart,
        name="wizard_demo_restart",
    ),
    path(
        "migrations/<int:migration_id>/demo/remove/",
        demo_views.demo_rollback,
        name="wizard_demo_rollback",
    ),
    path("migrations/<int:migration_id>/run/", runs_views.full_run, name="wizard_run"),
    path(
        "migrations/<int:migration_id>/runs/history/",
        results_views.run_history,
        name="wizard_run_history",
    ),
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
    path("runs/<int:run_id>/verify/", runs_views.run_verify_again, name="wizard_run_verify"),
    path("runs/<int:run_id>/remigrate/", runs_views.run_remigrate, name="wizard_run_remigrate"),
    path("runs/<int:run_id>/recheck/", runs_views.run_recheck, name="wizard_run_recheck"),
    path(
        "runs/<int:run_id>/verification/",
        results_views.run_verification,
        name="wizard_run_verification",
    ),
]

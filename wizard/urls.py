from django.urls import path

from wizard.views import connect, dashboard, members, overview, scope, select, support
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
]

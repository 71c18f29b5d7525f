"""Teammates, invitations, support access and the activity log of a migration."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from migrator import policy, selectors, services
from migrator.models import Migration
from wizard.forms import InvitationForm, SupportGrantForm


def _members_page(
    request: HttpRequest,
    migration: Migration,
    *,
    invitation_form: InvitationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actions = policy.allowed_actions(request.user, migration)
    return render(
        request,
        "wizard/members.html",
        {
            "migration": migration,
            "owner": migration.owner,
            "members": selectors.members_of(migration=migration),
            "invitations": selectors.open_invitations_of(migration=migration),
            "support_grant": selectors.active_support_grant(migration=migration),
            "can_manage": policy.Action.MANAGE_MEMBERS in actions,
            "can_view_activity": policy.Action.VIEW_ACTIVITY in actions,
            "invitation_form": invitation_form or InvitationForm(),
            "support_form": SupportGrantForm(),
        },
        status=status,
    )


@login_required
@require_GET
def members(request: HttpRequest, migration_id: int) -> HttpResponse:
    migration = selectors.migration_for_user(user=request.user, migration_id=migration_id)
    return _members_page(request, migration)


@login_required
@require_POST
def member_invite(request: HttpRequest, migration_id: int) -> HttpResponse:
    migration = selectors.migration_for_user(
        user=request.user, migration_id=migration_id, action=policy.Action.MANAGE_MEMBERS
    )
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                migration=migration,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
                accept_url_for=lambda token: request.build_absolute_uri(
                    reverse("invitation_accept", args=[token])
                ),
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("migration_members", migration.pk)
    return _members_page(request, migration, invitation_form=form, status=400)


@login_required
@require_POST
def member_revoke(request: HttpRequest, migration_id: int, membership_id: int) -> HttpResponse:
    migration = selectors.migration_for_user(
        user=request.user, migration_id=migration_id, action=policy.Action.MANAGE_MEMBERS
    )
    membership = selectors.members_of(migration=migration).filter(pk=membership_id).first()
    if membership is None:
        raise Http404("No such member.")
    services.membership_revoke(membership=membership, revoked_by=request.user)
    messages.success(request, _("%(email)s no longer has access.") % {"email": membership.user})
    return redirect("migration_members", migration.pk)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, migration_id: int, invitation_id: int) -> HttpResponse:
    migration = selectors.migration_for_user(
        user=request.user, migration_id=migration_id, action=policy.Action.MANAGE_MEMBERS
    )
    invitation = selectors.open_invitations_of(migration=migration).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("No such invitation.")
    services.invitation_revoke(invitation=invitation, revoked_by=request.user)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("migration_members", migration.pk)


@login_required
@require_POST
def support_grant(request: HttpRequest, migration_id: int) -> HttpResponse:
    migration = selectors.migration_for_user(
        user=request.user, migration_id=migration_id, action=policy.Action.MANAGE_MEMBERS
    )
    form = SupportGrantForm(request.POST)
    if form.is_valid():
        try:
            services.support_grant(
                migration=migration, granted_by=request.user, days=form.cleaned_data["days"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Support staff may now look into this migration."))
    else:
        messages.error(request, _("Grant access for 1 to 90 days."))
    return redirect("migration_members", migration.pk)


@login_required
@require_POST
def support_revoke(request: HttpRequest, migration_id: int) -> HttpResponse:
    migration = selectors.migration_for_user(
        user=request.user, migration_id=migration_id, action=policy.Action.MANAGE_MEMBERS
    )
    services.support_revoke(migration=migration, revoked_by=request.user)
    messages.success(request, _("Support access revoked."))
    return redirect("migration_members", migration.pk)


@login_required
@require_GET
def activity(request: HttpRequest, migration_id: int) -> HttpResponse:
    migration = selectors.migration_for_user(
        user=request.user, migration_id=migration_id, action=policy.Action.VIEW_ACTIVITY
    )
    return render(
        request,
        "wizard/activity.html",
        {"migration": migration, "events": selectors.audit_events_shown(migration=migration)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_from_token(token=token)
    except ValidationError as error:
        return render(
            request, "wizard/invitation.html", {"problem": " ".join(error.messages)}, status=400
        )
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except ValidationError as error:
            return render(
                request,
                "wizard/invitation.html",
                {"invitation": invitation, "problem": " ".join(error.messages)},
                status=400,
            )
        messages.success(
            request,
            _("You joined “%(name)s”.") % {"name": membership.migration.name},
        )
        return redirect("migration_continue", membership.migration_id)
    return render(request, "wizard/invitation.html", {"invitation": invitation})

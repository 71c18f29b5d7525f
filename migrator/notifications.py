"""E-mails about a migration: invitations, a finished demo, a paused or completed run.

Each goes to the people it concerns in plain text, links back to the site
(``settings.SITE_URL``) and never carries credentials or customer data.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from migrator.models import Invitation, Membership, Migration, Run

logger = logging.getLogger(__name__)


def _send(*, template: str, recipients: list[str], context: dict[str, object]) -> None:
    if not recipients:
        return
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    body = render_to_string(f"emails/{template}.txt", context)
    prefix = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
    send_mail(prefix + subject, body, None, recipients, fail_silently=False)


def _people_following(migration: Migration) -> list[str]:
    """The owner and every teammate: all of them follow the runs."""
    emails = [migration.owner.email]
    emails += Membership.objects.filter(migration=migration).values_list("user__email", flat=True)
    return list(dict.fromkeys(emails))


def _migration_url(migration: Migration) -> str:
    return settings.SITE_URL + reverse("migration_continue", args=[migration.pk])


def invitation_send(*, invitation: Invitation, accept_url: str) -> None:
    _send(
        template="invitation",
        recipients=[invitation.email],
        context={
            "invitation": invitation,
            "migration": invitation.migration,
            "inviter": invitation.invited_by,
            "accept_url": accept_url,
        },
    )


def _send_quietly(**kwargs) -> None:
    # A mail server that is down must not stop or fail a run: the page shows it all anyway.
    try:
        _send(**kwargs)
    except Exception:
        logger.exception("could not send the %s e-mail", kwargs.get("template"))


def run_finished(*, run: Run) -> None:
    """A demo finished, or a full run, delta or re-migration completed."""
    migration = run.migration
    _send_quietly(
        template="demo_finished" if run.kind == Run.Kind.DEMO else "run_completed",
        recipients=_people_following(migration),
        context={"run": run, "migration": migration, "url": _migration_url(migration)},
    )


def run_paused(*, run: Run) -> None:
    """A run stopped by itself (an error, not the user): say why."""
    migration = run.migration
    _send_quietly(
        template="run_paused",
        recipients=_people_following(migration),
        context={"run": run, "migration": migration, "url": _migration_url(migration)},
    )


def _order_people(order) -> list[str]:
    """Who ordered and the billing address the page names (once each)."""
    emails = [order.billing_email]
    if order.created_by is not None and order.created_by.email:
        emails.append(order.created_by.email)
    return list(dict.fromkeys(email for email in emails if email))


def _order_context(order) -> dict[str, object]:
    from billing.pricing import Quote

    migration = order.migration
    pair = ""
    if migration.source is not None and migration.target is not None:
        pair = f"{migration.source} → {migration.target}"
    return {
        "order": order,
        "migration": migration,
        "pair": pair,
        "quote": Quote.from_json(order.quote),
        "by_invoice": order.provider == "manual",
        "order_url": settings.SITE_URL + reverse("billing_order", args=[migration.pk, order.pk]),
        "receipt_url": settings.SITE_URL
        + reverse("billing_receipt", args=[migration.pk, order.pk]),
    }


def order_submitted(*, order) -> None:
    """An order awaits payment: its quote to the buyer; the invoice itself when it is paid
    by invoice (what the order page says)."""
    _send_quietly(
        template="order_submitted", recipients=_order_people(order), context=_order_context(order)
    )


def order_paid(*, order) -> None:
    """An order is paid: the receipt, with the link to its printable page."""
    _send_quietly(
        template="order_paid", recipients=_order_people(order), context=_order_context(order)
    )

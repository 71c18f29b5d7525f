"""The sentences that go with a time estimate: each side's rate limit and where it comes
from, the requests a ticket costs there, the ticket shape assumed, the side that sets the
pace; and during a run, the wait for a platform's limit."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from migrator.engine.progress import Estimate, LimitOrigin, SideLimit
from migrator.models import Migration
from wizard.text import platform_name


def _requests(value: float) -> str:
    """ "7", "2.1" ("2,1" in French): a tenth is enough for requests a ticket."""
    rounded = round(value, 1)
    return number_format(rounded, decimal_pos=0 if rounded == int(rounded) else 1)


def _limit_sentence(*, platform: str, limit: SideLimit, requests: float | None) -> str:
    if limit.origin is LimitOrigin.NONE:
        if requests is None:
            return gettext("%(platform)s: no rate limit on this account.") % {"platform": platform}
        return gettext(
            "%(platform)s: no rate limit on this account; about %(requests)s requests a ticket."
        ) % {"platform": platform, "requests": _requests(requests)}
    origin = {
        LimitOrigin.ENTERED: gettext("entered on the connection"),
        LimitOrigin.LEARNED: gettext("announced by %(platform)s") % {"platform": platform},
        LimitOrigin.DEFAULT: gettext("%(platform)s's usual plan") % {"platform": platform},
    }[limit.origin]
    values = {
        "platform": platform,
        "limit": number_format(round(limit.per_minute), force_grouping=True),
        "origin": origin,
    }
    if requests is None:
        return (
            gettext("%(platform)s allows %(limit)s requests a minute on this account (%(origin)s).")
            % values
        )
    return gettext(
        "%(platform)s allows %(limit)s requests a minute on this account (%(origin)s); "
        "about %(requests)s requests a ticket."
    ) % {**values, "requests": _requests(requests)}


def binding_sentence(platform: str) -> str:
    return gettext("%(platform)s's limit sets the pace.") % {"platform": platform}


def estimate_sentences(*, migration: Migration, estimate: Estimate) -> list[str]:
    """What the estimate assumed, in the reader's language."""
    source = platform_name(migration.source.platform) if migration.source else ""
    target = platform_name(migration.target.platform) if migration.target else ""
    sentences = [
        _limit_sentence(
            platform=source, limit=estimate.source, requests=estimate.source_requests_per_ticket
        ),
        _limit_sentence(
            platform=target, limit=estimate.target, requests=estimate.target_requests_per_ticket
        ),
    ]
    if estimate.binding:
        sentences.append(binding_sentence(source if estimate.binding == "source" else target))
    if estimate.source_requests_per_ticket is not None and estimate.shape.assumed:
        attachments = round(estimate.shape.attachments)
        sentences.append(
            ngettext(
                "Tickets are counted at %(comments)s comments and %(attachments)s attachment "
                "each on average: the source does not count them.",
                "Tickets are counted at %(comments)s comments and %(attachments)s attachments "
                "each on average: the source does not count them.",
                attachments,
            )
            % {"comments": round(estimate.shape.comments), "attachments": attachments}
        )
    return sentences


def waiting_sentence(*, platform: str, until: datetime, now: datetime | None = None) -> str:
    """A run waiting for a platform's rate limit, and for how long."""
    seconds = max(1, round((until - (now or timezone.now())).total_seconds()))
    return gettext("Waiting for %(platform)s's rate limit; continues in about %(seconds)s s.") % {
        "platform": platform,
        "seconds": seconds,
    }

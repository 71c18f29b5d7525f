"""What a user reads when a platform refuses a request, per HTTP status: without, then
with, the platform's own words."""

from __future__ import annotations

from connectors.messages import gettext_noop

#: Per status: the message without, then with, the platform's own words.
STATUS_MESSAGES: dict[int, tuple[str, str]] = {
    401: (
        gettext_noop(
            "%(platform)s rejected the credentials (HTTP 401); check the API token or password"
        ),
        gettext_noop(
            "%(platform)s rejected the credentials (HTTP 401); check the API token or "
            "password. %(platform)s said: %(answer)s"
        ),
    ),
    403: (
        gettext_noop(
            "%(platform)s accepted the credentials but refused access (HTTP 403); the account "
            "may lack the permissions this migration needs"
        ),
        gettext_noop(
            "%(platform)s accepted the credentials but refused access (HTTP 403); the account "
            "may lack the permissions this migration needs. %(platform)s said: %(answer)s"
        ),
    ),
    404: (
        gettext_noop("%(platform)s answered 404 (no such record)"),
        gettext_noop("%(platform)s answered 404 (no such record): %(answer)s"),
    ),
    410: (
        gettext_noop("%(platform)s answered 410 (the record is gone)"),
        gettext_noop("%(platform)s answered 410 (the record is gone): %(answer)s"),
    ),
    400: (
        gettext_noop("%(platform)s refused the record (HTTP 400)"),
        gettext_noop("%(platform)s refused the record (HTTP 400): %(answer)s"),
    ),
    422: (
        gettext_noop("%(platform)s refused the record (HTTP 422)"),
        gettext_noop("%(platform)s refused the record (HTTP 422): %(answer)s"),
    ),
    409: (
        gettext_noop("%(platform)s answered 409 (a conflict with what it already holds)"),
        gettext_noop(
            "%(platform)s answered 409 (a conflict with what it already holds): %(answer)s"
        ),
    ),
    413: (
        gettext_noop("%(platform)s answered 413 (too large to accept)"),
        gettext_noop("%(platform)s answered 413 (too large to accept): %(answer)s"),
    ),
}
OTHER_STATUS = (
    gettext_noop("%(platform)s refused the request (HTTP %(status)s)"),
    gettext_noop("%(platform)s refused the request (HTTP %(status)s): %(answer)s"),
)

"""Every page says what it may load (Content-Security-Policy) and which browser features
it may use (Permissions-Policy); report downloads are never stored by a cache."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from migrator import services
from tests.support import REPO_ROOT
from tests.wizard.conftest import recorded_run

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    directives = [part.strip() for part in header.split(";") if part.strip()]
    return {name: value for name, _, value in (d.partition(" ") for d in directives)}


def assert_hardened(response) -> None:
    csp = policy(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


def test_pages_of_a_signed_out_visitor_carry_the_policies(client):
    for url in (reverse("account_login"), reverse("account_signup"), "/admin/login/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_hardened(response)
    assert_hardened(client.get("/no-such-page/"))


def test_wizard_pages_and_partials_carry_the_policies(client, user):
    migration = services.migration_create(owner=user, name="Headers")
    client.force_login(user)
    for url in (
        reverse("dashboard"),
        reverse("wizard_connect", args=[migration.pk]) + "?source_platform=zendesk",
        reverse("migration_row", args=[migration.pk]),
    ):
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, url
        assert_hardened(response)


def test_the_health_check_carries_the_policies(client):
    assert_hardened(client.get(reverse("healthz")))


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


@pytest.mark.parametrize("folder", ["templates", "static/js"])
def test_the_templates_hold_no_inline_script_handler_or_style(folder):
    offenders = []
    for path in sorted((REPO_ROOT / folder).rglob("*")):
        if not path.is_file() or path.suffix not in (".html", ".txt", ".js", ".css"):
            continue
        text = path.read_text()
        if path.suffix == ".html":
            for pattern in (INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE, JAVASCRIPT_URL):
                offenders += [f"{path.relative_to(REPO_ROOT)}: {m}" for m in pattern.findall(text)]
        elif path.suffix == ".js" and re.search(
            # Inline styles set through markup or setAttribute would break under the policy.
            r"setAttribute\(\s*[\"']style|innerHTML\s*=.*style=",
            text,
        ):
            offenders.append(str(path.relative_to(REPO_ROOT)))
    assert not offenders, offenders


def test_htmx_does_not_insert_its_own_style_element(client, user):
    client.force_login(user)
    page = client.get(reverse("dashboard")).content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', page)
    assert config is not None
    assert json.loads(config.group(1)) == {"includeIndicatorStyles": False, "allowEval": False}
    css = (REPO_ROOT / "static" / "css" / "site.css").read_text()
    assert ".htmx-indicator" in css


def test_report_downloads_are_not_stored(client, user):
    migration = services.migration_create(owner=user, name="Report")
    run = recorded_run(migration, tickets=5)
    client.force_login(user)
    for query in ({}, {"outcome": "failed"}):
        response = client.get(reverse("wizard_run_csv", args=[run.pk]), query)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert_hardened(response)

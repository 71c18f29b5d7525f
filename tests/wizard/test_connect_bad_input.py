"""Step 1, connect: bad input on every platform's form gives a form error, never a 500,
and a help desk at a bracketed IPv6 address connects when private networks are allowed."""

from __future__ import annotations

import html
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread
from django.urls import reverse

from connectors.sandbox import SANDBOX_ACCOUNT_SLUG, sandbox_platform
from migrator import services
from migrator.crypto import encrypt_credentials
from migrator.models import Connection
from tests.wizard.conftest import TARGET_PLAN

pytestmark = pytest.mark.django_db(transaction=True)

#: Per platform: its address fields and the secret that goes into a header or a body.
FORM_FIELDS: dict[str, dict[str, Any]] = {
    "zendesk": {
        "urls": ["url"],
        "secret": "api_token",
        "other": {"email": "admin@acme.example"},
    },
    "freshdesk": {"urls": ["url"], "secret": "api_key", "other": {}},
    "edesk": {"urls": ["api_url"], "secret": "api_token", "other": {}},
    "teamwork_desk": {"urls": ["url"], "secret": "api_key", "other": {}},
    "halo": {
        "urls": ["resource_server", "auth_server"],
        "secret": "client_secret",
        "other": {"client_id": "migration-app"},
    },
}
PLATFORMS = list(FORM_FIELDS)
PLAIN_TOKEN = "a-plain-token-123"


@pytest.fixture
def migration(user):
    return services.migration_create(owner=user, name="Bad input")


def side_url(migration) -> str:
    return reverse("wizard_connect_side", args=[migration.pk, "source"])


def form_data(platform: str, *, url: str, secret: str = PLAIN_TOKEN) -> dict[str, str]:
    fields = FORM_FIELDS[platform]
    values = {name: url for name in fields["urls"]}
    values.update(fields["other"])
    values[fields["secret"]] = secret
    return {"platform": platform, **{f"source-{name}": value for name, value in values.items()}}


def post_form(client, migration, data: dict[str, str]) -> str:
    """The page the form answers with: shown again (200), with nothing connected."""
    response = client.post(side_url(migration), data)
    assert response.status_code == 200, response.status_code
    assert not Connection.objects.exists()
    migration.refresh_from_db()
    assert migration.source is None
    return html.unescape(response.content.decode())


@pytest.fixture
def signed_in(client, user, settings):
    settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = False
    client.force_login(user)
    return client


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("url", ["https://[::1]:8443/", "https://[2001:db8::5]/"])
def test_an_ipv6_address_is_refused_by_the_guard_when_private_networks_are_not_allowed(
    signed_in, migration, platform, url
):
    page = post_form(signed_in, migration, form_data(platform, url=url))
    host = url.split("[", 1)[1].split("]", 1)[0]
    assert f"Refusing to connect to {host}: it is a private or local address" in page


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("url", ["https://010.0.0.1/", "127.000.000.001", "http://0x7f.1:8000"])
def test_an_ip_address_written_ambiguously_is_refused(signed_in, migration, platform, url):
    page = post_form(signed_in, migration, form_data(platform, url=url))
    host = url.split("://")[-1].split(":")[0].strip("/")
    assert f"{host} is ambiguous: write the IP address as four numbers" in page


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_ambiguous_address_is_refused_even_where_private_networks_are_allowed(
    signed_in, migration, platform, settings
):
    settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = True
    page = post_form(signed_in, migration, form_data(platform, url="https://010.0.0.1/"))
    assert "is ambiguous" in page


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(
    "url",
    [
        "https://" + "a" * 10_000 + ".example.com/",
        "https://acme.example.com/" + "x" * 10_000,
    ],
    ids=["long-host", "long-path"],
)
def test_a_ten_thousand_character_address_is_refused(signed_in, migration, platform, url):
    page = post_form(signed_in, migration, form_data(platform, url=url))
    assert "Ensure this value has at most" in page


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(
    "host", ["a" * 64 + ".example.com", ".".join(["abcdefghij"] * 26)], ids=["label", "name"]
)
def test_a_host_name_longer_than_dns_allows_is_refused(signed_in, migration, platform, host):
    page = post_form(signed_in, migration, form_data(platform, url=f"https://{host}/"))
    assert "This address is too long to be a host name" in page


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("port", ["99999", "eighty"])
def test_a_port_that_is_no_port_is_refused(signed_in, migration, platform, port):
    page = post_form(signed_in, migration, form_data(platform, url=f"https://acme.example:{port}"))
    assert "Enter a port number between 1 and 65535" in page


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("secret", ["tökén✓", "token\nX-Injected: yes"])
def test_a_secret_headers_cannot_carry_is_refused(signed_in, migration, platform, secret):
    data = form_data(platform, url="https://acme.example.com", secret=secret)
    page = post_form(signed_in, migration, data)
    assert "Use only unaccented letters, digits and punctuation" in page
    assert secret not in page


def test_the_messages_are_translated(signed_in, migration):
    signed_in.cookies["django_language"] = "fr"
    page = post_form(signed_in, migration, form_data("freshdesk", url="https://010.0.0.1/"))
    assert "est ambiguë" in page
    page = post_form(
        signed_in,
        migration,
        form_data("freshdesk", url="https://acme.example.com", secret="tökén✓"),
    )
    assert "Utilisez uniquement des lettres sans accent" in page


# --- a help desk at a bracketed IPv6 address ---------------------------------------------


class _IPv6Server(ThreadedWSGIServer):
    address_family = socket.AF_INET6


class _IPv6LiveServerThread(LiveServerThread):
    server_class = _IPv6Server


@pytest.fixture
def ipv6_site(settings, transactional_db) -> Iterator[str]:
    """The site, sandbox help desks included, served over HTTP on [::1]."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = True
    settings.SANDBOX_ENABLED = True
    thread = _IPv6LiveServerThread("::1", StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield f"http://[::1]:{thread.port}"
    finally:
        thread.terminate()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_help_desk_at_an_ipv6_address_connects_when_private_networks_are_allowed(
    client, user, migration, ipv6_site, platform
):
    sandbox = sandbox_platform(platform)
    account = sandbox.account_create(
        slug=SANDBOX_ACCOUNT_SLUG, name=f"Acme on {platform}", rate_limit_per_minute=0
    )
    sandbox.seed(account=account, plan=TARGET_PLAN)
    credentials = sandbox.credentials(account=account, site_url=ipv6_site + "/")
    client.force_login(user)
    data = {"platform": platform, **{f"source-{k}": v for k, v in credentials.items()}}
    response = client.post(side_url(migration), data)
    assert response.status_code == 302, html.unescape(response.content.decode())[-3000:]
    migration.refresh_from_db()
    assert migration.source is not None
    assert migration.source.platform == platform
    assert migration.source.verified_at is not None
    page = client.get(reverse("wizard_connect", args=[migration.pk])).content.decode()
    assert f'data-connected="{platform}"' in page


def test_an_earlier_connection_the_checks_now_refuse_asks_to_connect_again(signed_in, migration):
    # Stored before these checks existed: a token no header can carry.
    earlier = Connection.objects.create(
        owner=migration.owner,
        platform="freshdesk",
        encrypted_credentials=encrypt_credentials(
            credentials={"url": "https://acme.freshdesk.com", "api_key": "tökén✓"}
        ),
        account_name="Acme",
    )
    reuse = reverse("wizard_connect_reuse", args=[migration.pk, "source"])
    response = signed_in.post(reuse, {"connection": earlier.pk})
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "The saved credentials of this connection are no longer accepted" in page
    assert "tökén" not in page
    migration.refresh_from_db()
    assert migration.source is None

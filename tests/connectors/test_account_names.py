"""Every platform names an account readably, a loopback or IP sandbox address too."""

from __future__ import annotations

import pytest

from connectors.freshdesk.connector import account_name_from_url as freshdesk_name
from connectors.halo.connector import account_name_from_url as halo_name
from connectors.naming import account_name_from_url
from connectors.teamwork_desk.connector import account_name_from_url as teamwork_name


@pytest.mark.parametrize(
    ("name_of", "hosted", "sandbox"),
    [
        (halo_name, "https://acme.halopsa.com/api", "http://127.0.0.1:8123/sandbox/halo/acme/api"),
        (
            freshdesk_name,
            "https://acme.freshdesk.com",
            "http://127.0.0.1:8123/sandbox/freshdesk/acme",
        ),
        (
            teamwork_name,
            "https://acme.teamwork.com",
            "http://localhost:8123/sandbox/teamwork_desk/acme",
        ),
    ],
)
def test_hosted_and_sandbox_accounts_are_named_acme(name_of, hosted, sandbox):
    assert name_of(hosted) == "acme"
    assert name_of(sandbox) == "acme"


def test_halo_on_a_loopback_address_is_not_named_by_its_first_octet():
    assert halo_name("http://127.0.0.1:8123/api") == "Halo sandbox"
    assert halo_name("http://[::1]:8123/api") == "Halo sandbox"
    assert halo_name("https://halo.acme.example/api") == "halo"


def test_a_bare_ip_address_gets_the_platform_sandbox_name():
    for url in ("http://127.0.0.1:9000", "http://10.1.2.3/", "http://localhost:8000/api/v2"):
        name = account_name_from_url(url, hosted_domain="zendesk.com", display_name="Zendesk")
        assert name == "Zendesk sandbox"
        assert not name[0].isdigit()

"""Redis stopped under the site (a redis-server of the test's own): every page a signed-in
owner visits answers as it does with Redis up (the cache is a cache, the shared rate budget
of the help desks' APIs falls back to this process), and /healthz/ names Redis."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client

from connectors.http import http_client_from_settings
from migrator.cache import redis_cache_settings
from tests.wizard.conftest import InProcessTransport
from tests.wizard.test_permission_matrix import MATRIX, ROLES, _ask, billing_on, build_world

pytestmark = pytest.mark.django_db

__all__ = ["billing_on"]

OWNER = ROLES.index("owner")


@pytest.fixture
def site_on_own_redis(settings, own_redis, monkeypatch):
    """The site's cache, broker and the connectors' rate budget on the test's own Redis;
    the help desks are the sandbox emulators, reached in-process."""
    settings.REDIS_URL = own_redis.url
    settings.CELERY_BROKER_URL = own_redis.url
    settings.CACHES = {"default": redis_cache_settings(redis_url=own_redis.url)}
    settings.ALLOWED_HOSTS = ["*"]
    settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = True
    # The emulators' records live in this test's transaction: one thread reads them.
    monkeypatch.setattr("connectors.zendesk.connector.COMMENT_READERS", 1)

    def http_client(**options):
        return http_client_from_settings(
            transport=InProcessTransport(), backoff_base=0.01, backoff_cap=0.05, **options
        )

    monkeypatch.setattr("migrator.engine.connectors.http_client_from_settings", http_client)
    return own_redis


@pytest.fixture
def enqueued(monkeypatch):
    from migrator import tasks

    sent: list[int] = []
    monkeypatch.setattr(
        tasks.batch_execute, "apply_async", lambda args, **options: sent.append(args[0])
    )
    return sent


def counts(page) -> list[str]:
    """The record counts the select page shows, one per entity."""
    return re.findall(r'data-count="([^"]*)"', page.content.decode())


def owner_answers(world) -> dict[str, int | str]:
    return {
        name: _ask(world, "owner", "GET", name, route)
        for name, route in sorted(MATRIX.items())
        if name != "healthz"
    }


def test_every_page_answers_while_redis_is_stopped(
    client, make_user, user, billing_on, site_on_own_redis, enqueued
):
    assert django_settings.CACHES["default"]["LOCATION"] == site_on_own_redis.url
    world = build_world(make_user=make_user, user=user)
    expected = {
        name: route.get[OWNER] for name, route in sorted(MATRIX.items()) if name != "healthz"
    }
    assert owner_answers(world) == expected, "the pages differ with Redis up"

    site_on_own_redis.stop()
    answers = owner_answers(world)
    wrong = [
        f"GET {name}: {answers[name]}, expected {expected[name]}"
        for name in expected
        if answers[name] != expected[name]
    ]
    assert not wrong, "with Redis stopped:\n" + "\n".join(wrong)

    client.force_login(user)
    select = client.get(f"/migrations/{world.migration.pk}/select/")
    assert select.status_code == 200
    assert counts(select), "the source was not counted with Redis stopped"
    health = client.get("/healthz/")
    assert health.status_code == 503
    assert health.json()["checks"]["redis"] == "down"


def test_a_page_cached_before_the_outage_is_computed_again_during_it(
    client, user, site_on_own_redis, enqueued
):
    from tests.wizard.conftest import sandbox_pair_create

    pair = sandbox_pair_create(owner=user)
    client.force_login(user)
    url = f"/migrations/{pair.migration.pk}/select/"
    before = client.get(url)
    assert before.status_code == 200
    site_on_own_redis.stop()
    during = client.get(url)
    assert during.status_code == 200
    assert counts(during) == counts(before)
    assert all(counts(during))


def test_signing_in_and_staying_signed_in_need_no_redis(client, user, site_on_own_redis):
    from allauth.account.models import EmailAddress
    from django.urls import reverse

    from tests.conftest import PASSWORD

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    signed_in = Client()
    assert (
        signed_in.post(
            reverse("account_login"), {"login": user.email, "password": PASSWORD}
        ).status_code
        == 302
    )
    site_on_own_redis.stop()
    # The session made while Redis was up is still there.
    assert signed_in.get(reverse("dashboard")).status_code == 200
    # Signing in (its rate limits are counted in the cache) still works.
    answer = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert answer.status_code == 302
    assert answer["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200

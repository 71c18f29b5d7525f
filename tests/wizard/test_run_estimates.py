"""What the estimate says it assumes before a run, and what the progress says during one:
the side whose limit sets the pace, and a wait for a platform's rate limit, in English
and in French."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from connectors.models import EmulatedAccount
from connectors.sandbox import sandbox_platform
from migrator import services
from migrator.models import Run, RunBatch, RunEntity
from tests.wizard.conftest import SITE_URL

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _estimates_without_verification(request):
    """The sentences give the declared writes; reading back is tested in test_progress."""
    if "sandbox" in request.fixturenames:
        migration = request.getfixturevalue("sandbox").migration
        migration.options = {**(migration.options or {}), "verify_migrated": False}
        migration.save(update_fields=["options"])


def test_the_estimate_names_each_limit_and_where_it_comes_from(client, user, sandbox):
    source, target = sandbox.migration.source, sandbox.migration.target
    source.rate_limit_per_minute = None
    source.save()
    target.rate_limit_per_minute, target.rate_limit_learned = None, 200
    target.save()
    client.force_login(user)
    response = client.get(reverse("wizard_run", args=[sandbox.migration.pk]))
    sentences = response.context["estimate_assumptions"]
    assert sentences[0].startswith(
        "Zendesk allows 200 requests a minute on this account (Zendesk's usual plan); about "
    )
    assert sentences[1] == (
        "Freshdesk allows 200 requests a minute on this account (announced by Freshdesk); "
        "about 6 requests a ticket."
    )
    assert sentences[2] == "Freshdesk's limit sets the pace."
    assert "data-estimate-assumptions" in response.content.decode()

    client.cookies["django_language"] = "fr"
    response = client.get(reverse("wizard_run", args=[sandbox.migration.pk]))
    sentences = response.context["estimate_assumptions"]
    assert sentences[1] == (
        "Freshdesk accepte 200 requêtes par minute sur ce compte (limite annoncée par Freshdesk) ; "
        "environ 6 requêtes par ticket."
    )
    assert sentences[2] == "C\u2019est la limite de Freshdesk qui fixe le rythme."
    assert sentences[3] == (
        "Chaque ticket est compté avec 5 commentaires et 1 pièce jointe en moyenne : "
        "la source ne les compte pas."
    )


def test_no_limit_on_either_side_is_said(client, user, sandbox):
    # The sandbox's connections say their accounts have no limit (0).
    client.force_login(user)
    response = client.get(reverse("wizard_run", args=[sandbox.migration.pk]))
    sentences = response.context["estimate_assumptions"]
    assert sentences[0].startswith("Zendesk: no rate limit on this account; about ")
    assert sentences[1] == "Freshdesk: no rate limit on this account; about 6 requests a ticket."
    assert not any("sets the pace" in sentence for sentence in sentences)


def test_the_progress_says_whose_limit_the_run_waits_for(client, user, sandbox):
    target = sandbox.migration.target
    target.rate_limit_per_minute = 120
    target.save()
    run = services.run_start(migration=sandbox.migration, kind=Run.Kind.FULL)
    Run.objects.filter(pk=run.pk).update(status=Run.Status.RUNNING, started_at=timezone.now())
    RunEntity.objects.create(run=run, entity="tickets", position=0, available=40, status="running")
    RunBatch.objects.create(
        run=run,
        entity="tickets",
        sequence=99,
        waiting_on="target",
        not_before=timezone.now() + timedelta(seconds=40),
    )
    client.force_login(user)
    url = reverse("wizard_run_progress", args=[run.pk])
    content = client.get(url).content.decode()
    assert "Freshdesk&#x27;s limit sets the pace." in content
    assert "Waiting for Freshdesk&#x27;s rate limit; continues in about " in content
    seconds = int(content.split("continues in about ")[1].split(" s.")[0])
    assert 35 <= seconds <= 40

    client.cookies["django_language"] = "fr"
    content = client.get(url).content.decode()
    assert "En attente de la limite de requêtes de Freshdesk ; reprise dans environ" in content


@pytest.mark.parametrize(("platform", "plan_limit"), [("freshdesk", 300), ("zendesk", 700)])
def test_connecting_keeps_the_limit_the_platform_announces(
    user, in_process_emulators, platform, plan_limit
):
    sandbox = sandbox_platform(platform)
    account = sandbox.account_create(
        slug=f"announce-{platform}", name="Announcing", rate_limit_per_minute=plan_limit
    )
    connection = services.connection_create(
        owner=user,
        platform=platform,
        credentials=sandbox.credentials(account=account, site_url=SITE_URL),
        rate_limit_per_minute=None,
    )
    connection.refresh_from_db()
    assert connection.rate_limit_learned == plan_limit
    assert connection.rate_limit_learned_at is not None
    # Checked again later: the announcement is read again.
    EmulatedAccount.objects.filter(pk=account.pk).update(rate_limit_per_minute=plan_limit // 2)
    services.connection_verify(connection=connection)
    connection.refresh_from_db()
    assert connection.rate_limit_learned == plan_limit // 2

"""Every address of the site, asked by everyone: the owner, a teammate with full access,
one with restricted access, a stranger, someone not signed in, and support staff with and
without the owner's grant. Each answer must be the one migrator.policy gives them.

The routes are read from the URL resolver: a route that is not in :data:`MATRIX` (nor
under a prefix of :data:`OUTSIDE_THE_MATRIX`) fails ``test_every_route_is_in_the_matrix``,
so a new page, download, htmx partial or run control cannot ship unchecked.

Each request runs in a savepoint rolled back afterwards: a POST that is allowed does its
work (and its answer is checked) without changing what the next person sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from billing import services as billing_services
from connectors.sandbox import sandbox_platform
from connectors.schema import Entity
from migrator import policy, services
from migrator.models import (
    Invitation,
    Membership,
    Migration,
    Run,
    RunBatch,
    RunEntity,
    SupportGrant,
    User,
)
from reports.models import RunRecord
from tests.billing.conftest import DETAILS, install_test_prices
from tests.wizard.conftest import SITE_URL, SOURCE_PLAN, TARGET_PLAN, sandbox_pair_create

pytestmark = pytest.mark.django_db

ROLES = ("owner", "full", "restricted", "outsider", "anonymous", "support", "support_no_grant")
#: A redirect to the log-in page (the answer to anyone not signed in).
LOGIN = "login"
#: Prefixes of routes that are not the migrations' pages, and why they are left out.
OUTSIDE_THE_MATRIX = {
    "admin/": "Django's admin: staff only, by its own permissions",
    "accounts/": "sign-up, log-in and e-mail confirmation (allauth): no migration in them",
    "i18n/": "the language switch",
    "sandbox/": "the emulated help desks' APIs, behind their own API credentials",
}


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    """A migration with something on every page, shared with each role."""

    users: dict[str, User]
    migration: Migration
    demo: Run
    paused: Run
    order_id: int
    membership: Membership
    invitation: Invitation
    token: str
    scoped: Migration
    grants: list[SupportGrant] = field(default_factory=list)


def _share(migration: Migration, users: dict[str, User]) -> list[SupportGrant]:
    owner = users["owner"]
    Membership.objects.create(
        migration=migration, user=users["full"], role=Membership.Role.FULL, invited_by=owner
    )
    Membership.objects.create(
        migration=migration,
        user=users["restricted"],
        role=Membership.Role.RESTRICTED,
        invited_by=owner,
    )
    return [services.support_grant(migration=migration, granted_by=owner, days=3)]


def _completed_demo(migration: Migration) -> Run:
    now = timezone.now()
    demo = Run.objects.create(
        migration=migration,
        kind=Run.Kind.DEMO,
        status=Run.Status.COMPLETED,
        started_at=now - timedelta(minutes=5),
        finished_at=now - timedelta(minutes=1),
    )
    RunEntity.objects.create(
        run=demo,
        entity=Entity.TICKETS,
        position=0,
        available=3,
        status=RunEntity.Status.DONE,
        read_complete=True,
    )
    RunRecord.objects.bulk_create(
        [
            RunRecord(
                run=demo, entity=Entity.TICKETS, source_id="1", target_id="1001", outcome="migrated"
            ),
            RunRecord(
                run=demo, entity=Entity.TICKETS, source_id="2", outcome="skipped", reason="Closed"
            ),
            RunRecord(
                run=demo, entity=Entity.TICKETS, source_id="3", outcome="failed", reason="Refused"
            ),
        ]
    )
    return demo


def _paused_full_run(migration: Migration) -> Run:
    now = timezone.now()
    paused = Run.objects.create(
        migration=migration,
        kind=Run.Kind.FULL,
        status=Run.Status.PAUSED,
        paused_by=Run.PausedBy.SYSTEM,
        pause_reason="Freshdesk answered 503 for ten minutes.",
        started_at=now - timedelta(minutes=30),
    )
    RunEntity.objects.create(
        run=paused, entity=Entity.TICKETS, position=0, available=7, status=RunEntity.Status.RUNNING
    )
    RunBatch.objects.create(
        run=paused, entity=Entity.TICKETS, sequence=0, last_error="503 Service Unavailable"
    )
    RunRecord.objects.create(
        run=paused,
        entity=Entity.TICKETS,
        source_id="4",
        outcome=RunRecord.Outcome.FAILED,
        reason="Freshdesk refused the ticket.",
        detail='{"description": "Validation failed"}',
    )
    return paused


def _scoped_migration(owner: User, users: dict[str, User]) -> tuple[Migration, list]:
    """Zendesk to eDesk, connected: eDesk's channel is chosen on the scope step."""
    platforms = {key: sandbox_platform(key) for key in ("zendesk", "edesk")}
    connections = {}
    for key, plan in (("zendesk", SOURCE_PLAN), ("edesk", TARGET_PLAN)):
        account = platforms[key].account_create(
            slug=f"scope-{key}", name=f"Acme on {key}", rate_limit_per_minute=0
        )
        platforms[key].seed(account=account, plan=plan)
        connections[key] = services.connection_create(
            owner=owner,
            platform=key,
            credentials=platforms[key].credentials(account=account, site_url=SITE_URL),
            rate_limit_per_minute=0,
        )
    scoped = services.migration_create(owner=owner, name="Zendesk to eDesk")
    services.migration_configure(
        migration=scoped, source=connections["zendesk"], target=connections["edesk"]
    )
    return scoped, _share(scoped, users)


def build_world(*, make_user, user) -> World:
    support_group = Group.objects.get_or_create(name=policy.SUPPORT_GROUP)[0]
    users = {
        "owner": user,
        "full": make_user(email="full@example.com"),
        "restricted": make_user(email="restricted@example.com"),
        "outsider": make_user(email="outsider@example.com"),
        "support": make_user(email="support@example.com", is_staff=True),
        "support_no_grant": make_user(email="support2@example.com", is_staff=True),
    }
    for name in ("support", "support_no_grant"):
        users[name].groups.add(support_group)
    pair = sandbox_pair_create(owner=user, source_plan=SOURCE_PLAN, target_plan=TARGET_PLAN)
    migration = pair.migration
    grants = _share(migration, users)
    demo = _completed_demo(migration)
    order = billing_services.order_submit(
        migration=migration, created_by=user, plan="basic", details=DETAILS
    )
    billing_services.order_mark_paid(order=order, staff=users["support"])
    paused = _paused_full_run(migration)
    invitation = services.invitation_create(
        migration=migration,
        email="newcomer@example.com",
        role=Membership.Role.RESTRICTED,
        invited_by=user,
        accept_url_for=str,
    )
    scoped, scoped_grants = _scoped_migration(user, users)
    return World(
        users=users,
        migration=migration,
        demo=demo,
        paused=paused,
        order_id=order.pk,
        membership=Membership.objects.get(migration=migration, user=users["restricted"]),
        invitation=invitation,
        token=services.invitation_token(invitation=invitation),
        scoped=scoped,
        grants=grants + scoped_grants,
    )


# --------------------------------------------------------------------------- the matrix


@dataclass(frozen=True)
class Route:
    """How to call a route (its arguments, query, POST data, as htmx or not) and what
    each role is answered."""

    kwargs: Callable[[World], dict[str, Any]] = lambda world: {}
    query: Callable[[World], dict[str, str]] = lambda world: {}
    data: Callable[[World], dict[str, Any]] = lambda world: {}
    htmx: bool = False
    #: The expected answers, in the order of :data:`ROLES`, to GET then to POST.
    get: tuple[int | str, ...] = ()
    post: tuple[int | str, ...] = ()


def migration(world: World) -> dict[str, Any]:
    return {"migration_id": world.migration.pk}


def demo_run(world: World) -> dict[str, Any]:
    return {"run_id": world.demo.pk}


def paused_run(world: World) -> dict[str, Any]:
    return {"run_id": world.paused.pk}


def order(world: World) -> dict[str, Any]:
    return {"migration_id": world.migration.pk, "order_id": world.order_id}


L = LOGIN
# Who:                 owner full restricted outsider anonymous support support_no_grant
EVERYONE_SIGNED_IN = (200, 200, 200, 200, L, 200, 200)
NOT_ALLOWED_FOR_ANYONE = (405, 405, 405, 405, L, 405, 405)
OWNER_ONLY = (200, 404, 404, 404, L, 404, 404)
OWNER_AND_FULL = (200, 200, 404, 404, L, 404, 404)
EVERY_TEAMMATE = (200, 200, 200, 404, L, 404, 404)
SUPPORT_WITH_GRANT = (404, 404, 404, 404, L, 200, 404)
SUPPORT_STAFF = (404, 404, 404, 404, L, 200, 200)


def answers(code: int | str, allowed: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """``allowed`` with every 200 replaced by ``code`` (e.g. a POST's redirect)."""
    return tuple(code if answer == 200 else answer for answer in allowed)


MATRIX: dict[str, Route] = {
    # ---- No migration in the address.
    "healthz": Route(get=(200,) * 7, post=(200,) * 7),
    "dashboard": Route(get=EVERYONE_SIGNED_IN, post=EVERYONE_SIGNED_IN),
    "migration_create": Route(
        data=lambda world: {"name": "Another move"},
        get=EVERYONE_SIGNED_IN,
        post=answers(302, EVERYONE_SIGNED_IN),
    ),
    # ---- The migration itself.
    "migration_continue": Route(
        kwargs=migration, get=answers(302, EVERY_TEAMMATE), post=answers(302, EVERY_TEAMMATE)
    ),
    "migration_rename": Route(
        kwargs=migration,
        data=lambda world: {"name": "Renamed"},
        get=OWNER_AND_FULL,
        post=answers(302, OWNER_AND_FULL),
    ),
    "migration_row": Route(kwargs=migration, htmx=True, get=EVERY_TEAMMATE, post=EVERY_TEAMMATE),
    "migration_delete": Route(kwargs=migration, get=OWNER_ONLY, post=answers(302, OWNER_ONLY)),
    # ---- Connect and scope: the credentials, never shown to restricted teammates.
    "wizard_connect": Route(
        kwargs=migration, get=OWNER_AND_FULL, post=answers(405, OWNER_AND_FULL)
    ),
    "wizard_connect_side": Route(
        kwargs=lambda world: {**migration(world), "side": "source"},
        get=answers(405, OWNER_AND_FULL),
        post=answers(302, OWNER_AND_FULL),
    ),
    "wizard_connect_reuse": Route(
        kwargs=lambda world: {**migration(world), "side": "source"},
        data=lambda world: {"connection": world.migration.source_id},
        get=answers(405, OWNER_AND_FULL),
        post=answers(302, OWNER_AND_FULL),
    ),
    "wizard_scope": Route(
        kwargs=lambda world: {"migration_id": world.scoped.pk},
        get=OWNER_AND_FULL,
        post=OWNER_AND_FULL,  # no channel chosen: the page again, with the error
    ),
    # ---- Configuration: restricted teammates read it and edit matching and mapping.
    "wizard_select": Route(
        kwargs=migration,
        get=EVERY_TEAMMATE,
        post=OWNER_AND_FULL,  # nothing selected: the page again, with the error
    ),
    "wizard_match": Route(kwargs=migration, get=EVERY_TEAMMATE, post=answers(302, EVERY_TEAMMATE)),
    "wizard_map": Route(kwargs=migration, get=EVERY_TEAMMATE, post=EVERY_TEAMMATE),
    "wizard_map_values": Route(
        kwargs=migration,
        query=lambda world: {"field": "0", "field-0": ""},
        htmx=True,
        get=EVERY_TEAMMATE,
        post=(405,) * 7,
    ),
    "wizard_options": Route(
        kwargs=migration, get=EVERY_TEAMMATE, post=answers(302, OWNER_AND_FULL)
    ),
    # ---- Runs: everyone on the team follows them; restricted teammates never start,
    # pause, resume or cancel one. The paused run makes every start refused (302/200).
    "wizard_demo": Route(kwargs=migration, get=EVERY_TEAMMATE, post=answers(405, OWNER_AND_FULL)),
    "wizard_demo_start": Route(
        kwargs=migration, get=answers(405, EVERY_TEAMMATE), post=answers(302, OWNER_AND_FULL)
    ),
    "wizard_demo_restart": Route(
        kwargs=migration, get=answers(405, EVERY_TEAMMATE), post=answers(302, OWNER_AND_FULL)
    ),
    # Asks first (GET), then starts the removal or says there is nothing to remove (302).
    "wizard_demo_rollback": Route(
        kwargs=migration, get=OWNER_AND_FULL, post=answers(302, OWNER_AND_FULL)
    ),
    "wizard_run": Route(kwargs=migration, get=EVERY_TEAMMATE, post=OWNER_AND_FULL),
    "wizard_run_delta": Route(
        kwargs=migration, get=answers(405, EVERY_TEAMMATE), post=answers(302, OWNER_AND_FULL)
    ),
    "wizard_run_results": Route(
        kwargs=demo_run, get=EVERY_TEAMMATE, post=answers(405, EVERYONE_SIGNED_IN)
    ),
    "wizard_run_progress": Route(
        kwargs=paused_run, htmx=True, get=EVERY_TEAMMATE, post=answers(405, EVERYONE_SIGNED_IN)
    ),
    "wizard_run_history": Route(
        kwargs=migration, htmx=True, get=EVERY_TEAMMATE, post=answers(405, EVERYONE_SIGNED_IN)
    ),
    "wizard_run_csv": Route(
        kwargs=demo_run,
        query=lambda world: {"outcome": "failed"},
        get=EVERY_TEAMMATE,
        post=answers(405, EVERYONE_SIGNED_IN),
    ),
    "wizard_run_pause": Route(
        kwargs=paused_run, get=NOT_ALLOWED_FOR_ANYONE, post=answers(302, OWNER_AND_FULL)
    ),
    "wizard_run_resume": Route(
        kwargs=paused_run, get=NOT_ALLOWED_FOR_ANYONE, post=answers(302, OWNER_AND_FULL)
    ),
    "wizard_run_cancel": Route(
        kwargs=paused_run, get=OWNER_AND_FULL, post=answers(302, OWNER_AND_FULL)
    ),
    # "Verify again" on a finished run (the demo's): who may start runs; a paused run is
    # refused with a message (302 all the same).
    "wizard_run_verify": Route(
        kwargs=demo_run, get=NOT_ALLOWED_FOR_ANYONE, post=answers(302, OWNER_AND_FULL)
    ),
    # Re-migration and the check of skipped and failed records after a run: who may start
    # runs (a demo's are refused with a message: 302 all the same).
    "wizard_run_remigrate": Route(
        kwargs=demo_run, get=NOT_ALLOWED_FOR_ANYONE, post=answers(302, OWNER_AND_FULL)
    ),
    "wizard_run_recheck": Route(
        kwargs=demo_run, get=NOT_ALLOWED_FOR_ANYONE, post=answers(302, OWNER_AND_FULL)
    ),
    "wizard_run_verification": Route(
        kwargs=demo_run, htmx=True, get=EVERY_TEAMMATE, post=answers(405, EVERYONE_SIGNED_IN)
    ),
    # ---- Payment: the owner and full teammates.
    "wizard_pay": Route(kwargs=migration, get=OWNER_AND_FULL, post=OWNER_AND_FULL),
    "billing_quote": Route(kwargs=migration, get=OWNER_AND_FULL, post=OWNER_AND_FULL),
    "billing_checkout": Route(
        kwargs=migration,  # already paid: on to the order
        get=answers(302, OWNER_AND_FULL),
        post=answers(302, OWNER_AND_FULL),
    ),
    "billing_order": Route(kwargs=order, get=OWNER_AND_FULL, post=OWNER_AND_FULL),
    "billing_order_pay": Route(
        kwargs=order,  # paid: nothing to pay, back to the order
        get=answers(405, OWNER_AND_FULL),
        post=answers(302, OWNER_AND_FULL),
    ),
    "billing_receipt": Route(kwargs=order, get=OWNER_AND_FULL, post=OWNER_AND_FULL),
    "billing_run_start": Route(
        kwargs=migration, get=answers(405, OWNER_AND_FULL), post=answers(302, OWNER_AND_FULL)
    ),
    "billing_stripe_webhook": Route(get=(405,) * 7, post=(400,) * 7),
    # ---- Teammates, invitations, support access, the activity log.
    "migration_members": Route(
        kwargs=migration, get=EVERY_TEAMMATE, post=answers(405, EVERYONE_SIGNED_IN)
    ),
    "migration_member_invite": Route(
        kwargs=migration,
        data=lambda world: {"email": "mia@example.com", "role": "restricted"},
        get=answers(405, EVERYONE_SIGNED_IN),
        post=answers(302, OWNER_ONLY),
    ),
    "migration_member_revoke": Route(
        kwargs=lambda world: {**migration(world), "membership_id": world.membership.pk},
        get=answers(405, EVERYONE_SIGNED_IN),
        post=answers(302, OWNER_ONLY),
    ),
    "migration_invitation_revoke": Route(
        kwargs=lambda world: {**migration(world), "invitation_id": world.invitation.pk},
        get=answers(405, EVERYONE_SIGNED_IN),
        post=answers(302, OWNER_ONLY),
    ),
    "migration_support_grant": Route(
        kwargs=migration,
        data=lambda world: {"days": "5"},
        get=answers(405, EVERYONE_SIGNED_IN),
        post=answers(302, OWNER_ONLY),
    ),
    "migration_support_revoke": Route(
        kwargs=migration, get=answers(405, EVERYONE_SIGNED_IN), post=answers(302, OWNER_ONLY)
    ),
    "migration_activity": Route(
        kwargs=migration, get=OWNER_AND_FULL, post=answers(405, EVERYONE_SIGNED_IN)
    ),
    # The link works for whoever holds it, but only the invited address may accept it.
    "invitation_accept": Route(
        kwargs=lambda world: {"token": world.token},
        get=EVERYONE_SIGNED_IN,
        post=answers(400, EVERYONE_SIGNED_IN),
    ),
    # ---- The support console: support staff; a run only while the owner's grant lasts.
    "support_console": Route(get=SUPPORT_STAFF, post=answers(405, EVERYONE_SIGNED_IN)),
    "support_run": Route(
        kwargs=paused_run, get=SUPPORT_WITH_GRANT, post=answers(405, EVERYONE_SIGNED_IN)
    ),
    "support_run_note": Route(
        kwargs=paused_run,
        data=lambda world: {"text": "We raised your plan's limit."},
        get=answers(405, EVERYONE_SIGNED_IN),
        post=answers(302, SUPPORT_WITH_GRANT),
    ),
    "support_run_resume": Route(
        kwargs=paused_run,
        get=answers(405, EVERYONE_SIGNED_IN),
        post=answers(302, SUPPORT_WITH_GRANT),
    ),
}


# --------------------------------------------------------------------------- the routes


def _walk(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, str | None]]:
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.name


def site_routes() -> list[tuple[str, str | None]]:
    """Every route of the site outside :data:`OUTSIDE_THE_MATRIX`: (pattern, name)."""
    return [
        (route, name)
        for route, name in _walk(get_resolver())
        if not any(route.lstrip("^").startswith(prefix) for prefix in OUTSIDE_THE_MATRIX)
    ]


def test_every_route_is_in_the_matrix():
    routes = site_routes()
    unnamed = [route for route, name in routes if not name]
    assert not unnamed, f"routes without a name cannot be checked: {unnamed}"
    names = [name for _route, name in routes]
    assert len(names) == len(set(names)), "two routes share a name"
    missing = sorted(set(names) - set(MATRIX))
    assert not missing, f"routes not in the permission matrix (add them to MATRIX): {missing}"
    assert not sorted(set(MATRIX) - set(names)), "the matrix names routes that do not exist"
    for name, route in MATRIX.items():
        assert len(route.get) == len(route.post) == len(ROLES), name


# --------------------------------------------------------------------------- the answers


def _answer(response) -> int | str:
    if response.status_code == 302 and response["Location"].startswith(reverse(settings.LOGIN_URL)):
        return LOGIN
    return response.status_code


def _ask(world: World, role: str, method: str, name: str, route: Route) -> int | str:
    """One request as ``role``, in a savepoint rolled back afterwards."""
    with transaction.atomic():
        if role == "support_no_grant":
            SupportGrant.objects.filter(pk__in=[grant.pk for grant in world.grants]).update(
                revoked_at=timezone.now()
            )
        headers = {"HX-Request": "true"} if route.htmx else {}
        client = Client(headers=headers, raise_request_exception=False)
        if role != "anonymous":
            client.force_login(world.users[role])
        url = reverse(name, kwargs=route.kwargs(world))
        query = route.query(world)
        if method == "GET":
            response = client.get(url, query)
        else:
            if query:
                url += "?" + urlencode(query)
            response = client.post(url, route.data(world))
        if response.streaming:
            b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return _answer(response)


@pytest.fixture
def billing_on(settings):
    settings.BILLING_ENABLED = True
    settings.BILLING_PROVIDER = "manual"
    install_test_prices()


def test_each_role_gets_the_answer_the_policy_gives(
    make_user, user, billing_on, in_process_emulators, enqueued
):
    world = build_world(make_user=make_user, user=user)
    wrong = []
    for name, route in sorted(MATRIX.items()):
        for method, codes in (("GET", route.get), ("POST", route.post)):
            for role, expected in zip(ROLES, codes, strict=True):
                got = _ask(world, role, method, name, route)
                if got != expected:
                    wrong.append(f"{method} {name} as {role}: {got}, expected {expected}")
    assert not wrong, "\n".join(wrong)


# --------------------------------------------------------------------------- archived

#: The owner's answers once the migration is archived: it can be read (its pages, runs,
#: reports, receipt, members and activity), never changed. (GET, POST) per route.
ARCHIVED_OWNER: dict[str, tuple[int | str, int | str]] = {
    "migration_continue": (302, 302),
    "migration_rename": (404, 404),
    "migration_row": (200, 200),
    "migration_delete": (404, 404),
    "wizard_connect": (404, 404),
    "wizard_connect_side": (404, 404),
    "wizard_connect_reuse": (404, 404),
    "wizard_select": (200, 404),
    "wizard_match": (200, 404),
    "wizard_map": (200, 404),
    "wizard_map_values": (200, 405),
    "wizard_options": (200, 404),
    "wizard_demo": (200, 404),
    "wizard_demo_start": (405, 404),
    "wizard_demo_restart": (405, 404),
    "wizard_demo_rollback": (404, 404),
    "wizard_run": (200, 404),
    "wizard_run_delta": (405, 404),
    "wizard_run_results": (200, 405),
    "wizard_run_progress": (200, 405),
    "wizard_run_history": (200, 405),
    "wizard_run_csv": (200, 405),
    "wizard_run_pause": (405, 404),
    "wizard_run_resume": (405, 404),
    "wizard_run_cancel": (404, 404),
    "wizard_pay": (404, 404),
    "billing_quote": (404, 404),
    "billing_checkout": (404, 404),
    "billing_order": (404, 404),
    "billing_order_pay": (404, 404),
    "billing_receipt": (200, 200),
    "billing_run_start": (404, 404),
    "migration_members": (200, 405),
    "migration_member_invite": (405, 404),
    "migration_member_revoke": (405, 404),
    "migration_invitation_revoke": (405, 404),
    "migration_support_grant": (405, 404),
    "migration_support_revoke": (405, 404),
    "migration_activity": (200, 405),
    # Archiving withdrew the open invitations.
    "invitation_accept": (400, 400),
}


def test_an_archived_migration_is_read_only_even_for_its_owner(
    make_user, user, billing_on, in_process_emulators, enqueued
):
    world = build_world(make_user=make_user, user=user)
    finished = timezone.now() - timedelta(days=settings.MIGRATOR_ARCHIVE_AFTER_DAYS, hours=1)
    Run.objects.filter(pk=world.paused.pk).update(
        status=Run.Status.COMPLETED, paused_by="", pause_reason="", finished_at=finished
    )
    assert services.migrations_archive() == 1
    world.migration.refresh_from_db()
    assert world.migration.archived_at is not None
    # Nothing read from the help desks before is at hand: their credentials are gone.
    cache.clear()
    wrong = []
    for name, (get, post) in sorted(ARCHIVED_OWNER.items()):
        route = MATRIX[name]
        for method, expected in (("GET", get), ("POST", post)):
            got = _ask(world, "owner", method, name, route)
            if got != expected:
                wrong.append(f"{method} {name}: {got}, expected {expected}")
    assert not wrong, "\n".join(wrong)

    client = Client()
    client.force_login(user)
    for name in ("wizard_select", "wizard_match", "wizard_map", "wizard_run"):
        page = client.get(reverse(name, args=[world.migration.pk])).content.decode()
        assert "data-archived" in page, name
    page = client.get(reverse("wizard_map", args=[world.migration.pk])).content.decode()
    assert "The credentials were erased when this migration was archived" in page


def test_an_id_of_another_migration_answers_404_even_to_its_owner(
    make_user, user, billing_on, in_process_emulators, enqueued
):
    """A teammate, an invitation or an order is looked up within the migration named in
    the address: naming another of the owner's migrations finds nothing."""
    world = build_world(make_user=make_user, user=user)
    other = world.scoped.pk
    client = Client()
    client.force_login(user)
    for name, kwargs in (
        ("migration_member_revoke", {"membership_id": world.membership.pk}),
        ("migration_invitation_revoke", {"invitation_id": world.invitation.pk}),
        ("billing_receipt", {"order_id": world.order_id}),
    ):
        url = reverse(name, kwargs={"migration_id": other, **kwargs})
        method = client.get if name == "billing_receipt" else client.post
        assert method(url).status_code == 404, name
    assert Membership.objects.filter(pk=world.membership.pk).exists()
    world.invitation.refresh_from_db()
    assert world.invitation.revoked_at is None

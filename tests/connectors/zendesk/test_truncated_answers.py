"""Zendesk answers cut short on the way: a page is asked for again (a bounded number of
times) instead of failing the batch, and a create whose answer is lost is reported as
possibly applied, never sent twice."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime

import httpx
import pytest
from django.core.handlers.wsgi import WSGIHandler

from connectors.errors import MalformedResponseError, TransientError
from connectors.models import EmulatedRecord
from connectors.sandbox import SeedPlan, sandbox_platform
from connectors.schema import Entity, Group
from tests.connectors.zendesk.test_connector import connect, read_everything
from tests.support import replayable_seed

pytestmark = pytest.mark.django_db(transaction=True)

PLAN = SeedPlan(
    agents=3,
    contacts=6,
    organizations=3,
    groups=2,
    tickets=40,
    comments_per_ticket=(1, 3),
    attachment_ratio=0.0,
    inline_image_ratio=0.0,
    articles=0,
    article_sections=0,
    article_categories=0,
    seed=3,
)


@pytest.fixture(autouse=True)
def emulator_settings(settings, tmp_path):
    settings.ALLOWED_HOSTS = ["*"]
    settings.DATA_DIR = tmp_path


@pytest.fixture
def sandbox():
    return sandbox_platform("zendesk")


@pytest.fixture
def account(sandbox):
    return sandbox.account_create(slug="acme", name="Acme", rate_limit_per_minute=0)


class CutOnce(httpx.BaseTransport):
    """The emulator in-process; the first answer to each path listed is cut in half."""

    def __init__(self, *paths: str) -> None:
        self.inner = httpx.WSGITransport(app=WSGIHandler())
        self.to_cut = set(paths)
        self.hops: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.hops.append((request.method, request.url.path))
        if request.url.path in self.to_cut:
            self.to_cut.discard(request.url.path)
            body = response.content[: len(response.content) // 2]
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        return response


def test_a_tickets_page_cut_short_is_asked_for_again(sandbox, account):
    sandbox.seed(account=account, plan=PLAN)
    export = f"/sandbox/zendesk/{account.slug}/api/v2/incremental/tickets/cursor.json"
    transport = CutOnce(export)
    with connect(account, transport=transport) as connector:
        tickets = read_everything(connector, Entity.TICKETS, page_size=100)
    assert not transport.to_cut, f"the export was never read: {transport.hops[:5]}"
    stored = EmulatedRecord.objects.filter(account=account, collection="tickets")
    assert len(tickets) == stored.count()
    assert transport.hops.count(("GET", export)) >= 2


def test_a_group_whose_creation_answer_is_cut_short_is_ambiguous_and_created_once(sandbox, account):
    path = f"/sandbox/zendesk/{account.slug}/api/v2/groups.json"
    transport = CutOnce(path)
    group = Group(source_id="g-1", updated_at=datetime(2024, 3, 5, tzinfo=UTC), name="Billing")
    with connect(account, transport=transport) as connector, pytest.raises(TransientError) as lost:
        connector.create(Entity.GROUPS, group, marker="x")
    assert lost.value.ambiguous
    assert transport.hops.count(("POST", path)) == 1
    groups = EmulatedRecord.objects.filter(account=account, collection="groups")
    assert groups.filter(data__name="Billing").count() == 1


#: The faults the emulator draws with this seed cut several answers, never three in a row
#: to the same call (another seed may, and then the bounded retry gives up as it should).
FAULT_SEED = 14


def test_every_ticket_is_read_despite_truncated_answers_from_the_emulator(
    sandbox, account, monkeypatch
):
    sandbox.seed(account=account, plan=PLAN)
    # The emulator cuts a tenth of its answers in half, drawn from a seeded generator;
    # comments are read one ticket at a time so that the same seed cuts the same answers.
    seed = replayable_seed(default=FAULT_SEED)
    monkeypatch.setattr("connectors.emulation.random", random.Random(seed))
    monkeypatch.setattr("connectors.zendesk.connector.COMMENT_READERS", 1)
    account.fault_malformed_ratio = 0.1
    account.save()
    with connect(account) as connector:
        tickets = read_everything(connector, Entity.TICKETS, page_size=5)
        contacts = read_everything(connector, Entity.CONTACTS, page_size=2)
        retries = connector.api.http.retries
    print(f"answers cut short and asked for again: {retries}")
    expected = EmulatedRecord.objects.filter(account=account, collection="tickets").count()
    assert sorted(int(ticket.source_id) for ticket in tickets) == sorted(
        EmulatedRecord.objects.filter(account=account, collection="tickets").values_list(
            "number", flat=True
        )
    )
    assert len(tickets) == expected
    assert contacts
    assert retries > 0, f"no answer was cut short with seed {seed}: the drill tested nothing"


def test_a_page_always_cut_short_still_ends_in_a_clear_error(sandbox, account):
    sandbox.seed(account=account, plan=PLAN)
    account.fault_malformed_ratio = 1.0
    account.save()
    with connect(account) as connector, pytest.raises(MalformedResponseError) as broken:
        connector.read_page(Entity.TICKETS)
    assert "not valid JSON" in broken.value.user_message


def test_a_file_added_to_an_upload_token_is_never_sent_twice(sandbox, account):
    """Under a new token a repeated upload only leaves an unused one; added to a token, it
    would be attached twice to the ticket: its lost answer is ambiguous instead."""
    path = f"/sandbox/zendesk/{account.slug}/api/v2/uploads.json"
    transport = CutOnce()
    with connect(account, transport=transport) as connector:
        token, _url = connector.api.upload(
            file_name="a.txt", content=io.BytesIO(b"a"), size=1, content_type="text/plain"
        )
        transport.to_cut.add(path)
        with pytest.raises(TransientError) as lost:
            connector.api.upload(
                file_name="b.txt",
                content=io.BytesIO(b"b"),
                size=1,
                content_type="text/plain",
                token=token,
            )
    assert lost.value.ambiguous
    assert transport.hops.count(("POST", path)) == 2

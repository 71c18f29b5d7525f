"""The Halo emulator: the token endpoint, paths, shapes, pagination, auth errors and the
rate limit of 500 calls in 5 minutes."""

from __future__ import annotations

import base64
import json
import time

import pytest

from connectors.emulation import EmulatorProfile
from connectors.halo import emulator as he
from connectors.halo.sandbox import HaloSandbox
from connectors.models import EmulatedAccount
from connectors.sandbox import SeedPlan, sandbox_platform

pytestmark = pytest.mark.django_db

ROOT = "/sandbox/halo/acme"
PLAN = SeedPlan(
    agents=4,
    inactive_agents=1,
    deleted_agents=1,
    contacts=5,
    organizations=2,
    groups=2,
    tickets=5,
    comments_per_ticket=(2, 3),
    attachment_ratio=1.0,
    article_categories=2,
    article_sections=3,
    articles=4,
    seed=3,
)


@pytest.fixture(autouse=True)
def blobs_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def sandbox() -> HaloSandbox:
    platform = sandbox_platform("halo")
    assert isinstance(platform, HaloSandbox)
    return platform


@pytest.fixture
def account(sandbox) -> EmulatedAccount:
    account = sandbox.account_create(slug="acme", name="Acme on Halo", rate_limit_per_minute=0)
    sandbox.seed(account=account, plan=PLAN)
    return account


def token_for(client, account: EmulatedAccount, **form: str):
    values = {
        "grant_type": "client_credentials",
        "client_id": account.secrets["client_id"],
        "client_secret": account.secrets["client_secret"],
        "scope": "all",
        **form,
    }
    return client.post(f"{ROOT}/auth/token", values)


class Api:
    def __init__(self, client, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, params: dict | None = None):
        return self.client.get(f"{ROOT}/api/{path}", params or {}, headers=self.headers)

    def post(self, path: str, body):
        return self.client.post(
            f"{ROOT}/api/{path}", json.dumps(body), "application/json", headers=self.headers
        )


@pytest.fixture
def api(client, account) -> Api:
    return Api(client, token_for(client, account).json()["access_token"])


def test_the_token_endpoint_hands_out_bearer_tokens(client, account):
    answer = token_for(client, account)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "all"


def test_bad_client_credentials_and_grants_are_refused(client, account):
    wrong = token_for(client, account, client_secret="nope")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_client"
    grant = token_for(client, account, grant_type="password")
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"


def test_hosted_instances_need_their_tenant(client, account):
    account.secrets = {**account.secrets, "tenant": "acme"}
    account.save()
    assert token_for(client, account).status_code == 401
    values = {
        "grant_type": "client_credentials",
        "client_id": account.secrets["client_id"],
        "client_secret": account.secrets["client_secret"],
    }
    answer = client.post(f"{ROOT}/auth/token?tenant=acme", values)
    assert answer.status_code == 200


def test_a_bad_expired_or_revoked_token_gets_halos_401(client, account):
    for token in ("garbage", he.token_issue(account, issued=int(time.time()) - 7200)[0]):
        answer = Api(client, token).get("Status")
        assert answer.status_code == 401
        assert answer.json() == {"Message": he.DENIED}
    token = token_for(client, account).json()["access_token"]
    assert Api(client, token).get("Status").status_code == 200
    account.options = {"tokens_valid_after": time.time() + 5}
    account.save()
    assert Api(client, token).get("Status").status_code == 401


def test_lists_are_paged_with_a_record_count(api):
    first = api.get("Tickets", {"pageinate": "true", "page_size": 2, "page_no": 1}).json()
    assert first["record_count"] == PLAN.tickets
    assert (first["page_no"], first["page_size"], len(first["tickets"])) == (1, 2, 2)
    last = api.get("Tickets", {"pageinate": "true", "page_size": 2, "page_no": 3}).json()
    assert len(last["tickets"]) == 1
    everything = api.get("Tickets").json()
    assert len(everything["tickets"]) == PLAN.tickets
    assert [t["id"] for t in everything["tickets"]] == sorted(
        t["id"] for t in everything["tickets"]
    )
    ticket = everything["tickets"][0]
    actions = api.get("Actions", {"ticket_id": ticket["id"]}).json()
    assert actions["record_count"] >= 1 and actions["actions"][0]["ticket_id"] == ticket["id"]
    files = api.get("Attachment", {"ticket_id": ticket["id"]}).json()
    assert files["attachments"] and "blob" not in files["attachments"][0]
    assert api.get("Actions").status_code == 400


def test_lookups_and_the_application_agent(api):
    assert api.get("Status").json()[0]["name"] == "New"
    assert len(api.get("Priority").json()) == 4
    fields = {f["label"] for f in api.get("FieldInfo").json()}
    assert {"Order number", "Product"} <= fields
    assert api.get("Agent/me").json()["name"] == "API Application"
    agents = api.get("Agent").json()["agents"]
    assert not any(agent["is_deleted"] for agent in agents)
    with_deleted = api.get("Agent", {"includedeleted": "true"}).json()["agents"]
    assert len(with_deleted) == len(agents) + PLAN.deleted_agents


def test_posts_take_arrays_and_update_by_id(api):
    created = api.post("Team", [{"name": "Escalations"}])
    assert created.status_code == 200
    team = created.json()
    updated = api.post("Team", [{"id": team["id"], "name": "Escalations 2"}]).json()
    assert updated["id"] == team["id"] and updated["name"] == "Escalations 2"
    both = api.post("Client", [{"name": "A"}, {"name": "B"}]).json()
    assert [client["name"] for client in both] == ["A", "B"]
    assert api.post("Team", [{"name": ""}]).status_code == 400
    assert api.post("Team", "not an array").status_code == 400
    agent = api.post("Agent", [{"name": "X", "email": "alice@acme.example"}])
    assert agent.status_code == 400  # the address is taken


def test_tickets_actions_and_attachments_are_written(api, account):
    user = api.get("Users").json()["users"][0]
    ticket = api.post(
        "Tickets",
        [
            {
                "summary": "New one",
                "details_html": "<p>Hi</p>",
                "user_id": user["id"],
                "dateoccurred": "2020-01-02T03:04:05Z",
                "third_party_id": "hdm-x",
                "customfields": [{"id": 101, "value": "Laptop"}],
            }
        ],
    ).json()
    assert ticket["dateoccurred"] == "2020-01-02T03:04:05Z"
    assert ticket["user_email"] == user["emailaddress"]
    bad_choice = api.post(
        "Tickets", [{"summary": "x", "customfields": [{"id": 101, "value": "Toaster"}]}]
    )
    assert bad_choice.status_code == 400
    action = api.post(
        "Actions",
        [{"ticket_id": ticket["id"], "note_html": "<p>n</p>", "hiddenfromuser": True}],
    ).json()
    assert action["hiddenfromuser"] is True
    content = b"hello halo"
    uploaded = api.post(
        "Attachment",
        [
            {
                "ticket_id": ticket["id"],
                "action_id": action["id"],
                "filename": "h.txt",
                "data_base64": base64.b64encode(content).decode(),
            }
        ],
    ).json()
    assert uploaded["filesize"] == len(content)
    download = api.client.get(f"{ROOT}/api/Attachment/{uploaded['id']}", headers=api.headers)
    assert b"".join(download.streaming_content) == content
    account.options = {"max_attachment_bytes": 4}
    account.save()
    too_large = api.post(
        "Attachment",
        [{"ticket_id": ticket["id"], "filename": "h.txt", "data_base64": "aGVsbG8="}],
    )
    assert too_large.status_code == 413


def test_the_default_limit_is_500_calls_in_five_minutes(client, account):
    assert he.PROFILE.default_rate_limit_per_minute == 500
    assert he.PROFILE.default_rate_window_seconds == 300
    account.rate_limit_per_minute = None
    account.save()
    api = Api(client, token_for(client, account).json()["access_token"])
    # A smaller default keeps the test short; the window stays Halo's.
    object.__setattr__(he.PROFILE, "default_rate_limit_per_minute", 3)
    try:
        answers = [api.get("Status") for _ in range(4)]
    finally:
        object.__setattr__(he.PROFILE, "default_rate_limit_per_minute", 500)
    assert [a.status_code for a in answers[:2]] == [200, 200]
    assert answers[-1].status_code == 429
    assert 1 <= int(answers[-1]["Retry-After"]) <= 300
    assert isinstance(he.PROFILE, EmulatorProfile)

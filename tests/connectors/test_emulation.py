"""The behaviour every emulator shares: auth, ids, rate limits, faults, attachments."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import connection

from connectors import emulation
from connectors.models import EmulatedRecord

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.connectors.emulation_urls")]

AUTH = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture
def account():
    return emulation.account_get_or_create(
        platform="probe",
        slug="acme",
        name="Acme",
        secrets={"token": "sandbox-token"},
        rate_limit_per_minute=0,
    )


def test_wrong_credentials_get_the_platforms_401(client, account):
    response = client.get("/sandbox/probe/acme/items", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized", "description": "Couldn't authenticate you"}


def test_unknown_account_is_404(client, account):
    assert client.get("/sandbox/probe/nobody/items", headers=AUTH).status_code == 404


def test_ids_are_sequential_per_collection_and_records_read_back(client, account):
    first = client.post(
        "/sandbox/probe/acme/items", {"name": "a"}, "application/json", headers=AUTH
    )
    second = client.post(
        "/sandbox/probe/acme/items", {"name": "b"}, "application/json", headers=AUTH
    )
    assert (first.json()["item"]["id"], second.json()["item"]["id"]) == (100, 101)
    assert client.get("/sandbox/probe/acme/items/101", headers=AUTH).json() == {
        "item": {"id": 101, "name": "b"}
    }
    missing = client.get("/sandbox/probe/acme/items/999", headers=AUTH)
    assert missing.status_code == 404
    assert missing.json()["error"] == "RecordNotFound"


def test_malformed_body_gets_a_400(client, account):
    response = client.post(
        "/sandbox/probe/acme/items", "{not json", "application/json", headers=AUTH
    )
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidJSON"


def test_rate_limit_answers_429_with_retry_after(client, account):
    account.rate_limit_per_minute = None  # the profile's default: 3 a minute
    account.save()
    answers = [client.get("/sandbox/probe/acme/items", headers=AUTH) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert answers[0]["X-Rate-Limit"] == "3"
    assert answers[2]["X-Rate-Limit-Remaining"] == "0"
    assert 1 <= int(answers[3]["Retry-After"]) <= 60


def test_injected_server_errors_and_malformed_bodies(client, account):
    account.fault_server_error_ratio = 1.0
    account.save()
    response = client.get("/sandbox/probe/acme/items", headers=AUTH)
    assert response.status_code in {500, 502, 503}

    account.fault_server_error_ratio = 0.0
    account.fault_malformed_ratio = 1.0
    account.save()
    response = client.get("/sandbox/probe/acme/items", headers=AUTH)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_generated_attachment_streams_the_same_bytes_every_time(client, account):
    blob = emulation.blob_generated(
        account=account,
        token="big",
        file_name="big.bin",
        content_type="application/pdf",
        size=11 * 1024 * 1024 + 7,
    )
    response = client.get("/sandbox/probe/acme/blobs/big", headers=AUTH)
    assert response.status_code == 200
    assert int(response["Content-Length"]) == blob.size
    content = b"".join(response.streaming_content)
    assert len(content) == blob.size
    assert hashlib.sha256(content).hexdigest() == blob.sha256


def test_stored_upload_round_trips(account, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    blob = emulation.blob_store(
        account=account,
        token="up-1",
        file_name="a.txt",
        content_type="text/plain",
        chunks=iter([b"hello ", b"world"]),
    )
    assert blob.size == 11
    assert b"".join(emulation.blob_chunks(blob)) == b"hello world"


def test_reset_forgets_everything(account):
    emulation.record_create(account=account, collection="items", data={"name": "x"})
    emulation.account_reset(account=account)
    assert not emulation.records(account=account, collection="items").exists()
    assert emulation.number_next(account=account, collection="items") == 1


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
@pytest.mark.django_db(transaction=True)
def test_emulated_writes_skip_the_disk_wait_and_the_sites_requests_get_it_back(client, account):
    assert _synchronous_commit() == "on"
    client.post("/sandbox/probe/acme/items", {"name": "a"}, "application/json", headers=AUTH)
    assert _synchronous_commit() == "off"
    # The next emulated call keeps it without asking again; a request of the site puts it back.
    client.get("/sandbox/probe/acme/items", headers=AUTH)
    assert _synchronous_commit() == "off"
    client.get("/accounts/login/")
    assert _synchronous_commit() == "on"


@pytest.mark.parametrize("plain_sql", [True, False], ids=["plain-sql", "orm"])
def test_the_hot_statements_read_and_write_alike_in_sql_and_through_the_orm(
    account, monkeypatch, plain_sql
):
    if plain_sql and connection.vendor != "postgresql":
        pytest.skip("plain SQL is PostgreSQL's")
    monkeypatch.setattr(emulation, "_plain_sql", lambda: plain_sql)
    first = emulation.record_create(
        account=account, collection="items", data={"name": "a", "tags": ["x"]}, id_start=100
    )
    emulation.record_create(account=account, collection="others", data={"n": 2}, number=7)
    assert (first.number, first.pk is not None) == (100, True)

    found = emulation.record_find(account=account, collection="items", number=100)
    assert (found.pk, found.data, found.account_id) == (
        first.pk,
        {"name": "a", "tags": ["x"]},
        account.pk,
    )
    assert emulation.record_find(
        account=account, collection=["items", "others"], number=7
    ).data == {"n": 2}
    assert emulation.record_find(account=account, collection="items", number=7) is None
    assert emulation.record_first(account=account, collection="items").pk == first.pk
    listed = emulation.record_list(account=account, collections=["items", "others"])
    assert [record.number for record in listed] == [7, 100]
    assert emulation.record_list(account=account, collections=["items"], numbers=[7]) == []
    assert emulation.record_numbers(account=account, collections=["others"], numbers=[7, 100]) == {
        7
    }

    found.data["name"] = "b"
    found.updated_at = found.created_at + timedelta(hours=1)
    emulation.record_data_save(found)
    stored = EmulatedRecord.objects.get(pk=first.pk)
    assert (stored.data["name"], stored.updated_at) == ("b", found.updated_at)

    assert emulation.account_find(platform="probe", slug="acme").secrets == {
        "token": "sandbox-token"
    }
    assert emulation.account_find(platform="probe", slug="nobody") is None
    assert emulation.sequence_started(account=account, collection="items")
    assert not emulation.sequence_started(account=account, collection="never")
    blob = emulation.blob_generated(
        account=account, token="tok-1", file_name="a.txt", content_type="text/plain", size=10
    )
    assert emulation.blob_find(token="tok-1").sha256 == blob.sha256
    assert emulation.blob_find(token="tok-2") is None

"""/healthz/ asks the database, Redis (when configured) and the broker, each within a
short time, and names what is down."""

from __future__ import annotations

import json
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.django_db

#: The longest one check may take, and the longest the whole answer may take.
CHECK_SECONDS = 2


@pytest.fixture
def on_own_redis(settings, own_redis):
    settings.REDIS_URL = own_redis.url
    settings.CELERY_BROKER_URL = own_redis.url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    return own_redis


def timed_health(client):
    started = time.monotonic()
    response = client.get("/healthz/")
    return response, time.monotonic() - started


def test_everything_up_is_ok(client, on_own_redis):
    response, _seconds = timed_health(client)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "broker": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_redis_stopped_is_named_in_a_503(client, on_own_redis):
    on_own_redis.stop()
    response, seconds = timed_health(client)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == "down"
    # The broker is the same Redis here.
    assert body["checks"]["broker"] == "down"
    assert body["down"] == ["redis", "broker"]
    assert seconds < CHECK_SECONDS + 1
    # Back up: ok again.
    on_own_redis.start()
    assert client.get("/healthz/").status_code == 200


def test_the_embedded_broker_is_checked_without_redis(client, settings, tmp_path):
    folders = {name: tmp_path / "broker" / name for name in ("queue", "control", "processed")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    settings.REDIS_URL = None
    settings.CELERY_BROKER_URL = "filesystem://localhost/"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "control_folder": str(folders["control"]),
        "processed_folder": str(folders["processed"]),
    }
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    folders["queue"].rmdir()
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]


def test_a_broker_that_never_answers_is_down_within_the_time_limit(client, settings):
    # A listening socket that accepts connections and never says a word.
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        settings.REDIS_URL = url
        settings.CELERY_BROKER_URL = url
        response, seconds = timed_health(client)
    finally:
        silent.close()
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "down"
    assert response.json()["checks"]["broker"] == "down"
    assert seconds < CHECK_SECONDS + 1


def run_site(env: dict[str, str]):
    from migrator.processes import free_port
    from tests.support import REPO_ROOT, running_process

    port = free_port()
    command = [sys.executable, str(REPO_ROOT / "manage.py"), "run_site", "--no-worker"]
    return port, running_process(
        [*command, "--port", str(port)], env=env, ready_pattern=r"The site is up at"
    )


def test_run_site_starts_on_the_embedded_defaults_and_says_when_redis_is_down(tmp_path, own_redis):
    from tests.support import embedded_environment

    port, site = run_site(embedded_environment(data_dir=tmp_path / "embedded"))
    with site as output:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=5) as answer:
            assert json.loads(answer.read()) == {
                "status": "ok",
                "checks": {"database": "ok", "broker": "ok"},
            }
        assert "is down" not in output.text()

    own_redis.stop()
    env = embedded_environment(data_dir=tmp_path / "on-redis", REDIS_URL=own_redis.url)
    port, site = run_site(env)
    with site as output:
        assert "The site answers, but redis, broker is down." in output.text()

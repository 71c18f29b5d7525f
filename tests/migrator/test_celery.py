"""A real worker process consumes tasks through Redis and through the embedded broker."""

from __future__ import annotations

import os
import uuid

import pytest
from celery import Celery
from django.conf import settings as django_settings

from migrator.celery import UnsafeCeleryConfiguration, app, assert_reliable_configuration
from tests.support import embedded_environment, manage, running_process

REDIS_URL = os.environ.get("REDIS_URL")


def client_app(*, broker_url: str, result_backend: str, transport_options: dict) -> Celery:
    """A separate client, as the web process would be, talking to the same broker."""
    client = Celery("test-client")
    client.conf.update(
        broker_url=broker_url,
        result_backend=result_backend,
        broker_transport_options=transport_options,
        task_serializer="json",
        accept_content=["json"],
    )
    return client


def worker_command(queue_name: str) -> list[str]:
    import sys

    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "migrator",
        "worker",
        "--loglevel=INFO",
        "--concurrency=1",
        "--without-mingle",
        "--without-gossip",
        f"--queues={queue_name}",
        f"--hostname={queue_name}@%h",
    ]


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set: no Redis server to test with")
def test_worker_process_runs_a_task_through_redis(tmp_path):
    queue_name = f"test-{uuid.uuid4().hex[:10]}"
    env = embedded_environment(data_dir=tmp_path, REDIS_URL=REDIS_URL)
    with running_process(worker_command(queue_name), env=env, ready_pattern=r"ready\.") as out:
        assert "redis://" in out.text()
        client = client_app(broker_url=REDIS_URL, result_backend=REDIS_URL, transport_options={})
        token = uuid.uuid4().hex
        result = client.send_task("migrator.ping", args=[token], queue=queue_name)
        assert result.get(timeout=30)["token"] == token
        out.wait_for(rf"migrator.ping\[{result.id}\] succeeded", timeout=10)


def test_worker_process_runs_a_task_through_the_embedded_broker(tmp_path):
    queue_name = f"test-{uuid.uuid4().hex[:10]}"
    env = embedded_environment(data_dir=tmp_path)
    with running_process(worker_command(queue_name), env=env, ready_pattern=r"ready\.") as out:
        assert "filesystem://" in out.text()
        broker_dir = tmp_path / "broker"
        client = client_app(
            broker_url="filesystem://localhost/",
            result_backend=f"file://{tmp_path / 'celery-results'}",
            transport_options={
                "data_folder_in": str(broker_dir / "queue"),
                "data_folder_out": str(broker_dir / "queue"),
                "control_folder": str(broker_dir / "control"),
            },
        )
        token = uuid.uuid4().hex
        result = client.send_task("migrator.ping", args=[token], queue=queue_name)
        assert result.get(timeout=30)["token"] == token
        out.wait_for(rf"migrator.ping\[{result.id}\] succeeded", timeout=10)


def test_project_settings_are_reliable():
    assert_reliable_configuration(app.conf)
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_time_limit == django_settings.CELERY_TASK_TIME_LIMIT


@pytest.mark.parametrize(
    ("setting", "value", "complaint"),
    [
        ("task_acks_late", False, "task_acks_late"),
        ("task_reject_on_worker_lost", False, "task_reject_on_worker_lost"),
        ("worker_prefetch_multiplier", 4, "worker_prefetch_multiplier"),
        ("task_serializer", "pickle", "JSON"),
        ("task_soft_time_limit", None, "task_soft_time_limit"),
    ],
)
def test_unsafe_settings_are_refused(setting, value, complaint):
    conf = Celery("probe", set_as_current=False).conf
    conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_time_limit=600,
        task_soft_time_limit=540,
        broker_url="redis://localhost:6379/0",
        broker_transport_options={"visibility_timeout": 6000},
    )
    conf.update({setting: value})
    with pytest.raises(UnsafeCeleryConfiguration, match=complaint):
        assert_reliable_configuration(conf)


def test_short_visibility_timeout_is_refused():
    conf = Celery("probe", set_as_current=False).conf
    conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_time_limit=900,
        task_soft_time_limit=840,
        broker_url="redis://localhost:6379/0",
        broker_transport_options={"visibility_timeout": 1000},
    )
    with pytest.raises(UnsafeCeleryConfiguration, match="visibility_timeout"):
        assert_reliable_configuration(conf)


def test_worker_refuses_to_start_with_unsafe_settings(tmp_path):
    env = embedded_environment(
        data_dir=tmp_path, CELERY_TASK_TIME_LIMIT="60", CELERY_TASK_SOFT_TIME_LIMIT="120"
    )
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "migrator", "worker", "--concurrency=1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "task_soft_time_limit must be set and below task_time_limit" in (
        result.stdout + result.stderr
    )


def test_manage_check_passes_in_development(tmp_path):
    result = manage("check", env=embedded_environment(data_dir=tmp_path))
    assert result.returncode == 0, result.stderr


def test_manage_check_reports_unsafe_celery_settings(tmp_path):
    env = embedded_environment(
        data_dir=tmp_path, CELERY_TASK_TIME_LIMIT="60", CELERY_TASK_SOFT_TIME_LIMIT="120"
    )
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "migrator.E001" in result.stderr

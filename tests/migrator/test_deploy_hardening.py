"""What `check --deploy` warns about, and the web server's access log."""

from __future__ import annotations

import base64

import httpx
import pytest
import yaml

from migrator import gunicorn_config
from migrator.processes import WEB_READY, free_port, web_server
from tests.migrator.test_settings import production_environment
from tests.support import REPO_ROOT, embedded_environment, manage


@pytest.mark.parametrize(
    ("variable", "check_id"),
    [("SANDBOX_ENABLED", "migrator.W001"), ("CONNECTOR_ALLOW_PRIVATE_NETWORKS", "migrator.W002")],
)
def test_check_deploy_warns_about_development_switches_left_on(tmp_path, variable, check_id):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_environment(tmp_path, **{variable: "true"}),
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert check_id in output
    assert variable in output
    other = {"migrator.W001", "migrator.W002"} - {check_id}
    assert not any(found in output for found in other)


def test_check_deploy_is_quiet_about_them_in_development(tmp_path):
    env = embedded_environment(
        data_dir=tmp_path, SANDBOX_ENABLED="true", CONNECTOR_ALLOW_PRIVATE_NETWORKS="true"
    )
    result = manage("check", "--deploy", env=env)
    output = result.stdout + result.stderr
    assert "migrator.W001" not in output and "migrator.W002" not in output


def test_the_access_log_format_leaves_the_user_out():
    log_format = gunicorn_config.access_log_format
    assert "%(u)s" not in log_format
    assert "%(h)s" in log_format and "%(s)s" in log_format and "%(r)s" in log_format


def test_every_place_gunicorn_runs_uses_the_configuration():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    assert "--config python:migrator.gunicorn_config" in compose["services"]["web"]["command"]
    command = web_server(env={}, port=1, workers=1).command
    assert "--config=python:migrator.gunicorn_config" in command
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    if "gunicorn" in dockerfile:
        assert "migrator.gunicorn_config" in dockerfile


def test_a_request_with_basic_auth_is_logged_without_its_user(tmp_path):
    port = free_port()
    env = embedded_environment(data_dir=tmp_path)
    server = web_server(env=env, port=port, workers=1, access_log=True)
    server.start(ready=WEB_READY)
    try:
        credentials = base64.b64encode(b"alice.operator:hunter2-secret").decode()
        response = httpx.get(
            f"http://127.0.0.1:{port}/static/css/site.css?probe=basic-auth",
            headers={"Authorization": f"Basic {credentials}"},
            timeout=30,
        )
        assert response.status_code in (200, 404)
        line = server.wait_for(r"probe=basic-auth", timeout=30).string
    finally:
        server.stop()
    assert "alice.operator" not in line
    assert "hunter2" not in line
    assert "127.0.0.1" in line
    assert f'"GET /static/css/site.css?probe=basic-auth HTTP/1.1" {response.status_code}' in line

"""docker-compose.yml cannot run here; it must stay consistent with the settings."""

import json
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

from tests.support import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SETTINGS_SOURCE = (REPO_ROOT / "migrator" / "settings.py").read_text()


def test_services_and_health_checks():
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "demo-worker", "beat"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_application_services_share_the_environment_and_wait_for_their_backends():
    for name in ("web", "worker", "demo-worker", "beat"):
        service = COMPOSE["services"][name]
        environment = service["environment"]
        assert environment["DEBUG"] == "false"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        for required in ("SECRET_KEY", "CREDENTIALS_ENCRYPTION_KEYS", "ALLOWED_HOSTS"):
            assert required in environment, f"{name} lacks {required}"
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"


def test_every_variable_passed_is_read_by_the_settings():
    environment = COMPOSE["services"]["web"]["environment"]
    read_by_settings = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', SETTINGS_SOURCE))
    unknown = set(environment) - read_by_settings
    assert not unknown, f"docker-compose passes variables the settings never read: {unknown}"


def test_commands_run_the_right_programs():
    services = COMPOSE["services"]
    assert "gunicorn migrator.wsgi:application" in services["web"]["command"]
    assert "migrate --noinput" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "migrator", "worker"]
    assert services["demo-worker"]["command"][:4] == ["celery", "-A", "migrator", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "migrator", "beat"]
    assert "/healthz/" in " ".join(services["web"]["healthcheck"]["test"])


def _answering(status: int):
    """A loopback server whose /healthz/ answers ``status``."""

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"status": "ok" if status == 200 else "unavailable"}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _seconds(duration: str) -> float:
    return float(duration.removesuffix("s"))


def test_the_web_health_check_fails_while_healthz_names_something_down():
    from migrator.health import CHECK_SECONDS

    check = COMPOSE["services"]["web"]["healthcheck"]
    assert check["test"][:3] == ["CMD", "python", "-c"]
    code = check["test"][3]
    # It waits for /healthz/'s own checks, and docker waits for it.
    waits = float(re.search(r"timeout=(\d+(?:\.\d+)?)", code).group(1))
    assert CHECK_SECONDS < waits < _seconds(check["timeout"])
    for status, healthy in ((200, True), (503, False)):
        server = _answering(status)
        try:
            port = server.server_address[1]
            local = code.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
            assert local != code
            done = subprocess.run([sys.executable, "-c", local], capture_output=True, timeout=30)
        finally:
            server.shutdown()
            server.server_close()
        assert (done.returncode == 0) is healthy, (status, done.stderr)


def _option(command: list[str], name: str) -> str:
    return next(part.split("=", 1)[1] for part in command if part.startswith(f"--{name}="))


def test_workers_consume_the_queues_the_settings_send_to():
    """The main worker takes full runs and demos; the demo worker, one process, demos only:
    the queue names are the settings' defaults (MIGRATOR_QUEUE and its "-demo" queue)."""
    from migrator.queues import demo_queue_of

    main = re.search(r'"MIGRATOR_QUEUE", env.str, default="([^"]+)"', SETTINGS_SOURCE)[1]
    demo = demo_queue_of(main)
    worker = COMPOSE["services"]["worker"]["command"]
    demo_worker = COMPOSE["services"]["demo-worker"]["command"]
    assert _option(worker, "queues").split(",") == [main, demo]
    assert _option(demo_worker, "queues") == demo
    assert _option(demo_worker, "concurrency") == "1"

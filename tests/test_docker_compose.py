"""docker-compose.yml cannot run here; it must stay consistent with the settings."""

import re

import yaml

from tests.support import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SETTINGS_SOURCE = (REPO_ROOT / "migrator" / "settings.py").read_text()


def test_services_and_health_checks():
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_application_services_share_the_environment_and_wait_for_their_backends():
    for name in ("web", "worker", "beat"):
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
    assert services["beat"]["command"][:4] == ["celery", "-A", "migrator", "beat"]
    assert "/healthz/" in " ".join(services["web"]["healthcheck"]["test"])

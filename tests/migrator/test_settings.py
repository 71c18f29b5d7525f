"""Settings come from the environment; a bad value stops start-up naming the variable."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from tests.support import REPO_ROOT, embedded_environment, manage

PRODUCTION_SECRET = "q8Zr3v-T1xKp0fWm9LsYb7nHc2JdEa4GuRtVi6oPzXyQk5MwBlNjFhDgCeSaU_"


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'migrator.settings';"
        "django.setup(); from django.conf import settings;"
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def production_environment(tmp_path, **overrides: str) -> dict[str, str]:
    return embedded_environment(
        data_dir=tmp_path,
        DEBUG="false",
        SECRET_KEY=PRODUCTION_SECRET,
        ALLOWED_HOSTS="migrate.example.com",
        CREDENTIALS_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        **overrides,
    )


def test_embedded_default_without_database_or_redis(tmp_path):
    result = load_settings(embedded_environment(data_dir=tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://localhost/"]
    assert (tmp_path / "broker" / "queue").is_dir()


def test_database_and_redis_urls_are_used(tmp_path):
    env = embedded_environment(
        data_dir=tmp_path,
        DATABASE_URL="postgres://someone@db.internal:5432/migrations",
        REDIS_URL="redis://cache.internal:6379/2",
    )
    result = load_settings(env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "redis://cache.internal:6379/2",
    ]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "mongodb://db.internal/x"),
        ("REDIS_URL", "http://cache.internal:6379"),
        ("DEBUG", "perhaps"),
        ("CREDENTIALS_ENCRYPTION_KEYS", "too-short-to-be-a-key"),
        ("CELERY_TASK_TIME_LIMIT", "ten minutes"),
        ("EMAIL_URL", "carrier-pigeon://loft"),
    ],
)
def test_malformed_value_stops_start_up_naming_the_variable(tmp_path, variable, value):
    result = load_settings(embedded_environment(data_dir=tmp_path, **{variable: value}))
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line
    assert variable in last_line


def test_production_requires_a_secret_key(tmp_path):
    env = production_environment(tmp_path)
    del env["SECRET_KEY"]
    result = load_settings(env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_requires_credentials_encryption_keys(tmp_path):
    env = production_environment(tmp_path)
    del env["CREDENTIALS_ENCRYPTION_KEYS"]
    result = load_settings(env)
    assert result.returncode != 0
    assert "CREDENTIALS_ENCRYPTION_KEYS is not set" in result.stderr


def test_secret_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(PRODUCTION_SECRET + "\n")
    env = production_environment(tmp_path, SECRET_KEY_FILE=str(secret_file))
    del env["SECRET_KEY"]
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'migrator.settings';"
        "django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == PRODUCTION_SECRET


def test_unreadable_secret_file_is_named(tmp_path):
    env = production_environment(tmp_path, SECRET_KEY_FILE=str(tmp_path / "missing"))
    del env["SECRET_KEY"]
    result = load_settings(env)
    assert result.returncode != 0
    assert "SECRET_KEY_FILE" in result.stderr


def test_production_settings_pass_check_deploy(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_environment(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_email_url_configures_smtp(tmp_path):
    env = embedded_environment(
        data_dir=tmp_path, EMAIL_URL="smtp+tls://mailer:pw@mail.example.com:587"
    )
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'migrator.settings';"
        "django.setup(); from django.conf import settings as s;"
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.example.com",
        "587",
        "mailer",
        "True",
    ]

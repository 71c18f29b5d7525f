"""Billing settings come from the environment; a wrong one stops start-up naming it."""

from __future__ import annotations

import subprocess
import sys

from tests.support import REPO_ROOT, embedded_environment

CODE = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'migrator.settings';"
    "django.setup(); from django.conf import settings;"
    "print(settings.BILLING_ENABLED, settings.BILLING_PROVIDER, settings.STRIPE_SECRET_KEY,"
    " settings.STRIPE_WEBHOOK_SECRET)"
)


def load(tmp_path, **variables: str) -> subprocess.CompletedProcess:
    env = embedded_environment(data_dir=tmp_path)
    env.pop("BILLING_ENABLED", None)  # the test run's own switch
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-c", CODE],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_billing_is_on_with_invoices_by_default(tmp_path):
    result = load(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "manual"]


def test_billing_can_be_switched_off(tmp_path):
    result = load(tmp_path, BILLING_ENABLED="false")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"


def test_stripe_with_its_secrets_from_files(tmp_path):
    key_file = tmp_path / "stripe-key"
    key_file.write_text("sk_live_fromfile\n")
    hook_file = tmp_path / "stripe-hook"
    hook_file.write_text("whsec_fromfile\n")
    result = load(
        tmp_path,
        BILLING_PROVIDER="stripe",
        STRIPE_SECRET_KEY_FILE=str(key_file),
        STRIPE_WEBHOOK_SECRET_FILE=str(hook_file),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "stripe", "sk_live_fromfile", "whsec_fromfile"]


def test_stripe_without_its_secrets_stops_start_up(tmp_path):
    result = load(tmp_path, BILLING_PROVIDER="stripe", STRIPE_SECRET_KEY="sk_test_1")
    assert result.returncode != 0
    assert "STRIPE_WEBHOOK_SECRET" in result.stderr


def test_an_unknown_provider_stops_start_up(tmp_path):
    result = load(tmp_path, BILLING_PROVIDER="paypal")
    assert result.returncode != 0
    assert "BILLING_PROVIDER is malformed" in result.stderr

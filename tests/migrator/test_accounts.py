"""Accounts: e-mail login, confirmation, password reset, optional Google / Microsoft."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from migrator.models import User
from migrator.services import DEMO_ADMIN_EMAIL, demo_admin_ensure
from tests.support import embedded_environment, manage

pytestmark = pytest.mark.django_db


def test_sign_up_sends_a_confirmation_link_and_unconfirmed_users_cannot_log_in(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@acme.example",
            "password1": "Pl3nty-of-entropy",
            "password2": "Pl3nty-of-entropy",
        },
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert re.search(r"/accounts/confirm-email/\S+/", mail.outbox[0].body)
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "new@acme.example", "password": "Pl3nty-of-entropy"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")


def test_password_reset_mails_a_working_link(client, make_user):
    user = make_user(email="forgetful@acme.example")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    assert link
    response = client.get(link.group(1), follow=True)
    assert response.status_code == 200
    new_password = "An0ther-long-passphrase"
    response = client.post(
        response.redirect_chain[-1][0],
        {"password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_users_log_in_with_their_email_address():
    user = User.objects.create_user("Someone@Example.COM", "pw-1234-long")
    assert user.email == "Someone@example.com"
    assert User.USERNAME_FIELD == "email"


def test_demo_admin_is_confirmed_and_keeps_its_password():
    email, password = demo_admin_ensure()
    assert email == DEMO_ADMIN_EMAIL
    admin = User.objects.get(email=email)
    assert admin.is_superuser and admin.check_password(password)
    assert EmailAddress.objects.get(user=admin).verified
    assert demo_admin_ensure() == (email, password)


LOGIN_PAGE_PROVIDERS = (
    "from django.test import Client;"
    "page = Client().get('/accounts/login/').content.decode();"
    "print('google' if 'Google' in page else '-', 'microsoft' if 'Microsoft' in page else '-')"
)


def test_social_sign_in_appears_only_when_configured(tmp_path):
    bare = embedded_environment(data_dir=tmp_path, ALLOWED_HOSTS="testserver")
    assert manage("migrate", "--noinput", env=bare).returncode == 0
    shown = manage("shell", "-v", "0", "-c", LOGIN_PAGE_PROVIDERS, env=bare)
    assert shown.stdout.split() == ["-", "-"], shown.stderr

    configured = embedded_environment(
        data_dir=tmp_path,
        ALLOWED_HOSTS="testserver",
        GOOGLE_CLIENT_ID="1234.apps.googleusercontent.com",
        GOOGLE_CLIENT_SECRET="google-secret",
        MICROSOFT_CLIENT_ID="00000000-aaaa-bbbb-cccc-000000000000",
        MICROSOFT_CLIENT_SECRET="microsoft-secret",
    )
    shown = manage("shell", "-v", "0", "-c", LOGIN_PAGE_PROVIDERS, env=configured)
    assert shown.stdout.split() == ["google", "microsoft"], shown.stderr


def _sign_up_and_get_link(client, email: str) -> str:
    client.post(
        reverse("account_signup"),
        {"email": email, "password1": "Pl3nty-of-entropy", "password2": "Pl3nty-of-entropy"},
    )
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)
    assert link
    return link.group(1)


def test_the_confirmation_link_signs_its_user_in_once(client):
    from django.test import Client

    link = _sign_up_and_get_link(client, "linked@acme.example")
    # Opened elsewhere (another browser: no sign-up session), it confirms and signs in.
    other = Client()
    page = other.get(link)
    assert page.status_code == 200
    assert "linked@acme.example" in page.content.decode()
    response = other.post(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert other.get(reverse("dashboard")).status_code == 200
    assert EmailAddress.objects.get(email="linked@acme.example").verified

    # Used again, it signs no one in and says the address is already confirmed.
    third = Client()
    page = third.get(link)
    assert page.status_code == 410
    assert "already used" in page.content.decode()
    response = third.post(link)
    assert response.status_code == 410
    assert third.get(reverse("dashboard")).status_code == 302


def test_an_expired_or_mangled_link_says_so(client):
    import time
    from unittest import mock

    link = _sign_up_and_get_link(client, "late@acme.example")
    later = mock.Mock(time=mock.Mock(return_value=time.time() + 30 * 24 * 3600))
    with mock.patch("django.core.signing.time", later):
        page = client.get(link)
        assert client.post(link).status_code == 410
    assert page.status_code == 410
    assert "expired" in page.content.decode()
    assert not EmailAddress.objects.get(email="late@acme.example").verified

    page = client.get("/accounts/confirm-email/not-a-key/")
    assert page.status_code == 404
    assert "not valid" in page.content.decode()


def _error_follows_its_field(page: str, name: str) -> None:
    """The field's error is rendered inside its own block, after its input, not above it."""
    block = re.search(
        rf'<div class="field has-errors" data-field="{name}">(.*?)</div>', page, re.DOTALL
    )
    assert block, f"no error block for {name}"
    body = block.group(1)
    assert body.index(f'name="{name}"') < body.index('class="error"'), body
    # Nothing shows the error above the label any more.
    assert 'class="errorlist"' not in page.split(f'name="{name}"')[0].rsplit("<form", 1)[-1]


def test_password_errors_render_under_their_own_field(client, make_user):
    short = "abc"
    page = client.post(
        reverse("account_signup"),
        {"email": "someone@acme.example", "password1": short, "password2": short},
    ).content.decode()
    _error_follows_its_field(page, "password1")

    page = client.post(
        reverse("account_login"), {"login": "someone@acme.example", "password": ""}
    ).content.decode()
    _error_follows_its_field(page, "password")

    user = make_user(email="forgetful2@acme.example")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.post(reverse("account_reset_password"), {"email": user.email})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)
    form_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    page = client.post(form_url, {"password1": short, "password2": short}).content.decode()
    _error_follows_its_field(page, "password1")

    client.force_login(user)
    page = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong-one", "password1": "An0ther-long-pass", "password2": "nope"},
    ).content.decode()
    _error_follows_its_field(page, "oldpassword")
    _error_follows_its_field(page, "password2")

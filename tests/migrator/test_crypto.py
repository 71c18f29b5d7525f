import json

import pytest
from cryptography.fernet import Fernet

from migrator.crypto import (
    CredentialsUnreadable,
    decrypt_credentials,
    encrypt_credentials,
    rotate_token,
)

CREDENTIALS = {"subdomain": "acme", "email": "admin@acme.test", "api_token": "s3cr3t-token"}


def test_round_trip_and_nothing_readable_at_rest(settings):
    settings.CREDENTIALS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    token = encrypt_credentials(credentials=CREDENTIALS)
    assert "s3cr3t-token" not in token
    assert "acme" not in token
    assert decrypt_credentials(token=token) == CREDENTIALS


def test_rotation_keeps_old_tokens_readable_and_rewrites_them_with_the_new_key(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [old_key]
    old_token = encrypt_credentials(credentials=CREDENTIALS)

    settings.CREDENTIALS_ENCRYPTION_KEYS = [new_key, old_key]
    assert decrypt_credentials(token=old_token) == CREDENTIALS
    rotated = rotate_token(token=old_token)

    settings.CREDENTIALS_ENCRYPTION_KEYS = [new_key]
    assert decrypt_credentials(token=rotated) == CREDENTIALS
    with pytest.raises(CredentialsUnreadable, match="CREDENTIALS_ENCRYPTION_KEYS"):
        decrypt_credentials(token=old_token)
    assert json.loads(Fernet(new_key).decrypt(rotated.encode())) == CREDENTIALS

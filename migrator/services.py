"""Writes of the core domain."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from migrator.models import Migration, User

MIGRATION_NAME_MAX_LENGTH = Migration._meta.get_field("name").max_length


def _clean_migration_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationError(_("Give the migration a name."), code="blank")
    if len(cleaned) > MIGRATION_NAME_MAX_LENGTH:
        raise ValidationError(
            _("A name has at most %(limit)d characters.") % {"limit": MIGRATION_NAME_MAX_LENGTH},
            code="too_long",
        )
    return cleaned


def migration_create(*, owner: User, name: str) -> Migration:
    return Migration.objects.create(owner=owner, name=_clean_migration_name(name))


def migration_rename(*, migration: Migration, name: str) -> Migration:
    migration.name = _clean_migration_name(name)
    migration.save(update_fields=["name", "updated_at"])
    return migration


DEMO_ADMIN_EMAIL = "admin@example.com"


def demo_admin_ensure() -> tuple[str, str]:
    """Create the development administrator once; its password is kept in the data folder.

    The password is generated on first use and stored (readable by the owner only) so that
    every ``make run`` prints the same working credentials.
    """
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.utils.crypto import get_random_string

    password_file = settings.DATA_DIR / "demo-admin-password.txt"
    if password_file.exists():
        password = password_file.read_text().strip()
    else:
        password = get_random_string(16)
        password_file.write_text(password)
        password_file.chmod(0o600)
    user = User.objects.filter(email=DEMO_ADMIN_EMAIL).first()
    if user is None:
        user = User.objects.create_superuser(DEMO_ADMIN_EMAIL, password, full_name="Demo Admin")
    elif not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=DEMO_ADMIN_EMAIL, defaults={"verified": True, "primary": True}
    )
    return DEMO_ADMIN_EMAIL, password

"""The development settings with :mod:`tests.wizard.pending_urls`, for a real site process."""

from migrator.settings import *  # noqa: F403

ROOT_URLCONF = "tests.wizard.pending_urls"

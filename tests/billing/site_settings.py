"""The site's settings with the routes of tests/billing/urls.py (for a real run_site)."""

from migrator.settings import *  # noqa: F403

ROOT_URLCONF = "tests.billing.urls"

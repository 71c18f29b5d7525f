"""The project's settings for a `run_site` started by the browser tests of the run pages:
the same in every way but the URLs (tests/wizard/step_urls.py)."""

from migrator.settings import *  # noqa: F403

ROOT_URLCONF = "tests.wizard.step_urls"

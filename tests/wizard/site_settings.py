"""The site's settings with the URLs of tests/wizard/step_urls.py, for browser tests of
steps whose neighbours are built in other branches."""

from migrator.settings import *  # noqa: F403

ROOT_URLCONF = "tests.wizard.step_urls"

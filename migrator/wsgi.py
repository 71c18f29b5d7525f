import os

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "migrator.settings")


class SandboxHandler(WSGIHandler):
    """The emulated help desks' APIs, without the site's middleware: they answer API
    clients, so sessions, users, messages and languages are work for nothing."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)

    def get_response(self, request):
        # No "SELECT 1" before each call: a connection that had no error in its last call
        # is taken as alive. Had it died since, this call fails (the client retries it)
        # and the connection is replaced before the next one.
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None and not connection.errors_occurred:
                connection.health_check_done = True
        return super().get_response(request)


def _application():
    site = get_wsgi_application()
    from connectors.emulation import SANDBOX_PATH_PREFIX
    from reports.sandbox_records import is_sandbox_record_path

    sandbox = SandboxHandler()

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        # The sandbox's record pages are the site's own (a signed-in user reads them).
        api = path.startswith(SANDBOX_PATH_PREFIX) and not is_sandbox_record_path(path)
        handler = sandbox if api else site
        return handler(environ, start_response)

    return application


application = _application()

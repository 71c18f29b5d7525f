from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from migrator.health import OK, health_checks


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and docker-compose: 200 when the database, Redis (when
    configured) and the broker answer, else 503 naming what is down."""
    checks = health_checks()
    down = [name for name, state in checks.items() if state != OK]
    if down:
        return JsonResponse({"status": "unavailable", "checks": checks, "down": down}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})

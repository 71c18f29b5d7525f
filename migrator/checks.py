from django.core import checks


@checks.register(checks.Tags.compatibility)
def celery_reliability_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """The same Celery guarantees the worker asserts, checked by every manage.py command."""
    from migrator.celery import UnsafeCeleryConfiguration, app, assert_reliable_configuration

    try:
        assert_reliable_configuration(app.conf)
    except UnsafeCeleryConfiguration as problem:
        return [checks.Error(str(problem), id="migrator.E001")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def development_switches_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Switches that development turns on and a public site must not keep."""
    from django.conf import settings

    if settings.DEBUG:
        return []
    warnings = []
    if settings.SANDBOX_ENABLED:
        warnings.append(
            checks.Warning(
                "SANDBOX_ENABLED is on with DEBUG off: the emulated help desks under "
                "/sandbox/ are served to anyone who reaches the site.",
                hint="Set SANDBOX_ENABLED=false unless this site is a public demo.",
                id="migrator.W001",
            )
        )
    if settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS:
        warnings.append(
            checks.Warning(
                "CONNECTOR_ALLOW_PRIVATE_NETWORKS is on with DEBUG off: a user's connection "
                "can make this server call addresses of its own network (SSRF).",
                hint="Set CONNECTOR_ALLOW_PRIVATE_NETWORKS=false unless every user is trusted "
                "and a help desk really lives on a private network.",
                id="migrator.W002",
            )
        )
    return warnings

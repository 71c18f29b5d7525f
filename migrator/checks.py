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

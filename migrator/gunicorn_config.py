"""gunicorn's settings wherever the site runs under it (``--config
python:migrator.gunicorn_config``: docker-compose.yml, migrator/processes.py).

The access log leaves out ``%(u)s``, the user part of an Authorization header: behind a
proxy that asks for basic auth it would name the operator's accounts in every line.
"""

access_log_format = '%(h)s %(l)s - %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

"""Settings, one module per environment, each built on ``base`` (shared, read from environment
variables):

- ``local``: development, the default of ``manage.py`` (so of ``make run``);
- ``production``: the Docker image and the compose stack, the default of the servers (the ASGI and
  WSGI applications) and of Celery's workers and beat;
- ``test``: pytest (``pytest.ini``) and the servers and workers the tests start.
"""

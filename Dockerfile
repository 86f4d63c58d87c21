# mini_twitter application image: web (gunicorn, WSGI: HTTP), stream (uvicorn, ASGI: WebSockets and
# the Mastodon API's streams), Celery worker and beat.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Every process of the image (web, worker, beat and the management commands) runs on the production
# settings.
ENV DJANGO_SETTINGS_MODULE=mini_twitter.settings.production

WORKDIR /app

# Runtime dependencies only (no test or lint tools).
COPY requirements.txt .
RUN pip install -r requirements.txt

RUN groupadd --system app && useradd --system --gid app --home /app app \
    && mkdir -p /app/var/static /app/var/media && chown -R app:app /app/var

COPY --chown=app:app . .

USER app

# Collect static files at build time, owned by the app user like the compose job that refreshes
# them in the shared volume (a throwaway key: collectstatic needs settings, not secrets).
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

EXPOSE 8000

# X-Forwarded-For is believed only from the proxies listed in FORWARDED_ALLOW_IPS (addresses or
# CIDR ranges; docker-compose.yml names nginx's; read by gunicorn, uvicorn and wsgi.py): by default
# from nobody, so the client address is always the direct peer.
ENV FORWARDED_ALLOW_IPS=""

# The HTTP server, as docker-compose.yml's `web` runs it (its `stream` service runs uvicorn for the
# sockets). Several processes: set PROMETHEUS_MULTIPROC_DIR to an empty directory so that /metrics
# covers them all (docker-compose.yml does).
CMD ["gunicorn", "mini_twitter.wsgi:application", "--bind=0.0.0.0:8000", "--workers=2", "--timeout=60", \
     "--graceful-timeout=20", "--worker-tmp-dir=/dev/shm"]

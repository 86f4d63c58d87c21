# mini_twitter application image: web (gunicorn) and Celery workers run from it.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Runtime dependencies only (no test or lint tools).
COPY requirements.txt .
RUN pip install -r requirements.txt

RUN groupadd --system app && useradd --system --gid app --home /app app \
    && mkdir -p /app/var/static /app/var/media && chown -R app:app /app/var

COPY --chown=app:app . .

# Collect static files at build time (a throwaway key: collectstatic needs settings, not secrets).
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

USER app
EXPOSE 8000

CMD ["gunicorn", "mini_twitter.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]

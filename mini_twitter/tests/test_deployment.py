"""The compose setup and the Dockerfile agree with the project (there is no Docker engine in CI,
so they are read, not run)."""

import re
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_the_whole_stack():
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat", "nginx"} <= set(services)
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    web = services["web"]
    assert web["environment"]["DATABASE_URL"].startswith("postgres://")
    assert web["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["command"][:4] == ["celery", "-A", "mini_twitter", "worker"]
    queues = services["worker"]["command"][services["worker"]["command"].index("-Q") + 1].split(",")
    assert set(queues) == {"default", "email"}  # the settings' defaults (CELERY_DEFAULT_QUEUE, CELERY_EMAIL_QUEUE)
    for name, service in services.items():
        assert "healthcheck" in service or name in {"migrate", "worker", "beat"}, name


def test_compose_refers_only_to_files_that_exist():
    for service in compose()["services"].values():
        for volume in service.get("volumes", []):
            # "${VAR:-./default}:/target" mounts the default when VAR is unset.
            source = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", volume).split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), source


def test_nginx_serves_media_and_proxies_to_web():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "location /media/" in conf and "alias /srv/media/;" in conf
    assert "proxy_pass http://mini_twitter_web;" in conf and "server web:8000;" in conf
    assert "try_files $uri /index.html @app;" in conf
    nginx = compose()["services"]["nginx"]
    assert "media:/srv/media:ro" in nginx["volumes"]


def test_dockerfile_is_slim_non_root_and_without_dev_dependencies():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("# ") and "FROM python:3.11-slim" in dockerfile
    assert "pip install -r requirements.txt" in dockerfile
    assert "requirements-dev" not in dockerfile
    assert "\nUSER app\n" in dockerfile

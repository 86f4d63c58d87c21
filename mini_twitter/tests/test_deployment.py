"""The compose setup, the Dockerfile, nginx, Prometheus and the Grafana dashboard agree with the
project (there is no Docker engine in CI, so they are read, not run): every service, file, port
and metric they name exists."""

import ipaddress
import json
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.urls import resolve
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"
ONE_SHOT = {"migrate", "collectstatic"}
APP_SERVICES = {"migrate", "collectstatic", "web", "stream", "worker", "beat"}
# The servers of the application: HTTP (gunicorn, WSGI) and the sockets and streams (uvicorn, ASGI).
SERVERS = ("web", "stream")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def prometheus_config() -> dict:
    return yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())


def dashboard() -> dict:
    return json.loads((DEPLOY / "grafana" / "dashboards" / "mini_twitter.json").read_text())


def mounts(service: dict) -> dict[str, str]:
    """container path -> source, with "${VAR:-./default}" read as its default."""
    found = {}
    for volume in service.get("volumes", []):
        source, target = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", volume).split(":")[:2]
        found[target] = source
    return found


def test_compose_runs_the_whole_stack():
    services = compose()["services"]
    assert set(services) == {
        "postgres",
        "redis",
        "migrate",
        "collectstatic",
        "web",
        "stream",
        "worker",
        "beat",
        "nginx",
        "prometheus",
        "grafana",
    }
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    web = services["web"]
    assert web["environment"]["DATABASE_URL"].startswith("postgres://")
    assert web["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    # HTTP on gunicorn's sync workers (WSGI); the WebSockets and the Mastodon API's streams on an
    # ASGI server; both take the client address from nginx (below).
    assert web["command"][:2] == ["gunicorn", "mini_twitter.wsgi:application"]
    assert "--bind=0.0.0.0:8000" in web["command"]
    assert not any(argument.startswith(("--worker-class", "-k", "--threads")) for argument in web["command"])
    stream = services["stream"]
    assert stream["command"][:2] == ["uvicorn", "mini_twitter.asgi:application"]
    assert {"--proxy-headers", "--port=8000", "--no-access-log"} <= set(stream["command"])
    assert stream["environment"]["DATABASE_URL"] == web["environment"]["DATABASE_URL"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "mini_twitter", "worker"]
    queues = services["worker"]["command"][services["worker"]["command"].index("-Q") + 1].split(",")
    assert set(queues) == {"default", "email"}  # the settings' defaults (CELERY_DEFAULT_QUEUE, CELERY_EMAIL_QUEUE)
    assert services["beat"]["command"][:4] == ["celery", "-A", "mini_twitter", "beat"]
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"], name
    for name, service in services.items():
        if name not in {"prometheus", "grafana"}:
            assert "profiles" not in service, name


def test_every_long_running_service_has_a_health_check_and_the_app_waits_for_migrations():
    services = compose()["services"]
    for name, service in services.items():
        if name in ONE_SHOT:
            assert service["restart"] == "no", name
        else:
            assert service["healthcheck"]["test"], name
    for name in ("web", "stream", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in SERVERS:
        assert services["nginx"]["depends_on"][name]["condition"] == "service_healthy", name
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"]), name
    assert services["nginx"]["depends_on"]["collectstatic"]["condition"] == "service_completed_successfully"
    # The worker and beat answer pings through the broker (beat only while its scheduler ticks).
    assert "celery@$$HOSTNAME" in services["worker"]["healthcheck"]["test"][1]
    assert "celerybeat@$$HOSTNAME" in services["beat"]["healthcheck"]["test"][1]
    assert "--enable-remote-control" in services["beat"]["command"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])


def test_compose_refers_only_to_services_volumes_and_files_that_exist():
    config = compose()
    services, volumes = config["services"], set(config["volumes"])
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, (name, dependency)
        for target, source in mounts(service).items():
            if source.startswith("./"):
                assert (ROOT / source).exists(), (name, source)
            else:
                assert source in volumes, (name, source)
            assert target.startswith("/"), (name, target)


# Read by the servers themselves (and by the settings, for wsgi.py).
SERVER_VARIABLES = {"FORWARDED_ALLOW_IPS"}


def test_compose_environment_names_settings_the_project_reads():
    """Every variable given to the application is read by the settings or the operations code
    (or by the web server)."""
    code = "".join(
        path.read_text()
        for directory in ("settings", "observability")
        for path in (ROOT / "mini_twitter" / directory).glob("*.py")
    )
    services = compose()["services"]
    for name in APP_SERVICES:
        for variable in set(services[name]["environment"]) - SERVER_VARIABLES:
            assert f'"{variable}"' in code, (name, variable)


def test_web_and_worker_aggregate_the_metrics_of_their_processes():
    services = compose()["services"]
    for name in ("web", "stream", "worker"):
        directory = services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        assert directory in services[name]["tmpfs"], name  # fresh (empty) on every start
    for name in ("migrate", "collectstatic", "beat"):
        assert "PROMETHEUS_MULTIPROC_DIR" not in services[name]["environment"], name
    worker = services["worker"]
    assert worker["environment"]["WORKER_METRICS_PORT"] in worker["expose"]
    # The health probe is a separate short-lived process: it must not leave files in that directory.
    assert "env -u PROMETHEUS_MULTIPROC_DIR" in worker["healthcheck"]["test"][1]


def test_prometheus_scrapes_the_web_and_worker_services_on_their_metrics_ports():
    services = compose()["services"]
    assert mounts(services["prometheus"])["/etc/prometheus/prometheus.yml"] == "./deploy/prometheus/prometheus.yml"
    ports = {
        "web": web_port(services["web"]),
        "stream": web_port(services["stream"]),
        "worker": int(services["worker"]["environment"]["WORKER_METRICS_PORT"]),
    }
    jobs = {job["job_name"]: job for job in prometheus_config()["scrape_configs"]}
    assert {"web", "stream", "worker"} <= set(jobs)
    for name, port in ports.items():
        assert jobs[name]["metrics_path"] == "/metrics"
        assert str(port) in services[name]["expose"]
    # The web application checks the Host header: scraped by its service name, an allowed host.
    for name in SERVERS:
        assert jobs[name]["static_configs"] == [{"targets": [f"{name}:{ports[name]}"]}]
        assert name in services[name]["environment"]["ALLOWED_HOSTS"].split(",")
    [discovery] = jobs["worker"]["dns_sd_configs"]
    assert discovery["names"] == ["worker"] and discovery["type"] == "A" and discovery["port"] == ports["worker"]
    # An empty METRICS_ALLOWED_IPS from compose means the default ranges, so Prometheus may scrape.
    assert services["web"]["environment"]["METRICS_ALLOWED_IPS"] == "${METRICS_ALLOWED_IPS:-}"
    assert resolve("/metrics").url_name == "metrics"
    for job in jobs.values():
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                assert target.split(":")[0] in {"localhost", *services}, target


def web_port(server: dict) -> int:
    """The port of a server's command line: gunicorn's ``--bind=host:port``, uvicorn's ``--port=``."""
    [port] = [
        int(arg.rsplit(":" if arg.startswith("--bind=") else "=", 1)[1])
        for arg in server["command"]
        if arg.startswith(("--port=", "--bind="))
    ]
    return port


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard():
    grafana = compose()["services"]["grafana"]
    mounted = mounts(grafana)
    datasources = yaml.safe_load(
        (ROOT / mounted["/etc/grafana/provisioning/datasources"] / "prometheus.yml").read_text()
    )["datasources"]
    [source] = datasources
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    assert "9090" in compose()["services"]["prometheus"]["healthcheck"]["test"][-1]
    [provider] = yaml.safe_load(
        (ROOT / mounted["/etc/grafana/provisioning/dashboards"] / "mini_twitter.yml").read_text()
    )["providers"]
    dashboards_dir = ROOT / mounted[provider["options"]["path"]]
    assert (dashboards_dir / "mini_twitter.json").is_file()
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{provider['options']['path']}/mini_twitter.json"
    board = dashboard()
    for panel in board["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == source["uid"], panel["title"]
            assert all(target["datasource"]["uid"] == source["uid"] for target in panel["targets"])


PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool"}
# Series Prometheus itself adds to every job.
PROMETHEUS_SERIES = {"up"}
PROMETHEUS_LABELS = {"job", "instance"}


def promql_names(expr: str) -> tuple[set[str], set[str]]:
    """(metric names, label names) that a PromQL expression refers to."""
    labels = set(re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expr))
    label_names = {name.strip() for group in labels for name in group.split(",") if name.strip()}
    for matchers in re.findall(r"\{([^}]*)\}", expr):
        label_names |= set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers))
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"", " ", expr)
    bare = re.sub(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)", " ", bare)
    functions = set(re.findall(r"([A-Za-z_]\w*)\s*\(", bare))
    words = set(re.findall(r"(?<![\w.])([A-Za-z_:][\w:]*)", bare))
    return words - functions - PROMQL_KEYWORDS, label_names


def test_promql_names_reads_metrics_and_labels():
    expr = 'histogram_quantile(0.99, sum by (le, view) (rate(x_bucket{status=~"5..", a="b"}[$__rate_interval]))) * 60'
    assert promql_names(expr) == ({"x_bucket"}, {"le", "view", "status", "a"})


@pytest.mark.django_db
def test_the_dashboard_graphs_only_series_the_application_exposes(client_for, django_capture_on_commit_callbacks):
    """Fetch /metrics after a post (with its notification task) and a feed read, and check every
    metric and label the dashboard's queries use against it."""
    from users.tests.factories import UserFactory

    UserFactory(username="alice")
    api = client_for(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/api/posts/", {"content": "hello @alice"}, format="json").status_code == 201
    assert api.get("/api/posts/feed/").status_code == 200
    response = api.get("/metrics")
    assert response.status_code == 200
    exposed: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            exposed.setdefault(sample.name, set()).update(sample.labels)

    exprs = [target["expr"] for panel in dashboard()["panels"] for target in panel.get("targets", [])]
    assert exprs
    used_metrics = set()
    for expr in exprs:
        metrics, labels = promql_names(expr)
        assert metrics, expr
        for metric in metrics:
            assert metric in exposed or metric in PROMETHEUS_SERIES, (metric, expr)
        available = set().union(*(exposed.get(metric, set()) for metric in metrics)) | PROMETHEUS_LABELS
        assert labels <= available, (labels - available, expr)
        used_metrics |= metrics
    # The panels the issue asks for: requests, latencies, errors, feed, tasks, notifications, posts.
    assert {
        "django_http_requests_total_by_view_transport_method_total",
        "django_http_requests_latency_seconds_by_view_method_bucket",
        "django_http_responses_total_by_status_view_method_total",
        "mini_twitter_feed_requests_total",
        "mini_twitter_celery_tasks_total",
        "mini_twitter_celery_task_duration_seconds_bucket",
        "mini_twitter_notifications_created_total",
        "mini_twitter_posts_created_total",
    } <= used_metrics
    assert any('status=~"5.."' in expr for expr in exprs)
    assert any("histogram_quantile(0.99" in expr for expr in exprs)
    assert any("histogram_quantile(0.5" in expr for expr in exprs)


def test_nginx_serves_static_and_media_and_proxies_the_rest_to_web():
    conf = (DEPLOY / "nginx.conf").read_text()
    assert "location /media/" in conf and "alias /srv/media/;" in conf
    assert "location ^~ /static/" in conf and "root /srv;" in conf
    assert "proxy_pass http://mini_twitter_web;" in conf and "server web:8000;" in conf
    assert "try_files $uri /index.html @app;" in conf
    # WebSockets are upgraded; they and the Mastodon API's streams (its health check included) go to
    # the ASGI server, everything else to the HTTP server; metrics stay inside the compose network.
    assert "server stream:8000;" in conf
    assert "location ^~ /ws/" in conf and "proxy_set_header Upgrade $http_upgrade;" in conf
    locations = dict(re.findall(r"location ([^{]+?) \{\n(?:\s*#.*\n)*\s*proxy_pass (\S+);", conf))
    assert locations["^~ /ws/"] == locations["^~ /api/v1/streaming"] == "http://mini_twitter_stream"
    assert locations["@app"] == "http://mini_twitter_web"
    assert "location = /metrics {" in conf and 'return 404 \'{"detail": "Not found."}\';' in conf
    # The host as the client sent it, port included, so absolute upload URLs work through the proxy.
    assert "proxy_set_header Host $http_host;" in conf
    # uvicorn believes nginx's X-Forwarded-For (FORWARDED_ALLOW_IPS): nginx must not pass on what
    # clients sent.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "$proxy_add_x_forwarded_for" not in conf
    assert "proxy_set_header X-Request-ID $mini_twitter_request_id;" in conf
    nginx = compose()["services"]["nginx"]
    assert mounts(nginx)["/srv/media"] == "media" and mounts(nginx)["/srv/static"] == "static"
    assert mounts(compose()["services"]["collectstatic"])["/app/var/static"] == "static"
    assert compose()["services"]["web"]["environment"]["STATIC_ROOT"] == "/app/var/static"


def test_dockerfile_is_slim_non_root_and_without_dev_dependencies():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("# ") and "FROM python:3.11-slim" in dockerfile
    assert "pip install -r requirements.txt" in dockerfile
    assert "requirements-dev" not in dockerfile
    assert "\nUSER app\n" in dockerfile
    # Static files are collected as the app user, so the compose job can refresh them.
    assert dockerfile.index("\nUSER app\n") < dockerfile.index("collectstatic")
    assert '"gunicorn", "mini_twitter.wsgi:application"' in dockerfile
    # Every process of the image (web, worker, beat, migrate, collectstatic) runs on the production
    # settings; nothing of the tests' support code is needed.
    assert "\nENV DJANGO_SETTINGS_MODULE=mini_twitter.settings.production\n" in dockerfile
    assert dockerfile.index("DJANGO_SETTINGS_MODULE") < dockerfile.index("collectstatic")
    assert "tests" in (ROOT / ".dockerignore").read_text().split()


def dockerfile_command() -> list[str]:
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", "")
    [command] = re.findall(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    return json.loads(command)


def test_the_web_server_believes_forwarded_addresses_only_from_nginx():
    config = compose()
    services = config["services"]
    for name, service in services.items():
        command = service.get("command", [])
        command = command if isinstance(command, list) else command.split()
        assert not any(argument.startswith("--forwarded-allow-ips") for argument in command), name
        assert "FORWARDED_ALLOW_IPS" not in " ".join(command), name
        assert str(service.get("environment", {}).get("FORWARDED_ALLOW_IPS", "")).strip() != "*", name
        assert "NUM_PROXIES" not in service.get("environment", {}), name  # the server alone decides
    # nginx has a fixed address on the stack's network, outside the range handed out to the others,
    # and that address alone is trusted.
    nginx_address = ipaddress.ip_address(services["nginx"]["networks"]["default"]["ipv4_address"])
    [subnet] = config["networks"]["default"]["ipam"]["config"]
    assert nginx_address in ipaddress.ip_network(subnet["subnet"])
    assert nginx_address not in ipaddress.ip_network(subnet["ip_range"])
    for name, service in services.items():
        if name != "nginx":
            assert "networks" not in service, name  # all on the default network
    for name in SERVERS:
        assert services[name]["environment"]["FORWARDED_ALLOW_IPS"] == str(nginx_address), name
    assert "--proxy-headers" in services["stream"]["command"]
    # gunicorn takes the scheme from a trusted proxy itself; wsgi.py takes the address.
    assert "WSGIForwardedFor(" in (ROOT / "mini_twitter" / "wsgi.py").read_text()
    # The image alone (no compose) trusts no proxy, and runs the compose command line.
    assert 'ENV FORWARDED_ALLOW_IPS=""' in (ROOT / "Dockerfile").read_text()
    assert dockerfile_command() == [
        argument.replace("${WEB_WORKERS:-2}", "2") for argument in services["web"]["command"]
    ]


def test_runtime_requirements_pin_the_operations_packages():
    pinned = dict(
        line.split("==")
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    for package in (
        "uvicorn[standard]",
        "django-prometheus",
        "prometheus-client",
        "sentry-sdk",
        "python-json-logger",
        "psycopg[binary,pool]",
        "psycopg-pool",
    ):
        assert package in pinned, package


NGINX_MAIN = """{user}worker_processes 1;
error_log {root}/error.log;
pid {root}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    include {root}/site.conf;
}}
"""


def test_nginx_answers_its_own_errors_in_json(tmp_path):
    """The real nginx with deploy/nginx.conf (its upstream pointed at a closed port, its volumes at
    empty folders): a missing upload, an oversized body and the application being down are JSON,
    with the microblog envelope for its clients. Needs the nginx binary (Debian's nginx-light)."""
    import os
    import shutil
    import subprocess
    import time
    import urllib.error
    import urllib.request

    from tests.support import free_port

    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        pytest.skip("nginx is not installed")
    listen, upstream = free_port(), free_port()
    site = (DEPLOY / "nginx.conf").read_text()
    site = site.replace("server web:8000;", f"server 127.0.0.1:{upstream};").replace("listen 80;", f"listen {listen};")
    site = site.replace("server stream:8000;", f"server 127.0.0.1:{upstream};")
    site = site.replace("/srv/", f"{tmp_path}/srv/").replace("root /srv;", f"root {tmp_path}/srv;")
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    for folder in ("srv/media", "srv/static", "srv/frontend"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "site.conf").write_text(site)
    # Started as root, nginx's workers would run as nobody, who can't enter the test's folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(NGINX_MAIN.format(root=tmp_path, user=user))
    config = ["-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")]
    subprocess.run([binary, "-t", *config], check=True, capture_output=True)
    subprocess.run([binary, *config], check=True, capture_output=True)

    def call(method, path, body=None, headers=None):
        request = urllib.request.Request(f"http://127.0.0.1:{listen}{path}", data=body, method=method)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.headers, json.loads(error.read())

    try:
        for _ in range(50):
            if (tmp_path / "nginx.pid").exists():
                break
            time.sleep(0.1)
        for path in ("/media/missing.png", "/media/", "/static/missing.css"):
            status, headers, body = call("GET", path)
            assert (status, headers["Content-Type"], body) == (404, "application/json", {"detail": "Not found."})
        status, headers, body = call("GET", "/api/users/")
        assert (status, body) == (503, {"detail": "The service is temporarily unavailable."})
        assert headers["Retry-After"] == "5"
        status, _, body = call("GET", "/api/tweets", headers={"api-key": "test"})
        assert status == 503 and body["result"] is False and body["error_type"] == "ServiceUnavailable"
        too_big = b"x" * (12 * 1024 * 1024)
        status, _, body = call("POST", "/api/media/", too_big, {"Content-Type": "application/octet-stream"})
        assert (status, body) == (413, {"detail": "The request body is too large."})
        status, _, body = call("POST", "/api/medias", too_big, {"api-key": "test"})
        assert status == 413 and body["error_type"] == "PayloadTooLarge"
        assert call("GET", "/metrics")[:3:2] == (404, {"detail": "Not found."})
    finally:
        subprocess.run([binary, *config, "-s", "stop"], capture_output=True)

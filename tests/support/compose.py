"""The servers' command lines as docker-compose.yml runs them, for the live tests and the benchmark
(``bench/run.py``): ``web`` (gunicorn, HTTP) and ``stream`` (uvicorn, the WebSockets and the
Mastodon API's streams), started on a loopback port of the caller's choosing."""

import re
import sys
from pathlib import Path

COMPOSE_FILE = Path(__file__).resolve().parent.parent.parent / "docker-compose.yml"
# The options that say where a server listens: replaced by the caller's loopback port.
LISTEN_OPTIONS = ("--bind=", "--host=", "--port=")


def compose_command(service: str) -> list[str]:
    """A service's command line in docker-compose.yml, ``${VAR:-default}`` at its default."""
    import yaml

    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    command = compose["services"][service]["command"]
    return [re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", argument) for argument in command]


def local_command(service: str, port: int, *, drop: tuple[str, ...] = ()) -> list[str]:
    """The service's server (gunicorn or uvicorn) with its options, run by this Python on
    ``127.0.0.1:port``; options starting with one of ``drop`` are left out."""
    program, *options = compose_command(service)
    options = [option for option in options if not option.startswith(LISTEN_OPTIONS + drop)]
    if program == "gunicorn":
        listen = [f"--bind=127.0.0.1:{port}"]
    elif program == "uvicorn":
        listen = ["--host=127.0.0.1", f"--port={port}"]
    else:
        raise ValueError(f"{service} is not served by gunicorn or uvicorn: {program}")
    return [sys.executable, "-m", program, *options, *listen]

"""Fixtures shared by every app's tests, and the hooks of parallel runs (tests/support/parallel.py)."""

import os

import pytest
from _pytest.nodeid import NodeId
from channels.layers import channel_layers
from rest_framework.test import APIClient

from tests.support import LiveServices, clear_cache, skip_unless_available
from tests.support.parallel import shared_server_group, worker_redis_environment


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config, specs):
    """Each xdist worker on Redis databases of its own, set in its environment before it starts
    (pytest-django reads the settings before any conftest hook runs in the worker)."""
    for index, spec in enumerate(specs):
        spec.env.update(worker_redis_environment(os.environ, index))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        # schemathesis names each operation's test (test_x[GET /path/]), but pytest 9 builds the
        # node id from the function's own name: without the operation, every one of them would
        # have the same id, and xdist's schedulers, --deselect and the reports would take them for one.
        label = getattr(item, "operation_label", None)
        if label and item.nodeid.endswith(f"::{item.originalname}"):
            item._id = item._id.with_params(label)
        group = shared_server_group({mark.name for mark in item.iter_markers()})
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
            if getattr(config.option, "loadgroup", False):
                # --dist loadgroup schedules by the "@group" suffix of the node id, which xdist 3.8
                # writes to item._nodeid: pytest 9 builds node ids from item._id and ignores it.
                item._id = NodeId.parse(f"{item.nodeid}@{group}")


@pytest.fixture(autouse=True)
def _isolated_state(settings, tmp_path):
    """Each test starts with empty throttles/caches and writes uploads to its own folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    clear_cache()
    yield
    # Each test's sockets run on an event loop of their own: a channel layer (its connections and
    # locks) belongs to the loop that used it, so the next test gets a fresh one.
    channel_layers.backends.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    from users.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_user(db):
    from users.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    client.user = user
    return client


@pytest.fixture
def client_for():
    """``client_for(user)`` → an APIClient authenticated as that user."""

    def make(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user=user)
        client.user = user
        return client

    return make


@pytest.fixture
def live_services():
    """Redis and PostgreSQL for tests that start a real Celery worker: skipped without them,
    except in CI (``CI=true``), where their absence fails the test."""
    services = LiveServices()
    skip_unless_available(services.unavailable_reason(), "live services")
    return services

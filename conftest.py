"""Fixtures shared by every app's tests."""

import pytest
from channels.layers import channel_layers
from rest_framework.test import APIClient

from tests.support import LiveServices, clear_cache, skip_unless_available


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

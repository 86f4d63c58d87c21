"""Mastodon's error bodies outside its views."""

import pytest

pytestmark = pytest.mark.django_db


def test_unknown_mastodon_path_is_404_with_mastodon_body(client):
    response = client.get("/api/v1/no_such_thing")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found."}

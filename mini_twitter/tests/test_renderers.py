import datetime
import decimal
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict

from mini_twitter.api.renderers import JSONRenderer


def test_the_json_is_drfs_byte_for_byte():
    at = datetime.datetime(2026, 12, 1, 3, 4, 5, 678901, tzinfo=datetime.UTC)
    data = {
        "at": at,
        "day": at.date(),
        "naive": datetime.datetime(2026, 12, 1, 3, 4, 5),
        "duration": datetime.timedelta(seconds=90),
        "price": decimal.Decimal("1.50"),
        "id": uuid.UUID(int=7),
        "lazy": gettext_lazy("Not found."),
        "counts": {1: 2, 3: 4},
        "nested": ReturnDict({"text": "héllo ✓ <b>", "none": None, "flag": True, "n": 2**62}, serializer=None),
        "list": [1.5, "a", ()],
    }
    assert JSONRenderer().render(data) == DRFJSONRenderer().render(data)
    assert JSONRenderer().render(None) == b""


@pytest.mark.django_db
def test_api_answers_are_json(api_client):
    response = api_client.get("/api/posts/")
    assert response["Content-Type"] == "application/json"
    assert response.json()["results"] == []

"""Helpers for tests that read lists of posts through any API (native pages, plain lists, the
microblog API's ``tweets``)."""


def listed_ids(response) -> list[int]:
    """The ids of the posts a 200 response lists, in order."""
    assert response.status_code == 200, response.content
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body["tweets"]
    return [row["id"] for row in rows]

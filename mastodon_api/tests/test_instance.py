"""Discovery and start-up endpoints: instance v1/v2, NodeInfo, custom emojis, preferences, markers,
the streaming health check, the empty-list stubs, and CORS on the Mastodon paths."""

import pytest
from django.conf import settings as django_settings

from mastodon_api.discovery import VERSION
from mastodon_api.models import Marker
from mastodon_api.oauth_server import vapid_public_key
from posts.tests.factories import PostFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_instance_v2_has_every_attribute(api_client):
    response = api_client.get("/api/v2/instance")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "domain",
        "title",
        "version",
        "source_url",
        "description",
        "usage",
        "thumbnail",
        "icon",
        "languages",
        "configuration",
        "registrations",
        "api_versions",
        "contact",
        "rules",
    }
    assert body["domain"] == "testserver"
    assert body["version"] == VERSION
    assert body["version"].startswith("4.3.0 (compatible; mini_twitter ")
    assert body["thumbnail"]["url"].startswith("http://testserver/static/")
    configuration = body["configuration"]
    assert configuration["urls"] == {"streaming": "ws://testserver", "status": None}
    assert configuration["vapid"] == {"public_key": vapid_public_key()}
    assert configuration["statuses"] == {
        "max_characters": 280,
        "max_media_attachments": 4,
        "characters_reserved_per_url": 23,
    }
    media = configuration["media_attachments"]
    assert media["supported_mime_types"] == ["image/jpeg", "image/png", "image/gif", "image/webp"]
    assert media["image_size_limit"] == django_settings.MEDIA_MAX_UPLOAD_BYTES
    assert media["image_matrix_limit"] == django_settings.MEDIA_MAX_PIXELS
    assert set(configuration["polls"]) == {
        "max_options",
        "max_characters_per_option",
        "min_expiration",
        "max_expiration",
    }
    assert configuration["accounts"] == {"max_featured_tags": 0, "max_pinned_statuses": 5}
    assert body["registrations"] == {"enabled": True, "approval_required": False, "message": None, "url": None}
    assert body["api_versions"] == {"mastodon": 2}
    assert body["contact"]["account"] is None
    assert body["rules"] == []


def test_instance_v1(api_client):
    UserFactory.create_batch(2)
    PostFactory()
    body = api_client.get("/api/v1/instance").json()
    assert body["uri"] == "testserver"
    assert body["version"] == VERSION
    assert body["urls"] == {"streaming_api": "ws://testserver"}
    assert body["stats"] == {"user_count": 3, "status_count": 1, "domain_count": 0}
    assert isinstance(body["thumbnail"], str)
    assert body["registrations"] is True
    assert body["contact_account"] is None
    assert body["configuration"]["statuses"]["max_characters"] == 280
    for key in ("title", "short_description", "description", "email", "languages", "approval_required", "rules"):
        assert key in body


def test_instance_streaming_url_is_wss_on_https(api_client):
    body = api_client.get("/api/v2/instance", secure=True).json()
    assert body["configuration"]["urls"]["streaming"] == "wss://testserver"


def test_instance_refuses_a_bad_token_but_takes_a_good_one(api_client, mastodon_client, user):
    assert mastodon_client(user, "read").get("/api/v2/instance").status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION="Bearer nope")
    assert api_client.get("/api/v2/instance").status_code == 401


def test_instance_query_count_does_not_grow(api_client, django_assert_max_num_queries):
    UserFactory.create_batch(20)
    PostFactory.create_batch(3)
    with django_assert_max_num_queries(4):
        api_client.get("/api/v1/instance")
    # The counts are cached.
    with django_assert_max_num_queries(0):
        api_client.get("/api/v2/instance")


def test_nodeinfo(api_client):
    active = UserFactory()
    UserFactory(is_active=False)
    PostFactory(author=active)
    links = api_client.get("/.well-known/nodeinfo").json()
    assert links == {
        "links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": "http://testserver/nodeinfo/2.0"}]
    }
    response = api_client.get("/nodeinfo/2.0")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["version"] == "2.0"
    assert body["software"] == {"name": "mastodon", "version": "4.3.0"}
    assert body["usage"]["users"]["total"] == 1
    assert body["usage"]["localPosts"] == 1
    assert body["openRegistrations"] is True
    assert body["metadata"]["software"]["name"] == "mini_twitter"


def test_custom_emojis_is_empty(api_client):
    response = api_client.get("/api/v1/custom_emojis")
    assert response.status_code == 200
    assert response.json() == []


def test_preferences(mastodon_client, user):
    response = mastodon_client(user, "read:accounts").get("/api/v1/preferences")
    assert response.status_code == 200
    assert response.json() == {
        "posting:default:visibility": "public",
        "posting:default:sensitive": False,
        "posting:default:language": None,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }


def test_preferences_needs_a_user_with_read_accounts(api_client, mastodon_client, user):
    assert api_client.get("/api/v1/preferences").status_code == 401
    assert mastodon_client(user, "read:statuses").get("/api/v1/preferences").status_code == 403
    assert mastodon_client(scope="read", app_token=True).get("/api/v1/preferences").status_code == 422


def test_translation_languages_is_empty(api_client):
    response = api_client.get("/api/v1/instance/translation_languages")
    assert response.status_code == 200
    assert response.json() == {}


def test_streaming_health(api_client):
    response = api_client.get("/api/v1/streaming/health")
    assert response.status_code == 200
    assert response.content == b"OK"
    assert response["Content-Type"].startswith("text/plain")


# --- Markers -----------------------------------------------------------------------------------------


def test_markers_save_and_read(mastodon_client, user):
    client = mastodon_client(user, "read write")
    response = client.post(
        "/api/v1/markers", {"home[last_read_id]": "103", "notifications[last_read_id]": "7"}, format="multipart"
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"home", "notifications"}
    assert body["home"]["last_read_id"] == "103"
    assert body["home"]["version"] == 0
    assert set(body["home"]) == {"last_read_id", "version", "updated_at"}
    response = client.post("/api/v1/markers", {"home": {"last_read_id": "110"}}, format="json")
    assert response.json() == {"home": {**response.json()["home"], "last_read_id": "110", "version": 1}}
    assert Marker.objects.get(user=user, timeline="home").version == 1
    response = client.get("/api/v1/markers?timeline[]=home&timeline[]=notifications")
    assert response.json()["home"]["last_read_id"] == "110"
    assert response.json()["notifications"]["last_read_id"] == "7"
    assert client.get("/api/v1/markers?timeline[]=home").json().keys() == {"home"}
    assert client.get("/api/v1/markers").json() == {}


def test_markers_are_per_user(mastodon_client, user, other_user):
    mastodon_client(user).post("/api/v1/markers", {"home": {"last_read_id": "5"}}, format="json")
    assert mastodon_client(other_user).get("/api/v1/markers?timeline[]=home").json() == {}


def test_marker_with_a_bad_id_is_422(mastodon_client, user):
    response = mastodon_client(user).post("/api/v1/markers", {"home": {"last_read_id": "abc"}}, format="json")
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: Last read id is invalid"}
    assert not Marker.objects.exists()


def test_markers_scopes(mastodon_client, user):
    assert mastodon_client(user, "read:statuses").get("/api/v1/markers").status_code == 200
    read_only = mastodon_client(user, "read")
    assert read_only.post("/api/v1/markers", {"home": {"last_read_id": "1"}}, format="json").status_code == 403
    writer = mastodon_client(user, "write:statuses")
    assert writer.post("/api/v1/markers", {"home": {"last_read_id": "1"}}, format="json").status_code == 200


def test_markers_query_count(mastodon_client, user, django_assert_max_num_queries):
    client = mastodon_client(user)
    client.post(
        "/api/v1/markers", {"home": {"last_read_id": "1"}, "notifications": {"last_read_id": "2"}}, format="json"
    )
    with django_assert_max_num_queries(3):
        assert len(client.get("/api/v1/markers?timeline[]=home&timeline[]=notifications").json()) == 2


# --- Empty lists for features this server does not have ---------------------------------------------

STUBS = [
    ("/api/v1/lists", "read:lists"),
    ("/api/v1/filters", "read:filters"),
    ("/api/v2/filters", "read:filters"),
    ("/api/v1/announcements", "read"),
    ("/api/v1/conversations", "read:statuses"),
    ("/api/v1/suggestions", "read:accounts"),
    ("/api/v2/suggestions", "read:accounts"),
    ("/api/v1/followed_tags", "read:follows"),
    ("/api/v1/domain_blocks", "read:blocks"),
    ("/api/v1/endorsements", "read:accounts"),
    ("/api/v1/featured_tags", "read:accounts"),
]


@pytest.mark.parametrize(("path", "scope"), STUBS)
def test_stub_is_an_empty_list_with_its_scope(api_client, mastodon_client, user, path, scope):
    response = mastodon_client(user, scope).get(path)
    assert response.status_code == 200
    assert response.json() == []
    assert api_client.get(path).status_code == 401
    assert mastodon_client(user, "write").get(path).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/trends/statuses",
        "/api/v1/trends/links",
        "/api/v1/instance/rules",
        "/api/v1/instance/peers",
        "/api/v1/instance/activity",
    ],
)
def test_public_stubs(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 200
    assert response.json() == []


# --- CORS ---------------------------------------------------------------------------------------------

ORIGIN = "https://client.example"


@pytest.mark.parametrize(
    "path", ["/api/v1/instance", "/api/v2/instance", "/.well-known/nodeinfo", "/.well-known/oauth-authorization-server"]
)
def test_any_origin_may_read_the_mastodon_api(api_client, path):
    response = api_client.get(path, HTTP_ORIGIN=ORIGIN)
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "link" in response["Access-Control-Expose-Headers"].lower().split(", ")
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/api/v1/apps", "/api/v1/statuses"])
def test_preflight_on_mastodon_paths_allows_any_origin(api_client, path):
    response = api_client.options(
        path,
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    allowed = response["Access-Control-Allow-Headers"].split(", ")
    assert {"authorization", "content-type", "idempotency-key"} <= set(allowed)


def test_token_errors_carry_cors_headers(api_client):
    response = api_client.post("/oauth/token", {"grant_type": "password"}, HTTP_ORIGIN=ORIGIN)
    assert response.status_code in (400, 401)
    assert response["Access-Control-Allow-Origin"] == ORIGIN


def test_authorize_page_and_native_api_keep_their_cors_rules(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://front.example"]
    assert "Access-Control-Allow-Origin" not in api_client.get("/oauth/authorize", HTTP_ORIGIN=ORIGIN)
    assert "Access-Control-Allow-Origin" not in api_client.get("/api/posts/", HTTP_ORIGIN=ORIGIN)
    response = api_client.get("/api/posts/", HTTP_ORIGIN="https://front.example")
    assert response["Access-Control-Allow-Origin"] == "https://front.example"


# --- Trailing slashes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/instance/", "/api/v2/instance/", "/nodeinfo/2.0/", "/api/v1/custom_emojis/"])
def test_mastodon_paths_take_a_trailing_slash(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 200
    assert response.json() == api_client.get(path.rstrip("/")).json()


def test_trailing_slash_on_the_authorize_page_and_on_posts(api_client):
    assert api_client.get("/oauth/authorize/")["Location"].startswith("/auth/sign_in?next=/oauth/authorize")
    assert api_client.post("/api/v1/apps/", {}, format="json").status_code == 422


def test_unknown_mastodon_path_with_a_slash_is_still_404(api_client):
    response = api_client.get("/api/v1/no_such_thing/")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found."}


# --- Swagger -----------------------------------------------------------------------------------------


def test_swagger_documents_the_mastodon_api(api_client):
    spec = api_client.get("/swagger.json").json()
    assert spec["securityDefinitions"]["MastodonToken"]["name"] == "Authorization"
    apps = spec["paths"]["/v1/apps"]["post"]
    assert apps["tags"] == ["mastodon"]
    assert apps["security"] == [{"MastodonToken": []}]
    assert apps["responses"]["422"]["schema"] == {"$ref": "#/definitions/MastodonError"}
    assert spec["definitions"]["MastodonError"]["properties"]["error"]["type"] == "string"
    assert "client_secret" in spec["definitions"]["MastodonCredentialApplication"]["properties"]
    markers = spec["paths"]["/v1/markers"]
    assert {"200", "401", "403", "422", "429"} <= set(markers["post"]["responses"])
    for path in ("/v2/instance", "/v1/lists", "/v1/preferences", "/v1/apps/verify_credentials"):
        assert next(iter(spec["paths"][path].values()))["tags"] == ["mastodon"]
    familiar = spec["paths"]["/v1/accounts/familiar_followers"]["get"]["responses"]["200"]["schema"]
    assert familiar["items"] == {"$ref": "#/definitions/MastodonFamiliarFollowers"}
    accounts = spec["definitions"]["MastodonFamiliarFollowers"]["properties"]["accounts"]
    assert accounts["items"] == {"$ref": "#/definitions/MastodonAccount"}


def test_swagger_lets_mastodon_texts_be_empty(api_client):
    """A status without a content warning has ``spoiler_text: ""``: the documented shape allows it."""
    definitions = api_client.get("/swagger.json").json()["definitions"]
    for name, field in [
        ("MastodonStatus", "spoiler_text"),
        ("MastodonStatusSource", "spoiler_text"),
        ("MastodonStatusSource", "text"),
        ("MastodonStatusEdit", "spoiler_text"),
        ("MastodonStatusEdit", "content"),
        ("MastodonAccount", "display_name"),
    ]:
        assert "minLength" not in definitions[name]["properties"][field], (name, field)

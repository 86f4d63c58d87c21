"""Trending hashtags and search."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from posts.tests.factories import PostFactory
from tests.support import clear_cache
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TRENDING = "/api/posts/trending_hashtags/"


def test_trending_counts_posts_of_the_last_24_hours(api_client):
    for _ in range(3):
        PostFactory(content="#hot #Warm")
    PostFactory(content="#warm again #cold")
    PostFactory(content="#old", created_at=timezone.now() - timedelta(hours=25))
    response = api_client.get(TRENDING)
    assert response.status_code == 200
    assert response.json() == [{"name": "warm", "count": 4}, {"name": "hot", "count": 3}, {"name": "cold", "count": 1}]


def test_trending_is_top_10_with_ties_by_name(api_client):
    for i in range(12):
        PostFactory(content=f"#tag{i:02d}")
    PostFactory(content="#tag11 #tag05")
    names = [row["name"] for row in api_client.get(TRENDING).json()]
    assert names == ["tag05", "tag11", "tag00", "tag01", "tag02", "tag03", "tag04", "tag06", "tag07", "tag08"]


def test_trending_is_cached_briefly(api_client):
    PostFactory(content="#first")
    assert api_client.get(TRENDING).json() == [{"name": "first", "count": 1}]
    PostFactory(content="#second")
    assert api_client.get(TRENDING).json() == [{"name": "first", "count": 1}]
    clear_cache()
    assert len(api_client.get(TRENDING).json()) == 2


def test_search_posts(api_client):
    match = PostFactory(content="Deploying Django with PostgreSQL")
    PostFactory(content="Nothing to see")
    response = api_client.get("/api/search/", {"q": "django", "type": "posts"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [p["id"] for p in body["results"]] == [match.id]
    assert "likes_count" in body["results"][0]


def test_search_posts_are_newest_first_whatever_the_match(api_client):
    strong = PostFactory(content="django django django")
    weak = PostFactory(content="django is a framework and cats are animals")
    PostFactory(content="unrelated")
    results = api_client.get("/api/search/", {"q": "django"}).json()["results"]
    assert [p["id"] for p in results] == [weak.id, strong.id]


def _search_pages(client, text: str, page_size: int) -> list[list[int]]:
    pages, url, params = [], "/api/search/", {"q": text, "type": "posts", "page_size": page_size}
    while url:
        body = client.get(url, params).json()
        pages.append([p["id"] for p in body["results"]])
        url, params = body["next"], None
    return pages


def test_search_posts_pages_by_cursor_through_every_match_once(api_client):
    matches = [PostFactory(content=f"common word {i}").id for i in range(7)]
    PostFactory(content="rare word")
    pages = _search_pages(api_client, "common", page_size=3)
    assert pages == [matches[6:3:-1], matches[3:0:-1], matches[:1]]
    second = api_client.get("/api/search/", {"q": "common", "page_size": 3}).json()["next"]
    assert "cursor=" in second and "page=" not in second
    back = api_client.get(api_client.get(second).json()["previous"]).json()
    assert [p["id"] for p in back["results"]] == matches[6:3:-1]


def test_search_posts_finds_a_rare_word_far_below_common_ones(api_client):
    rare = PostFactory(content="zyzzyva once, long ago")
    for i in range(30):
        PostFactory(content=f"everyone says hello {i}")
    assert [p["id"] for p in api_client.get("/api/search/", {"q": "zyzzyva"}).json()["results"]] == [rare.id]
    common = _search_pages(api_client, "hello", page_size=20)
    assert [len(page) for page in common] == [20, 10]


def test_search_posts_new_posts_never_shift_the_next_page(api_client):
    matches = [PostFactory(content=f"shift {i}").id for i in range(4)]
    first = api_client.get("/api/search/", {"q": "shift", "page_size": 2}).json()
    PostFactory(content="shift newer")
    assert [p["id"] for p in api_client.get(first["next"]).json()["results"]] == matches[1::-1]


def test_search_posts_bad_cursor_is_400(api_client):
    response = api_client.get("/api/search/", {"q": "x", "cursor": "garbage"})
    assert response.status_code == 400
    assert response.json() == {"cursor": ["Invalid cursor."]}


def test_search_posts_keep_the_visibility_rule(client_for):
    from posts.models import Post
    from users.services import block_create, follow_create, mute_create

    viewer, friend, stranger, blocked, muted = UserFactory.create_batch(5)
    follow_create(follower=viewer, followee=friend)
    block_create(blocker=viewer, blocked=blocked)
    mute_create(muter=viewer, muted=muted)
    shown = PostFactory(author=stranger, content="findable public")
    for_friends = PostFactory(author=friend, content="findable for followers")
    Post.objects.filter(pk=for_friends.pk).update(visibility=Post.Visibility.FOLLOWERS)
    hidden_for_others = PostFactory(author=stranger, content="findable for followers only")
    Post.objects.filter(pk=hidden_for_others.pk).update(visibility=Post.Visibility.FOLLOWERS)
    unlisted = PostFactory(author=stranger, content="findable unlisted")
    Post.objects.filter(pk=unlisted.pk).update(visibility=Post.Visibility.UNLISTED)
    PostFactory(author=blocked, content="findable blocked")
    PostFactory(author=muted, content="findable muted")
    results = client_for(viewer).get("/api/search/", {"q": "findable"}).json()["results"]
    assert [p["id"] for p in results] == [for_friends.id, shown.id]


def test_search_posts_run_a_fixed_number_of_queries(client_for, django_assert_max_num_queries):
    viewer = client_for(UserFactory())
    PostFactory(content="counted #tag @nobody")
    with django_assert_max_num_queries(8) as one:
        assert len(viewer.get("/api/search/", {"q": "counted"}).json()["results"]) == 1
    for i in range(24):
        PostFactory(content=f"counted #tag{i} number {i}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = viewer.get("/api/search/", {"q": "counted"}).json()
        assert len(body["results"]) == 20
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(viewer.get(body["next"]).json()["results"]) == 5


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="the plan is PostgreSQL's")
def test_post_search_of_a_common_word_walks_the_primary_key_and_stops_at_the_page():
    """With the word in most posts, the planner reads the primary key backwards and stops after a
    page (LIMIT), instead of collecting and sorting every match from the GIN index."""
    from posts.models import Post
    from posts.selectors import post_search

    author = UserFactory()
    Post.objects.bulk_create(Post(author=author, content=f"common filler {i}") for i in range(3000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE posts_post")
    sql, params = post_search(text="common").values("pk")[:21].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan Backward using posts_post_pkey" in plan, plan
    assert "Sort" not in plan, plan


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="the GIN index exists on PostgreSQL only")
def test_post_search_uses_the_gin_index():
    from posts.models import Post
    from posts.selectors import post_filter_by_text

    qs = post_filter_by_text(Post.objects.all(), "django")
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "posts_post_search_vector_idx" in plan, plan


def test_search_users(api_client):
    alice = UserFactory(username="alice", display_name="Alice")
    malice = UserFactory(username="malice")
    UserFactory(username="bob", display_name="Bob")
    results = api_client.get("/api/search/", {"q": "ALICE", "type": "users"}).json()["results"]
    assert [u["id"] for u in results] == [alice.id, malice.id]
    assert "email" not in results[0] and "is_following" in results[0]


def test_search_hashtags(api_client):
    PostFactory(content="#python #pytest")
    PostFactory(content="#python")
    PostFactory(content="#rust")
    results = api_client.get("/api/search/", {"q": "#Py", "type": "hashtags"}).json()["results"]
    assert results == [{"name": "python", "posts_count": 2}, {"name": "pytest", "posts_count": 1}]


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "q"), ({"q": "   "}, "q"), ({"q": "x", "type": "videos"}, "type"), ({"q": "x" * 201}, "q")],
)
def test_search_bad_params_are_400(api_client, params, field):
    response = api_client.get("/api/search/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_search_with_query_syntax_characters_is_safe(api_client):
    PostFactory(content="a (b) & c | !d")
    for q in ["(b", "&", "!!", '"unterminated', "a:*", "\\"]:
        assert api_client.get("/api/search/", {"q": q}).status_code == 200


@pytest.mark.parametrize("kind", ["users", "hashtags"])
def test_search_lists_run_a_fixed_number_of_queries(client_for, django_assert_max_num_queries, kind):
    viewer = client_for(UserFactory())
    UserFactory(username="findme0")
    PostFactory(content="#findme0")
    with django_assert_max_num_queries(3) as one:
        assert len(viewer.get("/api/search/", {"q": "findme", "type": kind}).json()["results"]) == 1
    queries_for_one = len(one.captured_queries)
    for i in range(1, 20):
        UserFactory(username=f"findme{i}")
        PostFactory(content=f"#findme{i}")
    with django_assert_max_num_queries(queries_for_one):
        assert len(viewer.get("/api/search/", {"q": "findme", "type": kind}).json()["results"]) == 20


def test_hashtag_history_counts_each_days_listed_posts_and_authors(django_assert_num_queries):
    from datetime import UTC, datetime, time

    from posts.models import Post
    from posts.selectors import hashtag_history, hashtag_list_by_names

    author = UserFactory()
    now = timezone.now()
    PostFactory(author=author, content="#cats one")
    PostFactory(author=author, content="#cats two")
    PostFactory(content="#cats #dogs three")
    PostFactory(content="#cats yesterday", created_at=now - timedelta(days=1))
    PostFactory(content="#cats too old", created_at=now - timedelta(days=7))
    unlisted = PostFactory(content="#cats unlisted")
    Post.objects.filter(pk=unlisted.pk).update(visibility=Post.Visibility.UNLISTED)
    tags = hashtag_list_by_names(names=["#Cats", "dogs", "nope"])
    assert set(tags) == {"cats", "dogs"}
    with django_assert_num_queries(1):
        history = hashtag_history(hashtag_ids=[tags["cats"].pk, tags["dogs"].pk])
    cats = history[tags["cats"].pk]
    assert len(cats) == 7
    today = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    assert [day["day"] for day in cats] == [today - timedelta(days=back) for back in range(7)]
    assert [(day["uses"], day["accounts"]) for day in cats] == [(3, 2), (1, 1)] + [(0, 0)] * 5
    assert [(day["uses"], day["accounts"]) for day in history[tags["dogs"].pk]] == [(1, 1)] + [(0, 0)] * 6
    assert hashtag_history(hashtag_ids=[]) == {}
    # Cached as briefly as the trending list: the next read of the same tags costs no query.
    with django_assert_num_queries(0):
        assert hashtag_history(hashtag_ids=[tags["dogs"].pk, tags["cats"].pk]) == history

"""The ``seed_demo`` command: sizes, exact denormalised counters, realistic shape, safe reruns."""

import statistics
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from demo.seeding import SEED_PASSWORD
from posts.models import Hashtag, Like, Mention, Post, PostHashtag, Retweet
from posts.parsing import extract_hashtags, extract_mentions
from posts.selectors import hashtag_list_trending
from users.models import Follow, Profile, User

pytestmark = pytest.mark.django_db

SIZES = {"users": 30, "posts": 200, "follows": 5}


def seed(**overrides):
    out = StringIO()
    call_command("seed_demo", **{**SIZES, "seed": 7, "batch": 64, **overrides}, verbosity=0, stdout=out, stderr=out)
    return out.getvalue()


def table_sizes() -> dict[str, int]:
    models = (User, Profile, Follow, Post, Hashtag, PostHashtag, Mention, Like, Retweet)
    return {model.__name__: model.objects.count() for model in models}


def assert_counters_exact():
    profiles = Profile.objects.annotate(
        real_followers=Count("user__follower_set", distinct=True),
        real_following=Count("user__following_set", distinct=True),
        real_posts=Count("user__posts", distinct=True),
    )
    for p in profiles:
        assert (p.followers_count, p.following_count, p.posts_count) == (
            p.real_followers,
            p.real_following,
            p.real_posts,
        ), p
    posts = Post.objects.annotate(
        real_likes=Count("likes", distinct=True),
        real_retweets=Count("retweets", distinct=True),
        real_replies=Count("replies", distinct=True),
    )
    for post in posts:
        assert (post.likes_count, post.retweets_count, post.replies_count) == (
            post.real_likes,
            post.real_retweets,
            post.real_replies,
        ), post
    for tag in Hashtag.objects.annotate(real=Count("posthashtag")):
        assert tag.posts_count == tag.real, tag


def test_seed_sizes_counters_and_shape():
    output = seed()
    assert "Seeded data set ready" in output

    users = User.objects.filter(username__startswith="seed_")
    assert sorted(users.values_list("username", flat=True)) == [f"seed_{i:06d}" for i in range(1, 31)]
    assert Profile.objects.filter(user__in=users).count() == 30
    assert Post.objects.count() == 200
    assert Like.objects.count() == 400  # default: 2 per post
    assert Retweet.objects.count() == 20  # default: 1 per 10 posts
    assert 30 * 5 * 0.5 <= Follow.objects.count() <= 30 * 5 * 1.5 + 30
    # One password hash for everyone (hashed once), and it is the documented password.
    assert users.values("password").distinct().count() == 1
    assert users.first().check_password(SEED_PASSWORD)

    assert_counters_exact()
    assert not Follow.objects.filter(follower=F("followee")).exists()
    assert not Retweet.objects.filter(user=F("post__author")).exists()
    assert not Post.objects.filter(reply_to__isnull=False, reply_to__created_at__gt=F("created_at")).exists()
    assert Post.objects.filter(reply_to__isnull=False).exists()
    assert Like.objects.filter(created_at__lt=F("post__created_at")).count() == 0

    # Posts spread over the last 30 days; hashtags and mentions in the text match their rows.
    now = timezone.now()
    assert not Post.objects.filter(Q(created_at__gt=now) | Q(created_at__lt=now - timezone.timedelta(days=31))).exists()
    assert not PostHashtag.objects.exclude(created_at=F("post__created_at")).exists()
    assert Mention.objects.exists() and PostHashtag.objects.exists()
    for post in Post.objects.prefetch_related("hashtags", "mentions"):
        assert len(post.content) <= 280
        assert sorted(extract_hashtags(post.content)) == sorted(tag.name for tag in post.hashtags.all())
        assert sorted(extract_mentions(post.content)) == sorted(user.username for user in post.mentions.all())
    assert hashtag_list_trending(), "some hashtags are used in the last 24 hours"


def test_follower_counts_are_skewed():
    seed()
    followers = sorted(Profile.objects.values_list("followers_count", flat=True))
    median = statistics.median(followers)
    assert followers[-1] >= max(3 * median, 10)
    # The celebrity is followed by (almost) everyone else.
    celebrity = Profile.objects.get(user__username="seed_000001")
    assert celebrity.followers_count >= 0.8 * 29


def test_rerun_adds_nothing():
    seed()
    before = table_sizes()
    follows = set(Follow.objects.values_list("follower_id", "followee_id"))
    output = seed()
    assert table_sizes() == before
    assert set(Follow.objects.values_list("follower_id", "followee_id")) == follows
    assert "counters fixed: none needed" in output
    assert_counters_exact()


def test_rerun_tops_up_to_bigger_sizes():
    seed()
    seed(users=35, posts=260, likes=500)
    assert User.objects.filter(username__startswith="seed_").count() == 35
    assert Post.objects.count() == 260
    assert Like.objects.count() == 500
    assert Retweet.objects.count() == 26
    # Unique per (user, post) and per (follower, followee), enforced by constraints; none of the new
    # users is left without followees.
    assert not Profile.objects.filter(user__username__startswith="seed_", following_count=0).exists()
    assert_counters_exact()
    assert not Retweet.objects.filter(user=F("post__author")).exists()


def test_about_a_tenth_of_the_posts_are_followers_only_and_none_of_them_is_retweeted():
    seed(posts=1000)
    followers_only = Post.objects.filter(visibility=Post.Visibility.FOLLOWERS)
    assert 0.05 * 1000 <= followers_only.count() <= 0.12 * 1000
    assert set(Post.objects.values_list("visibility", flat=True)) == {"public", "followers"}
    assert not Retweet.objects.filter(post__visibility=Post.Visibility.FOLLOWERS).exists()


def test_followers_share_zero_seeds_public_posts_only():
    seed(followers_share=0.0)
    assert set(Post.objects.values_list("visibility", flat=True)) == {"public"}

"""The `make run` demo data set."""

import pytest
from django.core.management import call_command

from posts.models import Like, Post, Retweet
from users.models import Follow, Profile, User

pytestmark = pytest.mark.django_db


def test_demo_data_is_complete_and_idempotent(capsys):
    call_command("demo_data")
    call_command("demo_data")
    assert User.objects.count() == 5
    assert Follow.objects.count() == 9
    assert Post.objects.count() == 8
    assert Post.objects.filter(reply_to__isnull=False).count() == 2
    assert Like.objects.count() == 6 and Retweet.objects.count() == 4
    alice = User.objects.get(username="alice")
    assert alice.check_password("demo-password-2024")
    assert Profile.objects.get(pk=alice.pk).followers_count == 4
    assert "demo-password-2024" in capsys.readouterr().out

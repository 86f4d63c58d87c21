"""The `make run` demo data set."""

import pytest
from django.core.management import call_command

from media.models import Media
from messaging.models import Conversation, Message
from posts.models import Like, Post, Retweet
from users.models import ApiKey, Follow, Profile, User
from users.services import api_key_digest

pytestmark = pytest.mark.django_db


def test_demo_data_is_complete_and_idempotent(capsys):
    call_command("demo_data")
    call_command("demo_data")
    assert User.objects.count() == 5
    assert Follow.objects.count() == 9
    assert Post.objects.count() == 10
    assert Media.objects.filter(post__isnull=False).count() == 3
    api_key = ApiKey.objects.get()
    assert api_key.user == User.objects.get(username="alice") and api_key.key_hash == api_key_digest("test")
    assert Post.objects.filter(reply_to__isnull=False).count() == 2
    assert Like.objects.count() == 8 and Retweet.objects.count() == 4
    assert Conversation.objects.count() == 1 and Message.objects.count() == 3
    alice = User.objects.get(username="alice")
    assert alice.check_password("demo-password-2024")
    assert Profile.objects.get(pk=alice.pk).followers_count == 4
    assert "demo-password-2024" in capsys.readouterr().out

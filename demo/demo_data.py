"""The small demo data set ``make run`` loads (idempotent): a handful of users who follow each other,
with posts, images, replies, hashtags, mentions, likes, retweets and messages, and the microblog
front end's demo api key (``test``, for alice). The key exists only here, never in migrations."""

import io
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image, ImageDraw

from media.services import media_create
from messaging.models import Conversation
from messaging.services import conversation_create, message_send
from posts.models import Post
from posts.services import like_create, post_create, retweet_create
from users.models import ApiKey, User
from users.services import api_key_create, api_key_digest, follow_create

DEMO_PASSWORD = "demo-password-2024"  # noqa: S105 - demo accounts for local development only
DEMO_USERS = [
    ("alice", "Alice Example", "Writes about distributed systems."),
    ("bob", "Bob Builder", "Can we fix it? Yes we can."),
    ("carol", "Carol Singer", "Music, coffee, open source."),
    ("dave", "Dave Ops", "On call so you don't have to be."),
    ("erin", "Erin Analyst", "Numbers tell stories."),
]
DEMO_FOLLOWS = [
    ("alice", "bob"),
    ("alice", "carol"),
    ("bob", "alice"),
    ("bob", "dave"),
    ("carol", "alice"),
    ("carol", "erin"),
    ("dave", "alice"),
    ("erin", "alice"),
    ("erin", "bob"),
]


# (author, content, reply to the post at this index or None)
DEMO_POSTS = [
    ("alice", "Hello mini_twitter! Who else is here? #hello", None),
    ("bob", "@alice welcome! Building things as usual. #hello #buildinpublic", 0),
    ("carol", "New album recommendations, anyone? #music", None),
    ("dave", "Deployed on a Friday. Everything is fine. #devops #oncall", None),
    ("erin", "Median beats mean when the data is skewed. #datascience", None),
    ("alice", "Reading about consensus protocols today. #distributed", None),
    ("carol", "@erin got any #music stats for me?", 4),
    ("dave", "Postmortem: it was DNS. It is always DNS. #devops", None),
]
DEMO_API_KEY = "test"  # the front end's documented demo key
# (author, content, colours of the generated pictures)
DEMO_PICTURE_POSTS = [
    ("carol", "Sunset from the studio roof #photo", [(250, 120, 60), (120, 40, 120)]),
    ("erin", "Today's chart: everything is up and to the right #datascience", [(40, 120, 200)]),
]
DEMO_MESSAGES = [
    ("alice", "Hi Bob! Are you coming to the meetup on Thursday?"),
    ("bob", "Yes! I'll bring the demo."),
    ("alice", "Great, see you there."),
]
DEMO_LIKES = [("bob", 0), ("carol", 0), ("alice", 3), ("erin", 2), ("alice", 7), ("bob", 7)]
DEMO_RETWEETS = [("bob", 0), ("erin", 0), ("alice", 7), ("carol", 4)]


@dataclass
class DemoData:
    users: dict[str, User]  # by username
    posts_count: int


def demo_data_load() -> DemoData:
    """Create what is missing of the demo data set (the users, their follows, their posts with their
    likes and retweets, alice's conversation with bob, the demo api key) and return it."""
    users = {}
    with transaction.atomic():
        for username, display_name, bio in DEMO_USERS:
            user = User.objects.filter(username__iexact=username).first()
            if user is None:
                user = User.objects.create_user(
                    username=username, email=f"{username}@example.com", password=DEMO_PASSWORD
                )
                user.profile.display_name = display_name
                user.profile.bio = bio
                user.profile.save(update_fields=["display_name", "bio"])
            users[username] = user
    for follower, followee in DEMO_FOLLOWS:
        follow_create(follower=users[follower], followee=users[followee])
    if not Post.objects.filter(author__in=users.values()).exists():
        posts = []
        for author, content, reply_to in DEMO_POSTS:
            reply_to_id = posts[reply_to].pk if reply_to is not None else None
            posts.append(post_create(author=users[author], content=content, reply_to_id=reply_to_id))
        for user, index in DEMO_LIKES:
            like_create(user=users[user], post=posts[index])
        for user, index in DEMO_RETWEETS:
            retweet_create(user=users[user], post=posts[index])
        for author, content, colours in DEMO_PICTURE_POSTS:
            media_ids = [media_create(owner=users[author], upload=_picture(c)).pk for c in colours]
            picture_post = post_create(author=users[author], content=content, media_ids=media_ids)
            like_create(user=users["alice"], post=picture_post)
    if not Conversation.objects.filter(memberships__user=users["alice"]).exists():
        for sender, content in DEMO_MESSAGES:
            conversation = conversation_create(creator=users["alice"], participant_ids=[users["bob"].pk]).conversation
            message_send(conversation_id=conversation.pk, sender=users[sender], content=content)
    if not ApiKey.objects.filter(key_hash=api_key_digest(DEMO_API_KEY)).exists():
        api_key_create(user=users["alice"], name="demo front end", key=DEMO_API_KEY)
    return DemoData(users=users, posts_count=Post.objects.filter(author__in=users.values()).count())


def _picture(colour: tuple[int, int, int]) -> SimpleUploadedFile:
    """A small generated picture: a gradient with a circle."""
    image = Image.new("RGB", (480, 320), colour)
    draw = ImageDraw.Draw(image)
    for y in range(320):
        shade = tuple(min(255, c + y // 3) for c in colour)
        draw.line([(0, y), (479, y)], fill=shade)
    draw.ellipse([180, 100, 300, 220], fill=(255, 230, 120))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile("demo.jpg", buffer.getvalue(), content_type="image/jpeg")

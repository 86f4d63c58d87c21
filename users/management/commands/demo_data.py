"""Load a small demo data set (idempotent): a handful of users who follow each other."""

from django.core.management.base import BaseCommand
from django.db import transaction

from users.models import User
from users.services import follow_create

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


class Command(BaseCommand):
    help = "Create demo users who follow each other (safe to run again)."

    def handle(self, *args, **options):
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
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(users)} users."))
        self.stdout.write(
            f"Log in as any of {', '.join(users)} with the password '{DEMO_PASSWORD}' "
            "(POST /api/users/token/, or the Authorize button at http://127.0.0.1:8000/swagger/)."
        )

"""``manage.py demo_data``: load the small demo data set (demo/demo_data.py), safe to run again."""

from django.core.management.base import BaseCommand

from demo.demo_data import DEMO_API_KEY, DEMO_PASSWORD, demo_data_load


class Command(BaseCommand):
    help = "Create demo users who follow each other (safe to run again)."

    def handle(self, *args, **options):
        demo = demo_data_load()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(demo.users)} users, {demo.posts_count} posts."))
        self.stdout.write(
            f"Log in as any of {', '.join(demo.users)} with the password '{DEMO_PASSWORD}' "
            "(POST /api/users/token/, or the Authorize button at http://127.0.0.1:8000/swagger/)."
        )
        self.stdout.write(f"The microblog front end's api key '{DEMO_API_KEY}' belongs to alice.")

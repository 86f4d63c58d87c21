"""Cache maintenance only: an account's cached Mastodon data (:func:`.entities.account.accounts_by_id`)
goes when what it shows changes: the user or its profile saved, a follow made or undone (both sides'
counts), a post published or removed (the author's count and last status). A change made in a
transaction drops the account at once and again after commit, so that a read in between cannot keep
the old data cached."""

from django.db import transaction

from .entities.account import accounts_forget


def _forget_now_and_after_commit(user_ids: list[int]) -> None:
    accounts_forget(user_ids)
    transaction.on_commit(lambda: accounts_forget(user_ids))


def account_saved(sender, instance, **kwargs) -> None:
    _forget_now_and_after_commit([instance.pk])


def follow_changed(sender, instance, **kwargs) -> None:
    _forget_now_and_after_commit([instance.follower_id, instance.followee_id])


def post_published(sender, *, author_id: int, **kwargs) -> None:
    accounts_forget([author_id])


def post_removed(sender, *, author_id: int, **kwargs) -> None:
    accounts_forget([author_id])

"""URLs of the Mastodon client API, mounted at the site root (``/api/v1/``, ``/api/v2/``, ``/oauth/``,
``/.well-known/``, ``/nodeinfo/``)."""

from django.urls import path, re_path

from .views import accounts, notifications, reports, search, statuses, streaming, timelines

# Mastodon's ids: strings of digits (a reblog's status id is up to 19 digits).
ID = r"(?P<id>[0-9]{1,19})"


def slashed(pattern: str, view) -> list:
    """The path, and the same path with a trailing slash (Rails, and so Mastodon, takes both as one:
    Mastodon.py files reports at ``/api/v1/reports/``), documented once."""
    return [re_path(rf"^{pattern}$", view.as_view()), re_path(rf"^{pattern}/$", view.as_view(schema=None))]


urlpatterns: list = [
    path("api/v1/accounts/verify_credentials", accounts.VerifyCredentialsView.as_view()),
    path("api/v1/accounts/update_credentials", accounts.UpdateCredentialsView.as_view()),
    path("api/v1/accounts/relationships", accounts.RelationshipsView.as_view()),
    path("api/v1/accounts/lookup", accounts.LookupView.as_view()),
    path("api/v1/accounts/search", accounts.AccountSearchView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}$", accounts.AccountView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}/statuses$", accounts.AccountStatusesView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}/followers$", accounts.FollowersView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}/following$", accounts.FollowingView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}/follow$", accounts.FollowView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}/unfollow$", accounts.UnfollowView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}/block$", accounts.BlockView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}/unblock$", accounts.UnblockView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}/mute$", accounts.MuteView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}/unmute$", accounts.UnmuteView.as_view()),
    path("api/v1/blocks", accounts.BlocksView.as_view()),
    path("api/v1/mutes", accounts.MutesView.as_view()),
    path("api/v1/follow_requests", accounts.FollowRequestsView.as_view()),
    re_path(rf"^api/v1/follow_requests/{ID}/authorize$", accounts.FollowRequestAuthorizeView.as_view()),
    re_path(rf"^api/v1/follow_requests/{ID}/reject$", accounts.FollowRequestRejectView.as_view()),
    re_path(rf"^api/v1/statuses/{ID}$", statuses.StatusView.as_view()),
    re_path(rf"^api/v1/statuses/{ID}/context$", statuses.StatusContextView.as_view()),
    re_path(rf"^api/v1/statuses/{ID}/favourited_by$", statuses.FavouritedByView.as_view()),
    re_path(rf"^api/v1/statuses/{ID}/reblogged_by$", statuses.RebloggedByView.as_view()),
    path("api/v1/favourites", statuses.FavouritesView.as_view()),
    path("api/v1/timelines/home", timelines.HomeTimelineView.as_view()),
    path("api/v1/timelines/public", timelines.PublicTimelineView.as_view()),
    path("api/v1/streaming/health", streaming.streaming_health),
    re_path(r"^api/v1/timelines/tag/(?P<hashtag>[^/]{1,100})$", timelines.TagTimelineView.as_view()),
    *slashed(r"api/v1/notifications", notifications.NotificationsView),
    *slashed(r"api/v1/notifications/clear", notifications.NotificationsClearView),
    *slashed(r"api/v1/notifications/unread_count", notifications.NotificationsUnreadCountView),
    *slashed(rf"api/v1/notifications/{ID}", notifications.NotificationView),
    *slashed(rf"api/v1/notifications/{ID}/dismiss", notifications.NotificationDismissView),
    *slashed(r"api/v2/notifications/policy", notifications.NotificationPolicyView),
    *slashed(r"api/v1/notifications/requests", notifications.NotificationRequestsView),
    *slashed(r"api/v2/search", search.SearchView),
    *slashed(r"api/v1/trends", search.TrendingTagsView),
    *slashed(r"api/v1/trends/tags", search.TrendingTagsView),
    *slashed(r"api/v1/tags/(?P<name>[^/]{1,200})", search.TagView),
    *slashed(r"api/v1/reports", reports.ReportsView),
]

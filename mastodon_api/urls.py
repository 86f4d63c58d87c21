"""URLs of the Mastodon client API, mounted at the site root (``/api/v1/``, ``/api/v2/``, ``/oauth/``,
``/.well-known/``, ``/nodeinfo/``)."""

from django.urls import path, re_path

from .views import (
    accounts,
    apps,
    instance,
    media,
    notifications,
    oauth,
    reports,
    search,
    statuses,
    streaming,
    timelines,
)

# Mastodon's ids: strings of digits (a reblog's status id is up to 19 digits).
ID = r"(?P<id>[0-9]{1,19})"

urlpatterns: list = [
    path("api/v1/accounts/verify_credentials", accounts.VerifyCredentialsView.as_view()),
    path("api/v1/accounts/update_credentials", accounts.UpdateCredentialsView.as_view()),
    path("api/v1/accounts/relationships", accounts.RelationshipsView.as_view()),
    path("api/v1/accounts/lookup", accounts.LookupView.as_view()),
    path("api/v1/accounts/familiar_followers", accounts.FamiliarFollowersView.as_view()),
    path("api/v1/accounts/search", accounts.AccountSearchView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}$", accounts.AccountView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}/statuses$", accounts.AccountStatusesView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}/followers$", accounts.FollowersView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}/following$", accounts.FollowingView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}/featured_tags$", accounts.AccountFeaturedTagsView.as_view()),
    re_path(rf"^api/v1/accounts/{ID}/lists$", accounts.AccountListsView.as_view()),
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
]

# OAuth 2 and apps.
urlpatterns += [
    path("api/v1/apps", apps.AppsView.as_view(), name="mastodon-apps"),
    path("api/v1/apps/verify_credentials", apps.AppVerifyCredentialsView.as_view()),
    path("auth/sign_in", oauth.SignInView.as_view(), name="mastodon-sign-in"),
    path("oauth/authorize", oauth.AuthorizeView.as_view(), name="mastodon-authorize"),
    path("oauth/token", oauth.TokenView.as_view(), name="mastodon-token"),
    path("oauth/revoke", oauth.RevokeTokenView.as_view(), name="mastodon-revoke"),
    path(".well-known/oauth-authorization-server", oauth.ServerMetadataView.as_view()),
]

# Discovery, and what clients call at start-up.
urlpatterns += [
    path("api/v1/instance", instance.InstanceV1View.as_view()),
    path("api/v2/instance", instance.InstanceV2View.as_view()),
    path("api/v1/instance/rules", instance.InstanceRulesView.as_view()),
    path("api/v1/instance/peers", instance.InstancePeersView.as_view()),
    path("api/v1/instance/activity", instance.InstanceActivityView.as_view()),
    path("api/v1/instance/translation_languages", instance.TranslationLanguagesView.as_view()),
    path(".well-known/nodeinfo", instance.NodeInfoLinksView.as_view()),
    path("nodeinfo/2.0", instance.NodeInfoView.as_view(), name="nodeinfo"),
    path("api/v1/custom_emojis", instance.CustomEmojisView.as_view()),
    path("api/v1/preferences", instance.PreferencesView.as_view()),
    path("api/v1/markers", instance.MarkersView.as_view()),
    path("api/v1/lists", instance.ListsView.as_view()),
    path("api/v1/filters", instance.FiltersView.as_view()),
    path("api/v2/filters", instance.FiltersV2View.as_view()),
    path("api/v1/announcements", instance.AnnouncementsView.as_view()),
    path("api/v1/conversations", instance.ConversationsView.as_view()),
    path("api/v1/suggestions", instance.SuggestionsView.as_view()),
    path("api/v2/suggestions", instance.SuggestionsV2View.as_view()),
    path("api/v1/followed_tags", instance.FollowedTagsView.as_view()),
    path("api/v1/domain_blocks", instance.DomainBlocksView.as_view()),
    path("api/v1/endorsements", instance.EndorsementsView.as_view()),
    path("api/v1/featured_tags", instance.FeaturedTagsView.as_view()),
    path("api/v1/trends/statuses", instance.TrendingStatusesView.as_view()),
    path("api/v1/trends/links", instance.TrendingLinksView.as_view()),
]

# Statuses written, bookmarks, media.
urlpatterns += [
    path("api/v1/statuses", statuses.StatusesView.as_view()),
    re_path(rf"^api/v1/statuses/{ID}/source$", statuses.StatusSourceView.as_view()),
    re_path(rf"^api/v1/statuses/{ID}/history$", statuses.StatusHistoryView.as_view()),
    re_path(rf"^api/v1/statuses/{ID}/favourite$", statuses.FavouriteView.as_view()),
    re_path(rf"^api/v1/statuses/{ID}/unfavourite$", statuses.UnfavouriteView.as_view()),
    re_path(rf"^api/v1/statuses/{ID}/reblog$", statuses.ReblogView.as_view()),
    re_path(rf"^api/v1/statuses/{ID}/unreblog$", statuses.UnreblogView.as_view()),
    re_path(rf"^api/v1/statuses/{ID}/bookmark$", statuses.BookmarkView.as_view()),
    re_path(rf"^api/v1/statuses/{ID}/unbookmark$", statuses.UnbookmarkView.as_view()),
    re_path(rf"^api/v1/statuses/{ID}/pin$", statuses.PinView.as_view()),
    re_path(rf"^api/v1/statuses/{ID}/unpin$", statuses.UnpinView.as_view()),
    path("api/v1/bookmarks", statuses.BookmarksView.as_view()),
    path("api/v1/media", media.MediaUploadView.as_view()),
    path("api/v2/media", media.MediaUploadView.as_view()),
    re_path(rf"^api/v1/media/{ID}$", media.MediaView.as_view()),
]

# Notifications, search, trends and reports.
urlpatterns += [
    path("api/v1/notifications", notifications.NotificationsView.as_view()),
    path("api/v1/notifications/clear", notifications.NotificationsClearView.as_view()),
    path("api/v1/notifications/unread_count", notifications.NotificationsUnreadCountView.as_view()),
    path("api/v1/notifications/requests", notifications.NotificationRequestsView.as_view()),
    re_path(rf"^api/v1/notifications/{ID}$", notifications.NotificationView.as_view()),
    re_path(rf"^api/v1/notifications/{ID}/dismiss$", notifications.NotificationDismissView.as_view()),
    path("api/v2/notifications/policy", notifications.NotificationPolicyView.as_view()),
    path("api/v2/search", search.SearchView.as_view()),
    path("api/v1/trends", search.TrendingTagsView.as_view()),
    path("api/v1/trends/tags", search.TrendingTagsView.as_view()),
    re_path(r"^api/v1/tags/(?P<name>[^/]{1,200})$", search.TagView.as_view()),
    path("api/v1/reports", reports.ReportsView.as_view()),
]

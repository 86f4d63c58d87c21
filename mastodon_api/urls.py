"""URLs of the Mastodon client API, mounted at the site root (``/api/v1/``, ``/api/v2/``, ``/oauth/``,
``/.well-known/``, ``/nodeinfo/``)."""

from django.urls import path

from .views import apps, instance, oauth

urlpatterns: list = []

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
    path("api/v1/streaming/health", instance.streaming_health),
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

"""URLs of the microblog front-end API (no trailing slashes), mounted at ``/api/``. They never
collide with the JWT API, whose paths all end with a slash."""

from django.urls import path, re_path

from . import views

# Ids are digits: anything else (``/api/users/token`` without its slash, say) is left to the
# catch-all 404, which answers an api-key client with the envelope.
ID = "(?P<{}>[0-9]+)"

urlpatterns = [
    path("tweets", views.TweetsView.as_view(), name="microblog-tweets"),
    re_path(rf"^tweets/{ID.format('tweet_id')}$", views.TweetView.as_view(), name="microblog-tweet"),
    re_path(rf"^tweets/{ID.format('tweet_id')}/likes$", views.TweetLikesView.as_view(), name="microblog-tweet-likes"),
    path("medias", views.MediasView.as_view(), name="microblog-medias"),
    path("users/me", views.MeView.as_view(), name="microblog-me"),
    re_path(rf"^users/{ID.format('user_id')}$", views.UserView.as_view(), name="microblog-user"),
    re_path(rf"^users/{ID.format('user_id')}/follow$", views.FollowView.as_view(), name="microblog-follow"),
]

"""URLs of the microblog front-end API (no trailing slashes), mounted at ``/api/``. They never
collide with the JWT API, whose paths all end with a slash."""

from django.urls import path

from . import views

urlpatterns = [
    path("tweets", views.TweetsView.as_view(), name="microblog-tweets"),
    path("tweets/<str:tweet_id>", views.TweetView.as_view(), name="microblog-tweet"),
    path("tweets/<str:tweet_id>/likes", views.TweetLikesView.as_view(), name="microblog-tweet-likes"),
    path("medias", views.MediasView.as_view(), name="microblog-medias"),
    path("users/me", views.MeView.as_view(), name="microblog-me"),
    path("users/<str:user_id>", views.UserView.as_view(), name="microblog-user"),
    path("users/<str:user_id>/follow", views.FollowView.as_view(), name="microblog-follow"),
]

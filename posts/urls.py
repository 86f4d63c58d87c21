"""URLs of the posts app, mounted at ``/api/``: posts, hashtags and search."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("posts", views.PostViewSet, basename="post")

urlpatterns = [
    path("hashtags/<str:name>/posts/", views.HashtagPostsView.as_view(), name="hashtag-posts"),
    path("search/", views.SearchView.as_view(), name="search"),
    *router.urls,
]

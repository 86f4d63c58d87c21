"""URLs of the media app, mounted at ``/api/``."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("media", views.MediaViewSet, basename="media")

urlpatterns = router.urls

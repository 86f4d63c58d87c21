"""URLs of the rooms app, mounted at ``/api/``."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("rooms", views.RoomViewSet, basename="room")

urlpatterns = router.urls

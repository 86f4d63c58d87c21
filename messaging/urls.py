"""URLs of the messaging app, mounted at ``/api/messages/``."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("", views.ConversationViewSet, basename="conversation")

urlpatterns = router.urls

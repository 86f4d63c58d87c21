"""URLs of the moderation app, mounted at ``/api/``: reports."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("reports", views.ReportViewSet, basename="report")

urlpatterns = router.urls

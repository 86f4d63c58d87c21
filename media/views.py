"""HTTP endpoints for image uploads, and serving stored files in development."""

from django.conf import settings
from django.http import Http404
from django.views.static import serve
from drf_yasg.utils import swagger_auto_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from mini_twitter.api.errors import json_methods, not_found
from mini_twitter.api.ids import ID_PATTERN
from mini_twitter.api.serializers import DetailSerializer

from . import selectors, services
from .serializers import MediaDetailsSerializer, MediaSerializer, MediaUploadSerializer


class MediaViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Image uploads, to attach to posts (``media_ids``)."""

    serializer_class = MediaSerializer
    parser_classes = [MultiPartParser, FormParser]
    lookup_value_regex = ID_PATTERN
    lookup_url_kwarg = "id"
    swagger_tags = ["media"]

    def initialize_request(self, request, *args, **kwargs):
        request = super().initialize_request(request, *args, **kwargs)
        if self.action == "partial_update":
            # Uploads are multipart only; their details may also come as JSON.
            request.parsers = [parser() for parser in (JSONParser, MultiPartParser, FormParser)]
        return request

    @swagger_auto_schema(
        request_body=MediaUploadSerializer,
        consumes=["multipart/form-data"],
        responses={
            201: MediaSerializer,
            400: "Not a JPEG, PNG, GIF or WebP image, corrupt, over 40 megapixels, or an animation over 300 "
            "frames or 50 megapixels in all; a description over 1500 characters; a focus out of -1..1.",
            413: DetailSerializer,
            415: DetailSerializer,
        },
    )
    def create(self, request):
        """Upload an image (multipart ``file``), with its alt text (``description``) and focal point
        if you like. It is judged by its content, re-encoded without metadata (EXIF/GPS) with its
        orientation applied, and stored under a server-chosen name. Uploads not attached to a post
        within 24 hours are deleted."""
        serializer = MediaUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        media = services.media_create(
            owner=request.user,
            upload=data["file"],
            description=data.get("description", ""),
            focus_x=data.get("focus_x"),
            focus_y=data.get("focus_y"),
        )
        return Response(MediaSerializer(media, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @swagger_auto_schema(responses={200: MediaSerializer, 404: DetailSerializer})
    def retrieve(self, request, id=None):
        """An upload's metadata: yours, or any attached to a post."""
        media = selectors.media_get_for_viewer(viewer=request.user, media_id=id)
        return Response(MediaSerializer(media, context={"request": request}).data)

    @swagger_auto_schema(
        request_body=MediaDetailsSerializer,
        consumes=["application/json", "multipart/form-data"],
        responses={
            200: MediaSerializer,
            400: "A description over 1500 characters, a focus out of -1..1.",
            403: DetailSerializer,
            404: DetailSerializer,
        },
    )
    def partial_update(self, request, id=None):
        """Set an upload's alt text (``description``) or focal point: your own uploads only (403 for
        someone else's image on a post), attached to a post or not."""
        media = selectors.media_get_for_viewer(viewer=request.user, media_id=id)
        serializer = MediaDetailsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        media = services.media_update(media=media, user=request.user, **serializer.validated_data)
        return Response(MediaSerializer(media, context={"request": request}).data)


@json_methods("GET", "HEAD")
def serve_media(request, path):
    """Stored files, served by Django when ``SERVE_MEDIA`` is on (the default); in the compose
    setup nginx serves ``/media/`` itself before a request gets here."""
    if not settings.SERVE_MEDIA:
        return not_found(request)
    try:
        return serve(request, path, document_root=settings.MEDIA_ROOT)
    except Http404:
        return not_found(request)

"""Mastodon's media API: uploads (with their alt text and focal point) through ``media.services``,
which validates and re-encodes an image synchronously: the attachment is processed when answered
(200, ``url`` set), on ``/api/v2/media`` too. Only the uploader sees an upload here, and only until
it is attached to a status, as in Mastodon."""

from django.shortcuts import get_object_or_404
from drf_yasg.utils import swagger_auto_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from media import services
from media.models import Media

from ..entities.media import media_entity_of
from ..entities.schemas import MediaAttachmentSerializer
from .base import MastodonView
from .rendering import ERROR

TAGS = ["mastodon"]
WRITE_MEDIA = ("write", "write:media")


def parse_focus(value) -> tuple[float, float] | None:
    """``"x,y"``, each from -1 to 1 (the range is the service's rule); None when not given."""
    if value in (None, ""):
        return None
    parts = str(value).split(",")
    try:
        x, y = (float(part) for part in parts)
    except ValueError:
        raise ValidationError({"focus": ['must be "x,y", two numbers from -1 to 1']}) from None
    return x, y


class MediaUploadSerializer(serializers.Serializer):
    """What an upload takes (documentation: the view reads the form)."""

    file = serializers.FileField(help_text="JPEG, PNG, GIF or WebP; too large → 413, not an image → 422.")
    description = serializers.CharField(required=False, help_text="Alt text, at most 1500 characters.")
    focus = serializers.CharField(required=False, help_text='The focal point, "x,y", each from -1 to 1.')

    class Meta:
        ref_name = "MastodonMediaUpload"


class MediaUpdateSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, help_text="Alt text, at most 1500 characters.")
    focus = serializers.CharField(required=False, help_text='The focal point, "x,y", each from -1 to 1.')

    class Meta:
        ref_name = "MastodonMediaUpdate"


def own_unattached(request, media_id: str) -> Media:
    return get_object_or_404(Media.objects.filter(owner=request.user, post__isnull=True), pk=media_id)


class MediaUploadView(MastodonView):
    required_scopes = {"POST": WRITE_MEDIA}
    parser_classes = [MultiPartParser, FormParser]
    swagger_tags = TAGS

    @swagger_auto_schema(
        request_body=MediaUploadSerializer,
        consumes=["multipart/form-data"],
        responses={200: MediaAttachmentSerializer, 413: ERROR, 422: ERROR},
    )
    def post(self, request):
        """Upload an image (multipart `file`) with its alt text and focal point, to attach to a
        status (`media_ids[]`) within 24 hours. Processed at once: 200 with its `url`."""
        upload = request.FILES.get("file")
        if upload is None or not upload.size:
            raise ValidationError({"file": ["can't be blank"]})
        focus = parse_focus(request.data.get("focus"))
        media = services.media_create(
            owner=request.user,
            upload=upload,
            description=request.data.get("description") or "",
            focus_x=focus[0] if focus else None,
            focus_y=focus[1] if focus else None,
        )
        return Response(media_entity_of(media, request=request))


class MediaView(MastodonView):
    required_scopes = {"GET": WRITE_MEDIA, "PUT": WRITE_MEDIA}
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    swagger_tags = TAGS

    @swagger_auto_schema(responses={200: MediaAttachmentSerializer, 404: ERROR})
    def get(self, request, id):
        """One of my uploads not yet attached to a status (404 otherwise)."""
        return Response(media_entity_of(own_unattached(request, id), request=request))

    @swagger_auto_schema(
        request_body=MediaUpdateSerializer,
        consumes=["application/json", "multipart/form-data"],
        responses={200: MediaAttachmentSerializer, 404: ERROR, 422: ERROR},
    )
    def put(self, request, id):
        """Change the alt text or focal point of one of my uploads not yet attached to a status
        (404 otherwise, as in Mastodon)."""
        media = own_unattached(request, id)
        changes = {}
        if "description" in request.data:
            changes["description"] = request.data.get("description") or ""
        if "focus" in request.data:
            focus = parse_focus(request.data.get("focus"))
            changes["focus_x"], changes["focus_y"] = focus if focus else (None, None)
        media = services.media_update(media=media, user=request.user, **changes)
        return Response(media_entity_of(media, request=request))

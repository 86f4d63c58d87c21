"""Reads for uploads."""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from .models import Media


def media_get_for_viewer(*, viewer, media_id: int) -> Media:
    """An upload its owner can always see, and anyone once it is attached to a post; otherwise 404."""
    return get_object_or_404(Media.objects.filter(Q(owner=viewer) | Q(post__isnull=False)), pk=media_id)

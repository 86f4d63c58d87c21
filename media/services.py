"""Writes for uploads: store a validated image with its thumbnail, attach uploads to a post, and
delete files."""

import io
import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from PIL import Image

from mini_twitter.api.text import clean_text

from .images import NO_COMMENT, process_image
from .models import MAX_DESCRIPTION_LENGTH, Media

logger = logging.getLogger(__name__)

THUMBNAIL_SIDE = 320
MAX_ATTACHMENTS = 4
UNATTACHED_TTL = timedelta(hours=24)


def _thumbnail(decoded: Image.Image) -> tuple[ContentFile, str]:
    image = decoded.copy()
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    buffer = io.BytesIO()
    if image.mode in ("RGBA", "LA", "P"):
        image.convert("RGBA").save(buffer, "PNG", optimize=True)
        return ContentFile(buffer.getvalue()), "png"
    image.convert("RGB").save(buffer, "JPEG", quality=85, **NO_COMMENT)
    return ContentFile(buffer.getvalue()), "jpg"


def clean_description(description: str | None) -> str:
    return clean_text(
        description, field="description", noun="description", max_length=MAX_DESCRIPTION_LENGTH, allow_empty=True
    )


def _clean_focus(focus_x: float | None, focus_y: float | None) -> None:
    for field, value in (("focus_x", focus_x), ("focus_y", focus_y)):
        if value is not None and not -1 <= value <= 1:
            raise ValidationError({field: ["A focal point coordinate is between -1 and 1."]})


def media_create(
    *,
    owner,
    upload,
    description: str = "",
    focus_x: float | None = None,
    focus_y: float | None = None,
) -> Media:
    """Validate and store an uploaded image, with its alt text and focal point. Raises
    ``ValidationError`` (400) or ``PayloadTooLarge`` (413)."""
    description = clean_description(description)
    _clean_focus(focus_x, focus_y)
    try:
        image = process_image(upload)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    now = timezone.now()
    stem = f"uploads/{now:%Y/%m}/{uuid.uuid4().hex}"
    thumb, thumb_ext = _thumbnail(image.decoded)
    name = default_storage.save(f"{stem}.{image.extension}", image.content)
    thumb_name = default_storage.save(f"{stem}_thumb.{thumb_ext}", thumb)
    try:
        with transaction.atomic():
            return Media.objects.create(
                owner=owner,
                file=name,
                thumbnail=thumb_name,
                content_type=image.content_type,
                width=image.width,
                height=image.height,
                size=image.size,
                description=description,
                focus_x=focus_x,
                focus_y=focus_y,
                created_at=now,
            )
    except Exception:
        delete_files([name, thumb_name])
        raise


_UNSET = object()


def media_update(*, media: Media, user, description=_UNSET, focus_x=_UNSET, focus_y=_UNSET) -> Media:
    """Change an upload's alt text or focal point (only what is given; its owner only: 403),
    attached to a post or not. Saved with ``update_fields``, which the posts' cache of their
    representations listens to."""
    if media.owner_id != user.pk:
        raise PermissionDenied("You can only describe your own uploads.")
    changes = {}
    if description is not _UNSET:
        changes["description"] = clean_description(description)
    if focus_x is not _UNSET:
        changes["focus_x"] = focus_x
    if focus_y is not _UNSET:
        changes["focus_y"] = focus_y
    _clean_focus(changes.get("focus_x"), changes.get("focus_y"))
    if not changes:
        return media
    with transaction.atomic():
        # Under the row's lock: an upload deleted meanwhile is a 404, not a failed save.
        row = Media.objects.select_for_update().filter(pk=media.pk).first()
        if row is None:
            raise Http404("No such media.")
        for field, value in changes.items():
            setattr(row, field, value)
        row.save(update_fields=list(changes))
    return row


def media_attach(*, post, owner, media_ids: Sequence[int]) -> list[Media]:
    """Attach the owner's unattached uploads to a new post, in the given order; returns them, in
    that order. Must run inside the transaction that creates the post; the rows are locked so
    that two posts can't take the same upload."""
    ids = list(media_ids)
    if not ids:
        return []
    if len(ids) > MAX_ATTACHMENTS:
        raise ValidationError({"media_ids": [f"A post has at most {MAX_ATTACHMENTS} images."]})
    if len(set(ids)) != len(ids):
        raise ValidationError({"media_ids": ["The same media id is given twice."]})
    rows = {m.pk: m for m in Media.objects.select_for_update().filter(pk__in=ids, owner=owner, post__isnull=True)}
    unusable = [i for i in ids if i not in rows]
    if unusable:
        raise ValidationError(
            {"media_ids": [f"Unknown, foreign or already attached media id(s): {', '.join(map(str, unusable))}."]}
        )
    for position, media_id in enumerate(ids):
        Media.objects.filter(pk=media_id).update(post=post, position=position)
        rows[media_id].post, rows[media_id].position = post, position
    return [rows[media_id] for media_id in ids]


def media_file_names(media: Iterable[Media]) -> list[str]:
    return [name for m in media for name in (m.file.name, m.thumbnail.name) if name]


def delete_files(names: Iterable[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.exception("could not delete stored file %s", name)


def media_delete_unattached(*, older_than: timedelta = UNATTACHED_TTL) -> int:
    """Remove uploads never attached to a post, with their files. Returns how many."""
    cutoff = timezone.now() - older_than
    removed = 0
    while True:
        with transaction.atomic():
            batch = list(
                Media.objects.select_for_update(skip_locked=True).filter(post__isnull=True, created_at__lt=cutoff)[:500]
            )
            if not batch:
                return removed
            names = media_file_names(batch)
            Media.objects.filter(pk__in=[m.pk for m in batch]).delete()
            transaction.on_commit(lambda names=names: delete_files(names))
        removed += len(batch)

"""Attachments: upload a file or a screenshot to an incident, optionally to one of its timeline entries.

What is stored is decided from the bytes, never from the browser's content type: an image Pillow reads as
PNG, JPEG, GIF or WebP is decoded and re-encoded (PNG, or JPEG for a JPEG), which drops its EXIF (GPS
position, camera), comments and anything appended after it (a polyglot); other files are taken only for
the extensions of `ALLOWED` whose bytes look like them (`%PDF-`, a ZIP or gzip header, UTF-8 text). Size:
at most `settings.ATTACHMENT_MAX_BYTES` (10 MB). Names are sanitised (`clean_name`); the stored file's
name is random. Errors: `ValidationError` keyed `file` or `entry`; AccessDenied from `require_record`.
Removing one (`attachment_remove`) deletes its row and, once that commits, its bytes and thumbnail.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from incidents.incident.models.attachments import attachment_path, thumbnail_path
from incidents.markdown import markdown_text
from incidents.models import Attachment, Incident, TimelineEntry
from incidents.permissions.checks import actor_user, require_record, require_remove_attachment
from incidents.timeline.services import system_entry

# Extension -> content type of the files taken besides images (each checked by `_looks_like`).
ALLOWED: dict[str, str] = {
    "pdf": "application/pdf",
    "txt": "text/plain",
    "log": "text/plain",
    "md": "text/plain",
    "csv": "text/csv",
    "json": "application/json",
    "zip": "application/zip",
    "gz": "application/gzip",
}
# Pillow format -> (stored content type, extension, Pillow format to save as).
IMAGE_FORMATS: dict[str, tuple[str, str, str]] = {
    "PNG": ("image/png", "png", "PNG"),
    "JPEG": ("image/jpeg", "jpg", "JPEG"),
    "GIF": ("image/png", "png", "PNG"),
    "WEBP": ("image/png", "png", "PNG"),
}
IMAGE_EXTENSIONS = {"png", "jpg", "jpeg", "gif", "webp"}
MAX_PIXELS = 50_000_000  # 50 megapixels: a screenshot of eight 4K screens; more is a decompression bomb
THUMBNAIL_SIDE = 320
MAX_NAME = 120
TYPES_TAKEN = "Images (PNG, JPEG, GIF, WebP), PDF, text, log, Markdown, CSV, JSON, ZIP and gzip files"


@dataclass(frozen=True)
class Prepared:
    """What will be stored: the bytes, their content type, the sanitised name, and for an image its size
    in pixels and its thumbnail (PNG bytes)."""

    data: bytes
    content_type: str
    name: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None


def megabytes(size: int) -> str:
    """`size` bytes as people read a limit: `10 MB`, `12.5 MB`, `64 KB`, `100 bytes`."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def clean_name(raw: str, ext: str) -> str:
    """A file name safe to show and to offer on download: the last path component of `raw`, Unicode
    normalised (NFKC), without control, format (bidirectional overrides) or separator characters other
    than a space, without characters a shell or a header treats specially, at most `MAX_NAME` characters,
    ending in `.ext` (the extension Hindsight decided, whatever `raw` ended in). Never empty or hidden."""
    base = re.split(r"[/\\]", raw or "")[-1]
    base = unicodedata.normalize("NFKC", base)
    base = "".join(c for c in base if c == " " or unicodedata.category(c)[0] not in "CZ")
    base = re.sub(r"[<>:\"|?*;,'`$&%#{}\[\]=+!^~]", "_", base)
    base = re.sub(r"\s+", " ", base).strip(" ._-")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem.strip(" ._-")[: MAX_NAME - len(ext) - 1].rstrip(" ._-") or "attachment"
    return f"{stem}.{ext}"


def _extension(name: str) -> str:
    tail = (name or "").rsplit(".", 1)
    return tail[1].lower().strip() if len(tail) == 2 else ""


def _read(upload: Any) -> bytes:
    limit = settings.ATTACHMENT_MAX_BYTES
    too_large = ValidationError(
        {"file": f"The file is larger than {megabytes(limit)}, the most an attachment may be."}
    )
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise too_large
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large
    if not data:
        raise ValidationError({"file": "The file is empty."})
    return data


def _image(data: bytes) -> Image.Image | None:
    """The image in `data` if Pillow reads it as one of IMAGE_FORMATS, else None (not an image)."""
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    return image if image.format in IMAGE_FORMATS else None


def _reencode(image: Image.Image, name: str) -> Prepared:
    content_type, ext, save_as = IMAGE_FORMATS[str(image.format)]
    if image.width * image.height > MAX_PIXELS:
        raise ValidationError({"file": "The image is too large (more than 50 megapixels)."})
    try:
        image.seek(0)  # an animation's first frame
        image.load()
        image = ImageOps.exif_transpose(image)  # keep how it looked once its orientation tag is gone
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError({"file": "The image could not be read (damaged or cut short)."}) from exc
    transparency = image.info.get("transparency")
    image.info = {} if transparency is None or save_as == "JPEG" else {"transparency": transparency}
    if save_as == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if save_as == "PNG" and image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    image.save(out, format=save_as, **({"quality": 90} if save_as == "JPEG" else {}))
    thumb = image.convert("RGBA") if image.mode in ("P", "LA", "1", "I", "I;16") else image.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    small = io.BytesIO()
    thumb.save(small, format="PNG")
    return Prepared(
        data=out.getvalue(),
        content_type=content_type,
        name=clean_name(name, ext),
        width=image.width,
        height=image.height,
        thumbnail=small.getvalue(),
    )


def _looks_like(content_type: str, data: bytes) -> bool:
    if content_type == "application/pdf":
        return data.startswith(b"%PDF-")
    if content_type == "application/zip":
        return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")
    if content_type == "application/gzip":
        return data.startswith(b"\x1f\x8b")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\x00" not in text


def prepare_upload(upload: Any) -> Prepared:
    """Read and check an upload (`name`, `size`, `read()`: a Django UploadedFile or File) into what is
    stored. ValidationError keyed `file`: too large, empty, a type not taken, bytes that are not what the
    extension says, an image that cannot be read."""
    data = _read(upload)
    name = str(getattr(upload, "name", "") or "")
    ext = _extension(name)
    image = _image(data)
    if image is not None:
        return _reencode(image, name)
    if ext in IMAGE_EXTENSIONS:
        raise ValidationError(
            {"file": "The image could not be read (damaged, or not the type its name says)."}
        )
    content_type = ALLOWED.get(ext)
    if content_type is None:
        raise ValidationError({"file": f"That type of file is not taken. {TYPES_TAKEN} are."})
    if not _looks_like(content_type, data):
        raise ValidationError({"file": f"The file's contents are not a .{ext} file."})
    return Prepared(data=data, content_type=content_type, name=clean_name(name, ext))


def attachment_add(
    *, incident: Incident, actor: Any, upload: Any, entry: TimelineEntry | None = None
) -> Attachment:
    """Store `upload` as an attachment of `incident` (and of its timeline `entry`, if given), with one
    "Attachment added: <name>" timeline entry. Those who may record on the incident (`require_record`:
    not found for those who cannot see it, else 403). ValidationError keyed `file` (see `prepare_upload`)
    or `entry` (not an entry of this incident's timeline). The stored files are removed again if the
    rows cannot be written."""
    require_record(actor, incident)
    if entry is not None and (entry.incident_id != incident.pk or entry.removed_at is not None):
        raise ValidationError({"entry": "Choose an entry of this incident's timeline."})
    prepared = prepare_upload(upload)
    row = Attachment(
        incident=incident,
        entry=entry,
        name=prepared.name,
        content_type=prepared.content_type,
        size=len(prepared.data),
        width=prepared.width,
        height=prepared.height,
        uploaded_by=actor_user(actor),
    )
    stored = [default_storage.save(attachment_path(row, prepared.name), ContentFile(prepared.data))]
    try:
        if prepared.thumbnail is not None:
            stored.append(
                default_storage.save(thumbnail_path(row, prepared.name), ContentFile(prepared.thumbnail))
            )
        row.file.name = stored[0]
        row.thumbnail.name = stored[1] if len(stored) > 1 else ""
        with transaction.atomic():
            row.save()
            system_entry(incident=incident, actor=actor, body=f"Attachment added: {markdown_text(row.name)}")
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return row


def attachment_remove(*, attachment: Attachment, actor: Any) -> None:
    """Remove `attachment` from its incident: its row now, with one "Attachment removed: <name>" timeline
    entry, and its file and thumbnail from storage once that commits (never while the removal could still
    roll back). Who uploaded it (while they may record on the incident) and those who may command the
    incident (`require_remove_attachment`: not found for those who cannot see it, else 403)."""
    require_remove_attachment(actor, attachment)
    names = [f.name for f in (attachment.file, attachment.thumbnail) if f and f.name]
    with transaction.atomic():
        incident = attachment.incident
        name = attachment.name
        attachment.delete()
        system_entry(incident=incident, actor=actor, body=f"Attachment removed: {markdown_text(name)}")
        transaction.on_commit(lambda: _delete_stored(names))


def _delete_stored(names: list[str]) -> None:
    """Delete the stored files `names` (storage names); one already gone is fine."""
    for name in names:
        default_storage.delete(name)

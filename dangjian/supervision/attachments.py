"""Attachments: the type is sniffed from the content (magic numbers), never taken from the name; sizes are capped.

Pictures are decoded and written anew without their metadata: a phone's photo carries EXIF with the place it was
taken (GPS), the time and the camera's serial number, any of which can name a writer who chose to stay anonymous.
"""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from dangjian.core import archives, pdf

MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; more is a decompression bomb, not a picture of a broken road
#: What a Word or Excel attachment may unpack to: staff open it in an office program, which unpacks it whole.
MAX_UNPACKED = 256 * 1024 * 1024
LOSSY = ("image/jpeg", "image/webp")
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


@dataclass(frozen=True)
class Checked:
    name: str
    data: bytes
    content_type: str
    sha256: str


class Bomb(ValueError):
    """A zip container (Word, Excel) that claims to unpack to far more than a document holds."""


def sniff(data: bytes) -> str | None:
    """The MIME type the content really has, among the accepted ones; None when it is none of them. Raises `Bomb`
    for a Word or Excel file made to overload whoever unpacks it."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"PK\x03\x04"):
        try:
            members = zipfile.ZipFile(io.BytesIO(data)).infolist()
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        names = {m.filename for m in members}
        if ("word/document.xml" in names or "xl/workbook.xml" in names) and archives.is_bomb(
            members, max_unpacked=MAX_UNPACKED
        ):
            raise Bomb
        if "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "xl/workbook.xml" in names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return None
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/msword"
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return "text/plain"
    return None


# What Pillow raises on a file that is not the picture it claims to be, or one built to exhaust memory.
UNREADABLE = (
    UnidentifiedImageError,
    OSError,
    ValueError,
    SyntaxError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


def without_metadata(data: bytes, content_type: str, name: str) -> bytes:
    """The picture re-encoded with its pixels only (turned upright first, as its EXIF orientation said)."""
    damaged = ValidationError(_("The picture %(name)s is damaged or cannot be read.") % {"name": name}, code="damaged")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise damaged
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                frames = getattr(image, "n_frames", 1)
                out = io.BytesIO()
                if frames > 1:  # an animated GIF or WebP: every frame, no comment or EXIF
                    image.save(out, PILLOW_FORMATS[content_type], save_all=True)
                else:
                    upright = ImageOps.exif_transpose(image)
                    if content_type == "image/jpeg" and upright.mode not in ("RGB", "L"):
                        upright = upright.convert("RGB")
                    options = {"quality": 92} if content_type in LOSSY else {}
                    upright.save(out, PILLOW_FORMATS[content_type], **options)
    except UNREADABLE:
        raise damaged from None
    return out.getvalue()


def _check_pdf(data: bytes, name: str) -> None:
    """Staff open a letter's PDF on an office computer: one that runs scripts or programs is refused, and so is one
    that cannot be read (nothing can be said of what it carries) or is locked with a password (staff could not
    read it either)."""
    found = pdf.problem(data)
    if found == "active":
        message = _(
            "The PDF %(name)s contains scripts or actions that start programs. Save or print it again as a plain "
            "PDF, or send pictures of it."
        )
    elif found == "encrypted":
        message = _("The PDF %(name)s is locked with a password. Send it without the password.")
    elif found:
        message = _("The PDF %(name)s is damaged or cannot be read. Send it again, or send pictures of it.")
    else:
        return
    raise ValidationError(message % {"name": name}, code=f"pdf_{found}")


def clean_name(name: str) -> str:
    """A display name without directories or control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:200] or "attachment"


def check(uploads: list[Upload]) -> list[Checked]:
    """Validate every file; raise one ValidationError naming the first problem (nothing is stored)."""
    if len(uploads) > MAX_FILES:
        raise ValidationError(_("At most %(n)d files may be attached.") % {"n": MAX_FILES}, code="too_many")
    total = 0
    out = []
    for up in uploads:
        name = clean_name(up.name)
        if not up.data:
            raise ValidationError(_("The file %(name)s is empty.") % {"name": name}, code="empty")
        if len(up.data) > MAX_FILE_BYTES:
            raise ValidationError(
                _("The file %(name)s is larger than %(mb)d MB.") % {"name": name, "mb": MAX_FILE_BYTES // 2**20},
                code="too_big",
            )
        total += len(up.data)
        if total > MAX_TOTAL_BYTES:
            raise ValidationError(
                _("The attachments together are larger than %(mb)d MB.") % {"mb": MAX_TOTAL_BYTES // 2**20},
                code="too_big",
            )
        try:
            content_type = sniff(up.data)
        except Bomb:
            raise ValidationError(
                _("The file %(name)s unpacks to far more than a document holds: it is damaged or made to overload "
                  "the computer that opens it.") % {"name": name},
                code="bomb",
            ) from None  # fmt: skip
        if content_type is None:
            raise ValidationError(
                _("The file %(name)s is not a PDF, image, Word or Excel document or plain text.") % {"name": name},
                code="type",
            )
        if content_type == "application/pdf":
            _check_pdf(up.data, name)
        data = without_metadata(up.data, content_type, name) if content_type in PILLOW_FORMATS else up.data
        out.append(Checked(name, data, content_type, hashlib.sha256(data).hexdigest()))
    return out

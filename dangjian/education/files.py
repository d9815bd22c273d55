"""Uploaded files: the type sniffed from the content (never the name), size limits, text and duration read from them.

Every reader works on a seekable binary stream and reads it in chunks or lets the library seek; a damaged file
raises `DamagedFile`, which the upload action turns into a clear message.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import BinaryIO

from defusedxml import ElementTree
from django.conf import settings

from dangjian.core import archives, pdf
from dangjian.education.models import Kind

CHUNK = 256 * 1024
#: Extracted text kept for search; a book's first part is enough to find it.
MAX_TEXT = 200_000
#: What the members of a .docx or .epub may unpack to together (the reader holds a member's XML whole).
MAX_UNPACKED = 256 * 1024 * 1024
#: What one stream of a PDF may decode to while its text is read: a page's text is kilobytes, and pypdf's default
#: (75 MB a stream) lets a 1 MB file of deflated zeros cost some 160 MB while it is read.
MAX_PDF_STREAM = 8 * 1024 * 1024

DEFAULT_LIMITS = {
    Kind.DOCUMENT: 50 * 1024 * 1024,
    Kind.EDITION: 50 * 1024 * 1024,
    Kind.AUDIO: 500 * 1024 * 1024,
    Kind.VIDEO: 4 * 1024 * 1024 * 1024,
}

PDF, DOCX, EPUB = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ("application/epub+zip"),
)
MP4, WEBM, M4A, MP3, WAV, OGG, FLAC = (
    "video/mp4", "video/webm", "audio/mp4", "audio/mpeg", "audio/wav", "audio/ogg", "audio/flac"
)  # fmt: skip
PNG, JPEG = "image/png", "image/jpeg"

KIND_OF_TYPE = {
    PDF: Kind.DOCUMENT,
    DOCX: Kind.DOCUMENT,
    EPUB: Kind.DOCUMENT,
    MP4: Kind.VIDEO,
    WEBM: Kind.VIDEO,
    M4A: Kind.AUDIO,
    MP3: Kind.AUDIO,
    WAV: Kind.AUDIO,
    OGG: Kind.AUDIO,
    FLAC: Kind.AUDIO,
}
EXTENSIONS = {
    PDF: "pdf", DOCX: "docx", EPUB: "epub", MP4: "mp4", WEBM: "webm", M4A: "m4a", MP3: "mp3", WAV: "wav",
    OGG: "ogg", FLAC: "flac", PNG: "png", JPEG: "jpg",
}  # fmt: skip

# Marks of classified documents (密级标志) as 《党政机关公文格式》GB/T 9704-2012 §7.2.3 prints them: "绝密★…".
CLASSIFIED_MARK = re.compile(r"(绝密|机密|秘密)\s*★")


class DamagedFile(Exception):
    """The file is not what it claims to be, or cannot be read."""


class ZipBomb(DamagedFile):
    """A .docx or .epub whose members claim to unpack to far more than a document holds."""


class ActiveContent(DamagedFile):
    """A PDF that runs script or starts something when it is opened or a link of it is followed."""


class UnknownType(Exception):
    """The content matches no type the library accepts."""


def limit_for(kind: str) -> int:
    limits = {**DEFAULT_LIMITS, **getattr(settings, "DANGJIAN_EDUCATION_MAX_BYTES", {})}
    return limits[kind]


def sniff(stream: BinaryIO) -> str:
    """The content type from the first bytes (and, for ZIP containers, their members)."""
    stream.seek(0)
    head = stream.read(64)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(stream) as z:
                if archives.is_bomb(z.infolist(), max_unpacked=MAX_UNPACKED):
                    raise ZipBomb
                names = set(z.namelist())
                if "mimetype" in names and z.read("mimetype").strip() == b"application/epub+zip":
                    return EPUB
                if "word/document.xml" in names:
                    return DOCX
        except (zipfile.BadZipFile, OSError, KeyError) as exc:
            raise DamagedFile from exc
        finally:
            stream.seek(0)
        raise UnknownType
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return M4A if brand in (b"M4A ", b"M4B ") else MP4
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MP3
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    raise UnknownType


def digest(stream: BinaryIO) -> tuple[str, int]:
    """SHA-256 and size, read in chunks."""
    h = hashlib.sha256()
    size = 0
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        h.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return h.hexdigest(), size


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        elif tag in ("p", "div", "h1", "h2", "h3", "h4", "li", "br", "tr"):
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_text(markup: str) -> str:
    parser = _TextOnly()
    parser.feed(markup)
    return re.sub(r"\n\s*\n+", "\n", "".join(parser.parts)).strip()


def _pdf_text(stream: BinaryIO) -> str:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import PyPdfError

    limit = MAX_PDF_STREAM
    try:
        with apply_configuration(**pdf.limits(limit)):
            reader = PdfReader(stream, strict=False)
            if reader.is_encrypted:
                raise DamagedFile("encrypted")
            if pdf.has_active_content(reader):
                raise ActiveContent
            parts, total = [], 0
            for page in reader.pages:
                text = page.extract_text() or ""
                parts.append(text)
                total += len(text)
                if total > MAX_TEXT:
                    break
            if not reader.pages:
                raise DamagedFile("no pages")
    except (PyPdfError, ValueError, KeyError, TypeError, struct.error, OSError) as exc:
        raise DamagedFile from exc
    return "\n".join(parts)


def _docx_text(stream: BinaryIO) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(stream)
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, ElementTree.ParseError) as exc:
        raise DamagedFile from exc
    except Exception as exc:  # lxml's XMLSyntaxError and friends: the package is broken
        raise DamagedFile from exc
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _epub_text(stream: BinaryIO) -> str:
    """The spine's XHTML documents in reading order (EPUB 3, OCF container: META-INF/container.xml → OPF)."""
    ns = {"c": "urn:oasis:names:tc:opendocument:xmlns:container", "o": "http://www.idpf.org/2007/opf"}
    try:
        with zipfile.ZipFile(stream) as z:
            container = ElementTree.fromstring(z.read("META-INF/container.xml"))
            rootfile = container.find(".//c:rootfile", ns)
            if rootfile is None:
                raise DamagedFile("no rootfile")
            opf_path = rootfile.attrib["full-path"]
            base = opf_path.rsplit("/", 1)[0] + "/" if "/" in opf_path else ""
            opf = ElementTree.fromstring(z.read(opf_path))
            manifest = {i.attrib["id"]: i.attrib["href"] for i in opf.findall(".//o:manifest/o:item", ns)}
            parts, total = [], 0
            for ref in opf.findall(".//o:spine/o:itemref", ns):
                href = manifest[ref.attrib["idref"]]
                text = html_text(z.read(base + href).decode("utf-8", "replace"))
                parts.append(text)
                total += len(text)
                if total > MAX_TEXT:
                    break
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as exc:
        raise DamagedFile from exc
    return "\n".join(parts)


def extract_text(stream: BinaryIO, content_type: str) -> str:
    stream.seek(0)
    reader = {PDF: _pdf_text, DOCX: _docx_text, EPUB: _epub_text}.get(content_type)
    text = reader(stream) if reader else ""
    stream.seek(0)
    return re.sub(r"[ \t\r\f\v]+", " ", text).strip()[:MAX_TEXT]


def _webm_duration(stream: BinaryIO) -> float | None:
    """Matroska/WebM: Segment Info's Duration (0x4489) in TimecodeScale (0x2AD7B1, default 1 ms) units.

    mutagen does not read Matroska; the Info element sits in the first kilobytes of any WebM a recorder
    finalised, so a scan of the head finds it. A live stream without Duration gives None.
    """
    stream.seek(0)
    head = stream.read(64 * 1024)
    stream.seek(0)
    if b"\x15\x49\xa9\x66" not in head:
        raise DamagedFile("no segment info")
    scale = 1_000_000
    at = head.find(b"\x2a\xd7\xb1")
    if at >= 0:
        size = head[at + 3] & 0x7F if head[at + 3] & 0x80 else None
        if size:
            scale = int.from_bytes(head[at + 4 : at + 4 + size], "big")
    for marker, fmt in ((b"\x44\x89\x88", ">d"), (b"\x44\x89\x84", ">f")):
        at = head.find(marker)
        if at >= 0:
            (value,) = struct.unpack(fmt, head[at + 3 : at + 3 + struct.calcsize(fmt)])
            return value * scale / 1e9
    return None


def media_duration(stream: BinaryIO, content_type: str) -> int | None:
    """Seconds of a video or audio file, read from its own headers."""
    stream.seek(0)
    try:
        if content_type == WEBM:
            seconds = _webm_duration(stream)
        else:
            import mutagen

            media = mutagen.File(stream)
            if media is None or media.info is None:
                raise DamagedFile("unreadable")
            seconds = media.info.length
    except DamagedFile:
        raise
    except Exception as exc:  # mutagen raises many kinds for a broken header
        raise DamagedFile from exc
    finally:
        stream.seek(0)
    if seconds is None:
        return None
    if seconds <= 0:
        raise DamagedFile("no duration")
    return round(seconds)


def has_classified_mark(text: str) -> bool:
    return bool(CLASSIFIED_MARK.search(text[:20_000]))


@dataclass(frozen=True)
class Inspected:
    content_type: str
    kind: str
    size: int
    sha256: str
    text: str
    duration: int | None


def inspect(stream: BinaryIO) -> Inspected:
    """Everything the library needs from an uploaded file; raises UnknownType or DamagedFile."""
    content_type = sniff(stream)
    kind = KIND_OF_TYPE.get(content_type)
    if kind is None:
        raise UnknownType
    sha, size = digest(stream)
    text = extract_text(stream, content_type) if kind == Kind.DOCUMENT else ""
    duration = media_duration(stream, content_type) if kind in (Kind.VIDEO, Kind.AUDIO) else None
    return Inspected(content_type, kind, size, sha, text, duration)


def as_stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)

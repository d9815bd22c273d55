"""One corpus of hostile files for every upload of the platform, built in code when a test asks for it.

Nothing is downloaded and nothing binary is kept in the tree: each file is made here from a few bytes of its
format. `corpus(good, ext)` gives every item, the ones that attack the name carrying the endpoint's own good
content (`good`) and extension (`ext`), so that an endpoint which reads the content still gets past it and has to
store or show the name.

The zip bombs follow the classic shape: a member of zeros deflated (about 1,000 : 1, deflate's limit), and a zip
of zips, whose deflated members compress again (42.zip, Ellingsen 2001; D. Fifield, "A better zip bomb", WOOT
2019, https://www.bamsoftware.com/hacks/zipbomb/). The decompression-bomb pictures declare 12,000 × 12,000 (PNG,
under Pillow's own refusal) and 65,535 × 65,535 pixels (GIF) in a few hundred bytes.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from dataclasses import dataclass

from dangjian.education import samples

GiB = 1 << 30
MiB = 1 << 20


@dataclass(frozen=True)
class Hostile:
    key: str  # the test id
    name: str  # the file name as the browser sends it
    data: bytes
    #: "type": the content is not what the name says; "bomb": built to exhaust memory; "damaged": a broken file of
    #: an accepted format; "active": a format that runs script; "name": the name is the attack; "empty", "size".
    attack: str


@functools.cache
def _deflated_zeros(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of `size` zero bytes (a multiple of 1 MiB) and its CRC-32, without deflating GiBs:
    after a full flush each MiB of zeros deflates to the same bytes, so the stream is one piece repeated."""
    chunk = bytes(MiB)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // MiB):
        crc = zlib.crc32(chunk, crc)
    return piece * (size // MiB) + packer.flush(), crc


def raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already-deflated members (name, deflate stream, CRC-32, unpacked size): what zipfile cannot write
    without unpacking them first. Honest headers: the sizes claimed are the sizes there are."""
    out = io.BytesIO()
    central = []
    for name, stream, crc, size in members:
        encoded = name.encode()
        offset = out.tell()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(stream), size, len(encoded), 0))
        out.write(encoded + stream)
        central.append(
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(stream), size, len(encoded),
                        0, 0, 0, 0, 0, offset) + encoded
        )  # fmt: skip
    start = out.tell()
    for record in central:
        out.write(record)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def _member(name: str, data: bytes) -> tuple[str, bytes, int, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return name, packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)


@functools.cache
def zip_bomb(marker: str) -> bytes:
    """A zip whose member `marker` (e.g. xl/workbook.xml, so it looks like a workbook) sits beside 1 GiB of zeros
    in about 1 MB."""
    stream, crc = _deflated_zeros(GiB)
    members = [_member("[Content_Types].xml", b"<Types/>"), _member(marker, b"<x/>")]
    return raw_zip([*members, ("xl/worksheets/sheet1.xml", stream, crc, GiB)])


@functools.cache
def nested_zip() -> bytes:
    """A few kilobytes holding 16 zips of 1 GiB of zeros each: 16 GiB two levels down."""
    stream, crc = _deflated_zeros(GiB)
    inner = raw_zip([("zeros.bin", stream, crc, GiB)])
    return raw_zip([_member(f"{i:02d}.zip", inner) for i in range(16)])


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">L", len(body)) + kind + body + struct.pack(">L", zlib.crc32(kind + body))


def png_bomb(width: int = 12_000, height: int = 12_000) -> bytes:
    """A PNG declaring width × height RGB pixels; its image data is one row of them (a decoder that trusts the
    header allocates 432 MB before it notices). 144 megapixels is below Pillow's own refusal (twice
    `Image.MAX_IMAGE_PIXELS`, 179 megapixels), so only the platform's limit stands in its way."""
    header = struct.pack(">2L5B", width, height, 8, 2, 0, 0, 0)
    row = zlib.compress(b"\x00" + bytes(width * 3), 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", row) + _png_chunk(b"IEND", b"")


def gif_bomb() -> bytes:
    """A GIF whose logical screen and only frame are 65,535 × 65,535 pixels, in 40 bytes."""
    screen = b"GIF89a" + struct.pack("<2H3B", 65535, 65535, 0, 0, 0)
    frame = b"," + struct.pack("<4HB", 0, 0, 65535, 65535, 0) + b"\x02\x02\x44\x01\x00;"
    return screen + frame


def pdf_with_javascript() -> bytes:
    """A well-formed one-page PDF that runs JavaScript when opened (an /OpenAction of type /JavaScript)."""
    good = samples.pdf(["公开材料"])
    return good.replace(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert\\(document.cookie\\)) >> >>",
    )


def pdf_with_launch() -> bytes:
    """A one-page PDF whose link annotation starts a program (a /Launch action) when it is clicked."""
    good = samples.pdf(["公开材料"])
    return good.replace(
        b"/Contents 5 0 R >>",
        b"/Contents 5 0 R /Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] "
        b"/A << /S /Launch /F (cmd.exe) /Next << /S /JavaScript /JS (app.alert\\(1\\)) >> >> >>] >>",
    )


def pdf_bomb() -> bytes:
    """A PDF whose page content is a FlateDecode stream of 1 GiB of zeros (about 1 MB)."""
    stream, _crc = _deflated_zeros(GiB)
    adler = (GiB % 65521) << 16 | 1  # Adler-32 of n zeros: the sum stays 1, the sum of sums is n (RFC 1950 §8.2)
    zlib_stream = b"\x78\xda" + stream + struct.pack(">L", adler)
    body = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(zlib_stream) + zlib_stream + b"\nendstream"
    good = samples.pdf(["x"])
    start = good.index(b"5 0 obj\n") + len(b"5 0 obj\n")
    end = good.index(b"\nendobj", start)
    return good[:start] + body + good[end:]  # the xref offsets after object 5 are now wrong: readers rebuild them


ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + struct.pack("<HHL", 2, 62, 1) + bytes(4096)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(64) + b"PE\x00\x00" + bytes(4096)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script><img src=x onerror=alert(1)></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.domain)</script><rect width='10' height='10'/></svg>"
)
MALFORMED_PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R\nstartxref\n-1\n%%EOF"  # no xref, no pages
XSS = "<script>alert(1)</script>"
#: Markers that show a name was rendered without escaping.
UNESCAPED = ("<script>alert(1)", '"onerror=', "<img src=x")


def name_attacks(ext: str) -> list[tuple[str, str]]:
    """Hostile names for a file of extension `ext`."""
    return [
        ("xss-script", f"{XSS}.{ext}"),
        ("xss-attribute", f'x"onerror=alert(1) y=".{ext}'),
        ("xss-img", f"<img src=x onerror=alert(1)>.{ext}"),
        ("traversal", f"../../etc/passwd.{ext}"),
        ("traversal-windows", f"..\\..\\windows\\win.{ext}"),
        ("absolute", f"/etc/cron.d/x.{ext}"),
        ("nul", f"report.{ext}\x00.exe"),
        ("control", f"line\r\nbreak\t\x1b[31m.{ext}"),
        ("long-ascii", f"{'a' * 5000}.{ext}"),
        ("long-cjk", f"{'党建' * 400}.{ext}"),
        ("rtl-override", f"invoice\u202e{ext[::-1]}.exe"),
        ("dots", f"....{ext}"),
    ]


def corpus(good: bytes, ext: str, *, oversize: int) -> list[Hostile]:
    """Every hostile file, names carrying the endpoint's good content and extension; `oversize` is the endpoint's
    limit in bytes (the oversize file is one byte more)."""
    items = [
        Hostile("elf-as-pdf", "report.pdf", ELF, "type"),
        Hostile("exe-as-xlsx", "members.xlsx", EXE, "type"),
        Hostile("exe-as-ext", f"file.{ext}", EXE, "type"),
        Hostile("html-as-jpg", "photo.jpg", HTML, "type"),
        Hostile("html-as-ext", f"page.{ext}", HTML, "type"),
        Hostile("elf-as-mp4", "lecture.mp4", ELF, "type"),
        Hostile("zip-bomb-xlsx", "members.xlsx", zip_bomb("xl/workbook.xml"), "bomb"),
        Hostile("zip-bomb-docx", "lecture.docx", zip_bomb("word/document.xml"), "bomb"),
        Hostile("nested-zip", f"archive.{ext}", nested_zip(), "bomb"),
        Hostile("png-bomb", "photo.png", png_bomb(), "bomb"),
        Hostile("gif-bomb", "photo.gif", gif_bomb(), "bomb"),
        Hostile("pdf-bomb", "report.pdf", pdf_bomb(), "bomb"),
        Hostile("pdf-truncated", "report.pdf", samples.pdf(["会昌"])[:300], "damaged"),
        Hostile("pdf-malformed", "report.pdf", MALFORMED_PDF, "damaged"),
        Hostile("pdf-javascript", "report.pdf", pdf_with_javascript(), "active"),
        Hostile("pdf-launch", "report.pdf", pdf_with_launch(), "active"),
        Hostile("svg-script", "logo.svg", SVG, "active"),
        Hostile("svg-as-png", "logo.png", SVG, "active"),
        Hostile("empty", f"empty.{ext}", b"", "empty"),
        Hostile("oversize", f"big.{ext}", good + b" " * (oversize + 1 - len(good)), "size"),
    ]  # fmt: skip
    items += [Hostile(key, name, good, "name") for key, name in name_attacks(ext)]
    return items


CORPUS_KEYS = [h.key for h in corpus(b"x", "txt", oversize=1)]

"""Small real files made in code for the demo and the tests: PDF, DOCX, EPUB, WAV and MP4/WebM headers.

Nothing is downloaded: each maker writes a valid file of its format from the given text or length.
"""

from __future__ import annotations

import io
import math
import struct
import wave
import zipfile
from xml.sax.saxutils import escape


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF in the standard Chinese font STSong-Light (Adobe-GB1, UniGB-UCS2-H), so no font is embedded."""
    content = ["BT", "/F1 14 Tf", "50 780 Td", "22 TL"]
    for line in lines:
        content.append("<" + line.encode("utf-16-be").hex().upper() + "> Tj T*")
    content.append("ET")
    stream = "\n".join(content).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 7 0 R >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [0 -200 1000 900] /ItalicAngle 0 "
        b"/Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def docx(title: str, paragraphs: list[str]) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.add_heading(title, level=1)
    for p in paragraphs:
        document.add_paragraph(p)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def epub(title: str, chapters: list[tuple[str, str]]) -> bytes:
    """A minimal EPUB 3 (OCF container, OPF package, one XHTML document per chapter)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
        )
        items = "".join(
            f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>' for i in range(len(chapters))
        )
        spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(chapters)))
        z.writestr(
            "OEBPS/content.opf",
            '<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
            'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<dc:identifier id="id">dangjian-{abs(hash(title))}</dc:identifier><dc:title>{escape(title)}</dc:title>'
            f"<dc:language>zh-CN</dc:language></metadata><manifest>{items}</manifest><spine>{spine}</spine></package>",
        )
        for i, (heading, body) in enumerate(chapters):
            z.writestr(
                f"OEBPS/c{i}.xhtml",
                '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head>'
                f"<title>{escape(heading)}</title></head><body><h1>{escape(heading)}</h1><p>{escape(body)}</p>"
                "</body></html>",
            )
    return buffer.getvalue()


def wav(seconds: float, rate: int = 4000, tone: float = 220.0) -> bytes:
    """A mono 8-bit PCM tone; 4 kHz keeps a demo lecture of ten minutes near 2.4 MB."""
    period = [int(128 + 60 * math.sin(2 * math.pi * tone * i / rate)) for i in range(rate)]
    second = bytes(period)
    whole, part = divmod(int(seconds * rate), rate)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(second * whole + second[:part])
    return buffer.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(seconds: int, padding: int = 0) -> bytes:
    """An ISO-BMFF (MP4) file whose movie header (mvhd) gives the length; the media data is zeros."""
    mvhd = _box(b"mvhd", b"\x00" * 4 + struct.pack(">IIII", 0, 0, 1000, seconds * 1000) + b"\x00" * 80)
    return _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41") + _box(b"moov", mvhd) + _box(b"mdat", b"\x00" * padding)


def webm(seconds: float) -> bytes:
    """A WebM (Matroska) head with EBML header and Segment Info carrying the Duration in milliseconds."""
    ebml = b"\x1a\x45\xdf\xa3\x84\x42\x82\x84webm"
    info_body = b"\x2a\xd7\xb1\x83\x0f\x42\x40" + b"\x44\x89\x88" + struct.pack(">d", seconds * 1000)
    info = b"\x15\x49\xa9\x66" + bytes([0x80 | len(info_body)]) + info_body
    segment = b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff" + info
    return ebml + segment

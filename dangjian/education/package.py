"""A station's offline package (for stations without bandwidth, as Kolibri's content packages): the programme's
files in a zip with manifest.json carrying each file's SHA-256, the printable programme and a report form to fill.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from typing import IO

from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.education import files
from dangjian.education.actions import REPORT_FORMAT
from dangjian.education.models import Programme

MANIFEST_FORMAT = "dangjian-education-package/1"


def programme_text(prog: Programme) -> str:
    """The 节目预报 as plain text: to print, post on the notice board or send on."""
    lines = [
        _("Sunday class programme"),
        f"{prog.station.name} · {prog.sunday.isoformat()}",
        "",
    ]
    total = 0
    for item in prog.items.select_related("resource").order_by("order"):
        total += item.minutes
        lines.append(f"{item.order}. {item.resource.title} ({item.minutes} {_('min')}) · {item.get_reason_display()}")
    lines += ["", _("Total: %(m)s minutes") % {"m": total}]
    return "\n".join(lines) + "\n"


def report_template(prog: Programme) -> dict:
    return {
        "format": REPORT_FORMAT,
        "station": prog.station.unit.code,
        "programme": prog.pk,
        "held_on": prog.sunday.isoformat(),
        "minutes": sum(i.minutes for i in prog.items.all()),
        "attendance": 0,
        "members_checked_in": [],
        "played": [
            {"resource": i.resource_id, "title": i.resource.title, "minutes": i.minutes, "played": True}
            for i in prog.items.select_related("resource").order_by("order")
        ],
        "discussion": "",
    }


def build(prog: Programme) -> IO[bytes]:
    """The package as a temporary file (large media never held in memory), positioned at its start."""
    out = tempfile.TemporaryFile()  # noqa: SIM115  (returned open to be streamed, closed by the response)
    manifest_items = []
    with zipfile.ZipFile(out, "w", allowZip64=True) as z:
        for item in prog.items.select_related("resource").order_by("order"):
            r = item.resource
            entry = {"order": item.order, "resource": r.pk, "title": r.title, "kind": r.kind, "minutes": item.minutes}
            if r.file:
                name = f"media/{item.order:02d}-{r.pk}.{files.EXTENSIONS.get(r.content_type, 'bin')}"
                digest = hashlib.sha256()
                size = 0
                info = zipfile.ZipInfo(name, date_time=timezone.localtime().timetuple()[:6])
                # Media are compressed already; documents gain from deflate.
                info.compress_type = zipfile.ZIP_STORED if r.is_media else zipfile.ZIP_DEFLATED
                with r.file.open("rb") as src, z.open(info, "w", force_zip64=True) as dst:
                    while chunk := src.read(files.CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        dst.write(chunk)
                entry.update(file=name, sha256=digest.hexdigest(), size=size, content_type=r.content_type)
            manifest_items.append(entry)
        z.writestr("programme.txt", programme_text(prog))
        z.writestr("report.json", json.dumps(report_template(prog), ensure_ascii=False, indent=2))
        manifest = {
            "format": MANIFEST_FORMAT,
            "station": {"code": prog.station.unit.code, "name": prog.station.name},
            "sunday": prog.sunday.isoformat(),
            "programme": prog.pk,
            "created_at": timezone.now().isoformat(),
            "items": manifest_items,
        }
        z.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    out.seek(0)
    return out


def verify(stream: IO[bytes]) -> list[str]:
    """Names of the package's files whose content does not match the manifest (empty: the package is whole)."""
    bad = []
    with zipfile.ZipFile(stream) as z:
        manifest = json.loads(z.read("manifest.json"))
        for entry in manifest["items"]:
            if "file" not in entry:
                continue
            digest = hashlib.sha256()
            try:
                with z.open(entry["file"]) as f:
                    shutil.copyfileobj(f, _Hasher(digest))
            except (KeyError, zipfile.BadZipFile):  # missing from the zip, or its CRC-32 does not match
                bad.append(entry["file"])
                continue
            if digest.hexdigest() != entry["sha256"]:
                bad.append(entry["file"])
    return bad


class _Hasher:
    def __init__(self, digest) -> None:
        self.digest = digest

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return len(data)

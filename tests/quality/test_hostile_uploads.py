"""The shared corpus of hostile files (tests/quality/hostile.py) against every upload of the platform, as the user
who may upload there.

The uploads: a citizen's letter attachments, the registry's spreadsheet import, the education library, a bank's
question import, a station's offline report file, the encrypted mail's attachments and the public site's documents
in Wagtail (the editors' and reviewers' groups may add documents; no staff role may add Wagtail images, so that
form is the superuser's alone and not a staff upload). The API takes no files.

Every file gets a clear refusal (nothing of it stored: rows and files in the media folder counted before and
after) or a safe acceptance: exactly one object more, a stored name with no directory, control or bidirectional
character, and the page that shows it escaping it. Files made to exhaust memory are refused (or, where the
content is never read, accepted) with a peak of traced memory far below what they unpack to, and never a 500.
"""

from __future__ import annotations

import io
import json
import os
import resource
import tracemalloc
import unicodedata
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.core.models import RoleKind
from dangjian.education import samples
from tests.core.otp import login_verified
from tests.quality import hostile
from tests.services import workbooks

pytestmark = pytest.mark.django_db
#: Traced Python memory a bomb may cost: the request and the form around a 1 MB file, never what it unpacks to.
BOMB_PEAK = 48 * hostile.MiB
#: Resident memory a bomb may add (C libraries such as lxml and zlib allocate outside tracemalloc's view).
BOMB_RSS = 256 * hostile.MiB


def _media_files(root) -> int:
    return sum(len(files) for _dir, _dirs, files in os.walk(root))


def _name_is_clean(name: str) -> bool:
    return (
        bool(name)
        and "/" not in name
        and "\\" not in name
        and name not in (".", "..")
        and not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name)
        and len(name) <= 255
    )


def _still_named(item: hostile.Hostile, ext: str) -> bool:
    """Whether the name, once Django's upload parser drops its directories and control characters, still ends in
    the extension (a name with a line break cannot travel in a multipart header at all)."""
    return item.name.endswith(f".{ext}") and item.key != "control"


def _rendered_escaped(html: str) -> bool:
    return not any(marker in html for marker in hostile.UNESCAPED)


def _text(response) -> str:
    body = b"".join(response) if response.streaming else response.content
    return body.decode("utf-8", "replace")


@dataclass
class Endpoint:
    """One upload: who posts, what a good file is, how to count what it stores and read back what it named."""

    key: str
    ext: str
    good: bytes
    limit: int
    #: Attacks the endpoint must refuse (a kind of `hostile.Hostile.attack`, or an item's key).
    refuses: frozenset[str]
    #: Whether the good content under a hostile name that still ends in the extension must be accepted (where the
    #: name is stored and shown); a refusal there is a file the platform cannot take because of its name.
    takes_hostile_names: bool = True
    world: dict = field(default_factory=dict)

    def login(self, client, make_user, tree) -> None:
        raise NotImplementedError

    def post(self, client, item: hostile.Hostile):
        raise NotImplementedError

    def count(self) -> tuple:
        raise NotImplementedError

    def stored_names(self) -> list[str]:
        """The names stored for the newest object, as the platform keeps them."""
        return []

    def page(self, client) -> str:
        """The HTML of the page that shows the newest object."""
        return ""

    def after(self, client, item: hostile.Hostile, response) -> list[str]:
        """Problems of a safe acceptance beyond the name (how the file is served, say)."""
        return []

    def refusal(self, item: hostile.Hostile, response) -> list[str]:
        """Problems of a refusal beyond the counts (a reason that hides an unexpected error, say)."""
        return []


def _upload(item: hostile.Hostile) -> SimpleUploadedFile:
    return SimpleUploadedFile(item.name, item.data)


class Letter(Endpoint):
    def login(self, client, make_user, tree):
        from dangjian.supervision.models import Channel

        Channel.objects.create(code="voice", name="民声通道", unit=tree["county"])
        self.world["office"] = make_user("office", (RoleKind.SUPERVISION_OFFICE, tree["county"]))

    def post(self, client, item):
        from tests.supervision.conftest import solved

        cache.clear()  # the per-address rate limit of letters
        client.logout()
        # A letter the same as an earlier one is refused as sent twice: each has its own text.
        data = {"title": f"水渠堵塞 {item.key}", "body": f"下塘村的水渠堵塞了（{item.key}）。", "category": "other",
                "anonymous": "on", "attachments": _upload(item)}  # fmt: skip
        return client.post(reverse("supervision:write", args=["voice"]), {**data, **solved()})

    def count(self):
        from dangjian.supervision.models import Attachment, Letter

        return Letter.objects.count(), Attachment.objects.count()

    def _newest(self):
        from dangjian.supervision.models import Attachment

        return Attachment.objects.order_by("-pk").first()

    def stored_names(self):
        return [self._newest().name]

    def page(self, client):
        login_verified(client, self.world["office"])
        return _text(client.get(reverse("supervision_work:letter", args=[self._newest().letter_id])))

    def after(self, client, item, response):
        found = self._newest()
        download = client.get(reverse("supervision_work:attachment", args=[found.letter_id, found.pk]))
        problems = []
        if not download["Content-Disposition"].startswith("attachment"):
            problems.append("the letter's file is not served as a download")
        if download.get("X-Content-Type-Options") != "nosniff":
            problems.append("the letter's file is served without nosniff")
        if item.attack == "type" and found.content_type != "text/plain":  # the only type these contents can pass as
            problems.append(f"stored as {found.content_type}, which its content is not")
        return problems


class RegistryImport(Endpoint):
    """The upload is kept as a job and checked by a task, run here at once: the answer is the job's page. A file
    the check refuses leaves its job failed with the reason (the job is the record of the attempt) and no person;
    a good file leaves a checked job, waiting to be applied."""

    def login(self, client, make_user, tree):
        from dangjian.core import actions
        from dangjian.core.models import UnitKind

        actions.create_unit(actor=None, code="B1", name="上坑村党支部", kind=UnitKind.BRANCH, parent=tree["v1"])
        login_verified(client, make_user("org", (RoleKind.ORG_ADMIN, tree["county"])))

    def _newest(self):
        from dangjian.services.registry.models import ImportJob

        return ImportJob.objects.order_by("-pk").first()

    def post(self, client, item):
        from dangjian.services.registry import tasks

        before = self._newest()
        response = client.post(reverse("registry:import_start"), {"kind": "people", "file": _upload(item)})
        job = self._newest()
        if response.status_code != 302 or job == before:
            return response
        tasks.check_import.call(job.pk)
        return client.get(reverse("registry:import_job", args=[job.pk]))

    def count(self):
        from dangjian.services.registry.models import ImportJob, ImportState, Person

        return ImportJob.objects.exclude(state=ImportState.FAILED).count(), Person.objects.count()

    def stored_names(self):
        return [self._newest().filename]

    def page(self, client):
        return _text(client.get(reverse("registry:import_job", args=[self._newest().pk])))

    def refusal(self, item, response):
        from dangjian.services.registry.models import ImportState

        job = self._newest()
        if job is not None and job.state == ImportState.FAILED and "could not be processed" in job.error:
            return [f"the check failed without a reason of its own (an unexpected error): {job.error}"]
        return []


class Library(Endpoint):
    def login(self, client, make_user, tree):
        from dangjian.education.models import Category

        self.world["unit"] = tree["county"]
        self.world["category"] = Category.objects.get(slug="lectures-party")
        login_verified(client, make_user("editor", (RoleKind.EDITOR, tree["county"])))

    def post(self, client, item):
        data = {"title": "党课", "kind": "document", "category": self.world["category"].pk, "access": "public",
                "classification": "public", "unit": self.world["unit"].pk, "file": _upload(item)}  # fmt: skip
        return client.post(reverse("education_work:library_add"), data)

    def count(self):
        from dangjian.education.models import Resource

        return (Resource.objects.count(),)

    def page(self, client):
        from dangjian.education.models import Resource

        return _text(client.get(reverse("education:detail", args=[Resource.objects.order_by("-pk").first().pk])))


class BankImport(Endpoint):
    def login(self, client, make_user, tree):
        from dangjian.education.models import QuestionBank

        self.world["bank"] = QuestionBank.objects.create(name="党章题库", unit=tree["county"])
        login_verified(client, make_user("editor", (RoleKind.EDITOR, tree["county"])))

    def post(self, client, item):
        return client.post(reverse("education_work:bank_import", args=[self.world["bank"].pk]), {"file": _upload(item)})

    def count(self):
        from dangjian.education.models import Question

        return (Question.objects.count(),)

    def page(self, client):
        return _text(client.get(reverse("education_work:banks")))


class ReportFile(Endpoint):
    def login(self, client, make_user, tree):
        from dangjian.education.models import Station

        self.world["station"], _ = Station.objects.get_or_create(unit=tree["s1"])
        login_verified(client, make_user("manager", (RoleKind.STATION_MANAGER, tree["s1"])))

    def post(self, client, item):
        url = reverse("education_work:report", args=[self.world["station"].pk])
        return client.post(url, {"op": "file", "file": _upload(item)})

    def count(self):
        from dangjian.education.models import ClassReport

        return (ClassReport.objects.count(),)


class SecureMail(Endpoint):
    """Attachments are encrypted as they are, whatever they hold (the network carries documents, it does not read
    them); the names travel inside the encrypted header and show on the reading page."""

    def login(self, client, make_user, tree):
        from dangjian.services.securemail import actions

        for key, unit in (("t1", tree["t1"]), ("d1", tree["d1"])):
            user = make_user(f"officer_{key}", (RoleKind.UNIT_HEAD, unit))
            actions.enrol_officer(actor=user, passphrase="correct-mail-passphrase")
            actions.create_unit_key(actor=user, unit=unit)
            self.world[key] = user
        self.world["units"] = (tree["t1"], tree["d1"])
        login_verified(client, self.world["t1"])
        response = client.post(reverse("securemail:unlock"), {"passphrase": "correct-mail-passphrase", "next": "/"})
        assert response.status_code == 302

    def post(self, client, item):
        sender, recipient = self.world["units"]
        data = {"sender_unit": sender.pk, "recipients": [recipient.pk], "category": "report", "subject": "报告",
                "body": "见附件。", "attachments": _upload(item), "forwardable": "on"}  # fmt: skip
        return client.post(reverse("securemail:compose"), data)

    def count(self):
        from dangjian.services.securemail.models import Attachment, Message

        return Message.objects.count(), Attachment.objects.count()

    def _newest(self):
        from dangjian.services.securemail.models import Message

        return Message.objects.order_by("-sent_at").first()

    def page(self, client):
        return _text(client.get(reverse("securemail:read", args=[self._newest().pk])))

    def stored_names(self):
        from dangjian.services.securemail import actions
        from dangjian.services.securemail.keys import unlock

        opened = actions.open_message(
            actor=self.world["t1"], unlocked=unlock(user=self.world["t1"], passphrase="correct-mail-passphrase"),
            message=self._newest(),
        )  # fmt: skip
        return list(opened.attachment_names)

    def after(self, client, item, response):
        download = client.get(reverse("securemail:attachment", args=[self._newest().pk, 0]))
        if not download["Content-Disposition"].startswith("attachment"):
            return ["the mail's attachment is not served as a download"]
        back = b"".join(download)
        if back != item.data:
            return [f"the mail's attachment comes back as {len(back)} bytes, not the {len(item.data)} sent"]
        return []


class WagtailDocument(Endpoint):
    """Documents of the public site, added in Wagtail's admin by an editor. Wagtail keeps any file type as a
    document to download: a safe acceptance is one served as an attachment (or inline only as a PDF) under a
    content security policy that runs nothing."""

    def login(self, client, make_user, tree):
        from wagtail.models import Page

        from dangjian.publicity import actions

        editor = make_user("cms-editor", (RoleKind.EDITOR, tree["county"]))
        actions.sync_editorial_groups(actor=None, root=Page.get_first_root_node())
        login_verified(client, editor)

    def post(self, client, item):
        from wagtail.models import Collection

        data = {"title": "公开材料", "file": _upload(item), "collection": Collection.get_first_root_node().pk,
                "classification": "public", "unit": ""}  # fmt: skip
        return client.post(reverse("wagtaildocs:add"), data)

    def count(self):
        from dangjian.publicity.models import PublicityDocument

        return (PublicityDocument.objects.count(),)

    def _newest(self):
        from dangjian.publicity.models import PublicityDocument

        return PublicityDocument.objects.order_by("-pk").first()

    def stored_names(self):
        return [self._newest().filename]

    def page(self, client):
        return _text(client.get(reverse("wagtaildocs:index"))) + _text(
            client.get(reverse("wagtaildocs:edit", args=[self._newest().pk]))
        )

    def after(self, client, item, response):
        served = client.get(self._newest().url)
        problems = []
        disposition = served.get("Content-Disposition", "")
        if not disposition.startswith("attachment") and served.get("Content-Type") != "application/pdf":
            problems.append(f"served inline as {served.get('Content-Type')}")
        if "default-src 'none'" not in served.get("Content-Security-Policy", ""):
            problems.append("served without a content security policy that runs nothing")
        return problems


CONTENT = frozenset({"type", "bomb", "empty", "size"})
PERSON_CSV = "\n".join(",".join(row) for row in (workbooks.HEADER, workbooks.person_row(1, "B1"))).encode()
REPORT = json.dumps({"format": "dangjian-report/1"}).encode()
ENDPOINTS = [
    # Text is a letter's file type too (HTML or SVG is kept as text/plain, served as a download with nosniff); a
    # PDF is kept as it came once it is known to run nothing (a PDF bomb's pages are never unpacked to know it).
    Letter("letter", "pdf", samples.pdf(["水渠照片"]), 10 * hostile.MiB,
           CONTENT - {"type", "bomb"} | {"damaged", "pdf-javascript", "pdf-launch"}
           | {"elf-as-pdf", "exe-as-xlsx", "exe-as-ext", "elf-as-mp4", "zip-bomb-xlsx", "zip-bomb-docx", "nested-zip",
              "png-bomb", "gif-bomb"}),
    RegistryImport("registry-import", "csv", PERSON_CSV, 50 * hostile.MiB,
                   CONTENT),
    Library("library", "pdf", samples.pdf(["党课"]), 2 * hostile.MiB, CONTENT | {"damaged", "active"}),
    # The bank keeps a file's name only in the audit record, and the same questions again add nothing.
    BankImport("bank-import", "csv", "题型,题干,选项A,选项B,答案\n判断,党章是根本大法,对,错,对\n".encode(),
               5 * hostile.MiB, CONTENT | {"damaged", "active"}, takes_hostile_names=False),
    # A report file's name is never kept; its content is one station's report, which no file here is.
    ReportFile("report-file", "json", REPORT, 1 * hostile.MiB, CONTENT | {"damaged", "active", "name"},
               takes_hostile_names=False),
    SecureMail("securemail", "pdf", samples.pdf(["报告"]), 2 * hostile.MiB, frozenset({"empty", "size"})),
    # Wagtail keeps any file as a document to download; it refuses a zip bomb and a PDF that runs something.
    WagtailDocument("wagtail-document", "pdf", samples.pdf(["公开材料"]), 2 * hostile.MiB,
                    frozenset({"empty", "zip-bomb-xlsx", "zip-bomb-docx", "nested-zip", "pdf-javascript",
                               "pdf-launch"})),
]  # fmt: skip


def _measured(post):
    """The response, the peak of traced memory and the growth of resident memory while it was made."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    try:
        response = post()
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.key for e in ENDPOINTS])
def test_every_hostile_file_is_refused_or_safely_accepted(endpoint, client, tree, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DANGJIAN_EDUCATION_MAX_BYTES = {"document": endpoint.limit}
    settings.SECUREMAIL_MAX_ATTACHMENT_BYTES = endpoint.limit
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    endpoint.world.clear()
    endpoint.login(client, make_user, tree)
    problems: list[str] = []
    accepted_any = False
    for item in hostile.corpus(endpoint.good, endpoint.ext, oversize=endpoint.limit):
        before = (*endpoint.count(), _media_files(settings.MEDIA_ROOT))
        if item.attack == "bomb":
            response, peak, rss = _measured(lambda item=item: endpoint.post(client, item))
            if peak > BOMB_PEAK or rss > BOMB_RSS:
                problems.append(f"{item.key}: {peak / 2**20:.0f} MB traced, {rss / 2**20:.0f} MB resident")
        else:
            response = endpoint.post(client, item)
        after = (*endpoint.count(), _media_files(settings.MEDIA_ROOT))
        label = f"{item.key} ({item.name[:40]!r})"
        if response.status_code >= 500:
            problems.append(f"{label}: {response.status_code}")
            continue
        if before == after:
            if endpoint.takes_hostile_names and item.attack == "name" and _still_named(item, endpoint.ext):
                problems.append(f"{label}: the good file under this name is refused")
            if not _rendered_escaped(_text(response)):
                problems.append(f"{label}: the refusal shows the name unescaped")
            problems += [f"{label}: {p}" for p in endpoint.refusal(item, response)]
            continue
        if item.attack in endpoint.refuses or item.key in endpoint.refuses:
            problems.append(f"{label}: accepted, must be refused ({before} -> {after})")
            continue
        if after[0] != before[0] + 1:
            problems.append(f"{label}: stored {before} -> {after}, not one object")
        accepted_any = True
        names = endpoint.stored_names()
        problems += [f"{label}: stored as {n!r}" for n in names if not _name_is_clean(n)]
        if not _rendered_escaped(endpoint.page(client)):
            problems.append(f"{label}: its page shows the name unescaped")
        problems += [f"{label}: {p}" for p in endpoint.after(client, item, response)]
    assert not problems, "\n".join(problems)
    assert accepted_any or endpoint.key == "report-file", "no file was accepted: the good content is not good"


def test_the_corpus_is_small_and_its_bombs_unpack_to_gigabytes():
    """The files are a few kilobytes to a megabyte; what they claim is what makes them hostile."""
    import zipfile

    from PIL import Image

    bomb = zipfile.ZipFile(io.BytesIO(hostile.zip_bomb("xl/workbook.xml")))
    assert sum(m.file_size for m in bomb.infolist()) >= hostile.GiB
    assert len(hostile.zip_bomb("xl/workbook.xml")) < 2 * hostile.MiB
    nested = hostile.nested_zip()
    inner = zipfile.ZipFile(io.BytesIO(zipfile.ZipFile(io.BytesIO(nested)).read("00.zip")))
    assert len(nested) < 64 * 1024 and inner.infolist()[0].file_size == hostile.GiB
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(hostile.gif_bomb()))
    with pytest.warns(Image.DecompressionBombWarning), Image.open(io.BytesIO(hostile.png_bomb())) as probe:
        assert probe.size == (12_000, 12_000)  # under Pillow's hard limit, over the letters' 40 megapixels

"""Uploading to the library: type from content, size limits, damaged files, the publicity rule, text and duration."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.education import actions, samples
from dangjian.education.models import Classification, EditionPage, Kind, Resource


def test_pdf_text_is_extracted_and_the_upload_is_audited(add):
    r = add("会昌风景独好", samples.pdf(["会昌风景独好", "东方欲晓，莫道君行早。"]))
    assert "莫道君行早" in r.text
    assert r.content_type == "application/pdf" and r.size > 0 and len(r.sha256) == 64
    assert AuditRecord.objects.filter(verb="education.resource.add", object_id=str(r.pk)).exists()


def test_docx_and_epub_text_is_extracted(add):
    d = add("党章学习", samples.docx("党章学习", ["坚持民主集中制。"]))
    e = add("共产党宣言", samples.epub("共产党宣言", [("第一章", "一个幽灵在欧洲游荡。")]))
    assert "民主集中制" in d.text
    assert "幽灵" in e.text


@pytest.fixture
def english():
    """The messages are matched in English; the site's default language is zh-Hans."""
    with translation.override("en"):
        yield


def test_type_is_sniffed_from_content_not_the_name(add, english):
    with pytest.raises(ValidationError, match="content is a"):
        add("伪装的视频", samples.pdf(["不是视频"]), kind=Kind.VIDEO)
    with pytest.raises(ValidationError, match="not accepted"):
        add("可执行文件", b"MZ\x90\x00" + b"\x00" * 100)


def test_damaged_files_are_refused_and_nothing_is_stored(add, settings, english):
    with pytest.raises(ValidationError, match="damaged"):
        add("坏的PDF", b"%PDF-1.4\n garbage garbage")
    with pytest.raises(ValidationError, match="damaged"):
        add("坏的Word", b"PK\x03\x04" + b"\x00" * 50)
    with pytest.raises(ValidationError, match="damaged"):
        add("坏的音频", b"RIFF\x10\x00\x00\x00WAVEjunk", kind=Kind.AUDIO)
    assert not Resource.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_size_limit(add, settings, english):
    settings.DANGJIAN_EDUCATION_MAX_BYTES = {Kind.DOCUMENT: 1000}
    with pytest.raises(ValidationError, match="at most") as refused:
        add("太大", samples.pdf(["字" * 10] * 40) + b" " * 1000)
    # The sizes are readable even for a small limit (never "0 MB").
    assert "at most 1000\xa0bytes" in refused.value.messages[0] and "0 MB" not in refused.value.messages[0]


def test_media_duration_is_read_from_the_file(add):
    audio = add("脐橙栽培讲座", samples.wav(3.0), kind=Kind.AUDIO)
    video = add("党课视频", samples.mp4(1830), kind=Kind.VIDEO)
    webm = add("专家讲座", samples.webm(95.4), kind=Kind.VIDEO)
    assert (audio.duration, video.duration, webm.duration) == (3, 1830, 95)
    assert audio.content_type == "audio/wav" and webm.content_type == "video/webm"


def test_classified_material_is_refused_with_the_publicity_rule(add):
    with pytest.raises(ValidationError, match="涉密"):
        add("内部文件", classification=actions.CLASSIFIED)
    with pytest.raises(ValidationError, match="涉密"):
        add("会议纪要", samples.pdf(["秘密★1年", "会议纪要"]))
    assert not Resource.objects.exists()


def test_classification_cannot_be_stored_even_bypassing_the_action(add):
    r = add()
    r.classification = "classified"
    with pytest.raises(Exception):  # noqa: B017  (the database's check constraint, any backend's IntegrityError)
        r.save()


def test_only_library_staff_may_upload(tree, make_user, category):
    member = make_user("m", (RoleKind.MEMBER, tree["v1"]))
    with pytest.raises(PermissionDenied):
        actions.add_resource(
            actor=member,
            title="x",
            kind=Kind.DOCUMENT,
            category=category,
            unit=tree["county"],
            stream=io.BytesIO(samples.pdf(["x"])),
        )


def test_link_and_edition_with_pages(add):
    link = add("共产党员网", kind=Kind.LINK, url="https://www.12371.cn/")
    assert link.url
    with pytest.raises(ValidationError):
        add("没有地址", kind=Kind.LINK, url="javascript:alert(1)")
    from datetime import date

    issue = add("赣南日报 2026-11-27", kind=Kind.EDITION, issue_date=date(2026, 11, 27))
    actions.add_edition_page(
        actor=issue.uploaded_by, resource=issue, number=1, stream=io.BytesIO(samples.pdf(["赣南日报", "脐橙丰收"]))
    )
    issue.refresh_from_db()
    assert EditionPage.objects.filter(resource=issue).count() == 1
    assert "脐橙丰收" in issue.text
    assert issue.classification == Classification.PUBLIC


# --- the editors' upload page (/work/education/library/add/) ----------------------------------------------------


def _upload(client, category, tree, data: bytes, name: str, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = {"title": "党史专题讲座", "kind": "document", "category": category.pk, "access": "public",
            "classification": "public", "unit": tree["county"].pk, "summary": "", **fields}  # fmt: skip
    if data is not None:
        form["file"] = SimpleUploadedFile(name, data)
    return client.post("/work/education/library/add/", form)


def test_an_editor_uploads_a_document_on_the_workbench_and_finds_it_by_search(editor, tree, category, client):
    from tests.core.otp import login_verified

    login_verified(client, editor)
    assert client.get("/work/education/library/add/").status_code == 200
    response = _upload(client, category, tree, samples.pdf(["党史专题讲座", "红井水的故事。"]), "讲稿.bin")
    resource = Resource.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/education/r/{resource.pk}/"
    assert resource.content_type == "application/pdf" and "红井水" in resource.text
    assert resource.uploaded_by == editor
    assert resource.pk in {r.pk for r in actions_search("红井水")}


def actions_search(q):
    from dangjian.education import queries

    return list(queries.search(None, q))


def test_a_large_video_upload_streams_through_a_temporary_file(editor, tree, category, client, settings):
    from tests.core.otp import login_verified

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # beyond this Django writes the upload to a temporary file
    login_verified(client, editor)
    video = samples.mp4(45 * 60, padding=8 * 1024 * 1024)
    response = _upload(client, category, tree, video, "lecture.mp4", kind="video", title="乡村振兴专题讲座")
    assert response.status_code == 302
    resource = Resource.objects.get()
    assert (resource.size, resource.duration) == (len(video), 45 * 60)


@pytest.mark.parametrize(
    "fields, data, reason",
    [
        ({"classification": "classified"}, samples.pdf(["x"]), "涉密"),
        ({"kind": "video"}, samples.pdf(["不是视频"]), ""),
        ({}, b"%PDF-1.4 damaged", ""),
        ({"kind": "link", "url": ""}, None, ""),
    ],
)
def test_a_refused_upload_says_why_and_stores_nothing(editor, tree, category, client, fields, data, reason):
    from tests.core.otp import login_verified

    login_verified(client, editor)
    response = _upload(client, category, tree, data, "a.pdf", **fields)
    assert response.status_code == 400
    shown = [str(m) for m in response.context["messages"]] + [e for es in response.context["form"].errors.values()
                                                               for e in es]  # fmt: skip
    assert shown and all(shown) and reason in " ".join(shown)
    assert not Resource.objects.exists()


def test_only_editors_and_the_organisation_department_see_the_upload_page(tree, make_user, client):
    from tests.core.otp import login_verified

    manager = make_user("manager", (RoleKind.STATION_MANAGER, tree["s1"]))
    login_verified(client, manager)
    assert client.get("/work/education/library/add/").status_code == 403

"""Documents at /documents/ follow the classification rule: public for everyone, internal only within its unit,
classified never stored; a public page cannot carry an internal document."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from dangjian.core.models import RoleKind
from dangjian.education import samples
from dangjian.publicity.models import Classification, PageAttachment, PublicityDocument


def document(title: str, text_lines: list[str] | None = None, **fields) -> PublicityDocument:
    pdf = samples.pdf(text_lines or [title])
    doc = PublicityDocument(title=title, file=ContentFile(pdf, name="doc.pdf"), **fields)
    doc.full_clean()
    doc.save()
    return doc


@pytest.fixture
def internal(site):
    return document("文武坝镇内部材料", classification=Classification.INTERNAL, unit=site["tree"]["t1"])


def test_a_public_document_is_served_to_everyone(site, client):
    public = document("公开材料")
    response = client.get(public.url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")


def test_an_internal_document_is_served_only_to_users_of_its_unit(internal, site, client, make_user):
    tree = site["tree"]
    assert client.get(internal.url).status_code == 404
    client.force_login(make_user("other", (RoleKind.MEMBER, tree["t2"])))
    assert client.get(internal.url).status_code == 404
    client.force_login(make_user("own", (RoleKind.MEMBER, tree["v1"])))  # a village below the unit
    assert client.get(internal.url).status_code == 200


def test_a_classified_document_is_refused_with_a_reason_and_beneath_the_orm(site):
    with pytest.raises(ValidationError) as refused:
        document("涉密文件", classification=Classification.CLASSIFIED)
    assert "classification" in refused.value.message_dict
    with pytest.raises(ValidationError) as unscoped:
        document("无单位的内部文件", classification=Classification.INTERNAL)
    assert "unit" in unscoped.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        PublicityDocument.objects.create(title="涉密", file="x.pdf", classification=Classification.CLASSIFIED)
    assert not PublicityDocument.objects.exists()


def test_a_public_page_cannot_carry_an_internal_document(article, internal):
    with pytest.raises(ValidationError) as refused:
        PageAttachment(page=article, document=internal).clean()
    assert "document" in refused.value.message_dict


@pytest.mark.parametrize("mark", ["秘密★", "机密★一年", "绝密 ★"])
def test_a_document_whose_text_bears_a_classification_mark_is_refused_and_not_stored(site, mark):
    from django.core.files.storage import default_storage

    before = set(default_storage.listdir("documents")[1]) if default_storage.exists("documents") else set()
    with pytest.raises(ValidationError) as refused:
        document("会议纪要", text_lines=[f"{mark}", "会昌县委组织部会议纪要"])
    assert "file" in refused.value.message_dict and "密级" in " ".join(refused.value.message_dict["file"])
    unvalidated = PublicityDocument(title="纪要", file=ContentFile(samples.pdf([mark, "正文"]), name="m.pdf"))
    with pytest.raises(ValidationError):
        unvalidated.save()  # saved without the form's validation: refused all the same
    assert not PublicityDocument.objects.exists()
    after = set(default_storage.listdir("documents")[1]) if default_storage.exists("documents") else set()
    assert after == before  # no file was written either


def test_a_document_that_only_mentions_secrecy_is_stored_with_its_text(site):
    doc = document("保密工作须知", text_lines=["保密工作须知：涉密文件不得上网", "公开信息不涉密"])
    assert "保密工作须知" in doc.text and PublicityDocument.objects.filter(pk=doc.pk).exists()


def test_an_internal_attachment_is_marked_internal_on_its_page(site, client, make_user, internal):
    from dangjian.publicity.models import ColumnPage
    from tests.publicity.conftest import add_page

    tree = site["tree"]
    column = add_page(
        site["home"], ColumnPage, title="内部", slug="nb", classification=Classification.INTERNAL, unit=tree["t1"]
    )
    page = add_page(column, title="内部通知", classification=Classification.INTERNAL, unit=tree["t1"], publish=False)
    PageAttachment.objects.create(page=page, document=internal)
    page.save_revision().publish()
    client.force_login(make_user("own", (RoleKind.MEMBER, tree["t1"])))
    html = client.get(page.url).content.decode()
    assert "文武坝镇内部材料" in html and '<strong class="internal">' in html

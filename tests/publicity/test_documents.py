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


def document(title: str, **fields) -> PublicityDocument:
    doc = PublicityDocument(title=title, file=ContentFile(samples.pdf([title]), name="doc.pdf"), **fields)
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

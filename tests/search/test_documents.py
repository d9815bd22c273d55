"""The text of documents attached to public pages (PDF, DOCX) is found by the one search box, within what the
visitor may see."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile

from dangjian.core.models import RoleKind
from dangjian.education import samples
from dangjian.publicity.models import Classification, PageAttachment, PublicityDocument
from dangjian.search.queries import search
from tests.search.conftest import add_page

ANON = AnonymousUser()
DOCUMENTS = "publicity.document"


def document(title: str, data: bytes, name: str, **fields) -> PublicityDocument:
    doc = PublicityDocument(title=title, file=ContentFile(data, name=name), **fields)
    doc.save()
    return doc


def attached(column, doc: PublicityDocument, **fields):
    return add_page(
        column,
        title=fields.pop("title", "关于印发学习材料的通知"),
        attachments=[PageAttachment(document=doc)],
        **fields,
    )


@pytest.fixture
def pdf_doc(site):
    data = samples.pdf(["脐橙产业发展规划", "推进筠门岭镇脐橙标准化果园建设。"])
    doc = document("产业规划（PDF）", data, "guihua.pdf")
    attached(site["news"], doc)
    return doc


def test_the_text_of_an_attached_pdf_is_extracted_and_found(pdf_doc):
    assert "标准化果园" in pdf_doc.text
    [hit] = search(ANON, "标准化 果园", kind=DOCUMENTS)
    assert hit.obj == pdf_doc and hit.title == "产业规划（PDF）" and hit.url == pdf_doc.url
    assert "<mark>标准化果园</mark>" in hit.snippet


def test_the_text_of_an_attached_docx_is_found_through_the_search_page(site, client):
    data = samples.docx("党支部工作细则", ["坚持三会一课制度。", "每月开展主题党日活动。"])
    doc = document("支部细则（Word）", data, "xize.docx")
    attached(site["news"], doc)
    assert "三会一课" in doc.text
    response = client.get("/search/", {"q": "三会一课", "kind": DOCUMENTS})
    assert response.status_code == 200 and "支部细则（Word）" in response.content.decode()
    assert doc.url in response.content.decode()


def test_a_document_is_found_only_where_its_page_and_itself_may_be_seen(site, make_user):
    tree = site["tree"]
    unattached = document("未挂接", samples.pdf(["未挂接的文件：油茶低改"]), "a.pdf")
    on_draft = document("草稿附件", samples.pdf(["草稿页面的附件：油茶低改"]), "b.pdf")
    attached(site["news"], on_draft, title="草稿", publish=False)
    internal = document(
        "内部附件",
        samples.pdf(["内部文件：油茶低改"]),
        "c.pdf",
        classification=Classification.INTERNAL,
        unit=tree["t1"],
    )
    attached(site["news"], internal, title="内部通知", classification=Classification.INTERNAL, unit=tree["t1"])
    assert unattached.text and on_draft.text
    assert search(ANON, "油茶", kind=DOCUMENTS) == []
    member = make_user("wenwuba", (RoleKind.MEMBER, tree["t1"]))
    assert [h.obj for h in search(member, "油茶", kind=DOCUMENTS)] == [internal]


def test_a_new_file_is_read_again_and_a_damaged_one_is_kept_without_text(pdf_doc):
    pdf_doc.file = ContentFile(samples.docx("新版", ["油茶低改技术要点。"]), name="new.docx")
    pdf_doc.save()
    assert "油茶低改" in pdf_doc.text and "标准化果园" not in pdf_doc.text
    assert [h.obj for h in search(ANON, "油茶", kind=DOCUMENTS)] == [pdf_doc]
    pdf_doc.title = "产业规划（新版）"
    pdf_doc.save()  # the same file: not read again
    assert "油茶低改" in PublicityDocument.objects.get(pk=pdf_doc.pk).text
    broken = document("损坏的文件", b"%PDF-1.4 not really a pdf", "broken.pdf")
    assert broken.pk and broken.text == ""

"""公开信息不涉密，涉密信息不公开: classified content is never stored; internal content stays within its units."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from wagtail.models import Revision

from dangjian.core.models import RoleKind
from dangjian.publicity.models import ArticlePage, Classification, PublicityPage
from dangjian.publicity.queries import can_view, visible_pages
from tests.publicity.conftest import add_page


def test_a_classified_article_is_refused_with_the_rule_and_nothing_is_stored(site):
    before = (ArticlePage.objects.count(), Revision.objects.count())
    with pytest.raises(ValidationError) as refused:
        add_page(site["news"], title="某涉密文件", classification=Classification.CLASSIFIED, body="<p>绝密</p>")
    assert "classification" in refused.value.message_dict
    assert (ArticlePage.objects.count(), Revision.objects.count()) == before


def test_a_draft_revision_cannot_turn_a_page_classified(article):
    article.classification = Classification.CLASSIFIED
    with pytest.raises(ValidationError):
        article.save_revision()
    assert not Revision.objects.filter(object_id=str(article.pk), content__classification="classified").exists()


def test_the_database_refuses_classified_rows_beneath_the_orm(article):
    with pytest.raises(IntegrityError), transaction.atomic():
        PublicityPage.objects.filter(pk=article.pk).update(classification=Classification.CLASSIFIED)


def test_internal_content_needs_a_unit(site):
    with pytest.raises(ValidationError) as refused:
        add_page(site["news"], title="内部通知", classification=Classification.INTERNAL)
    assert "unit" in refused.value.message_dict


def test_internal_page_is_seen_by_users_of_its_unit_only(site, make_user, client):
    tree = site["tree"]
    page = add_page(site["news"], title="文武坝镇内部工作安排", classification=Classification.INTERNAL, unit=tree["t1"])
    member_here = make_user("here", (RoleKind.MEMBER, tree["v1"]))
    leader_above = make_user("above", (RoleKind.COUNTY_LEADER, tree["county"]))
    elsewhere = make_user("elsewhere", (RoleKind.MEMBER, tree["v2"]))
    from django.contrib.auth.models import AnonymousUser

    assert can_view(member_here, page) and can_view(leader_above, page)
    assert not can_view(elsewhere, page) and not can_view(AnonymousUser(), page)
    assert visible_pages(member_here).filter(pk=page.pk).exists()
    assert not visible_pages(elsewhere).filter(pk=page.pk).exists()
    assert client.get(page.url).status_code == 404
    client.force_login(member_here)
    assert client.get(page.url).status_code == 200


def test_a_public_page_cannot_stand_under_an_internal_one(site):
    tree = site["tree"]
    from dangjian.publicity.models import ColumnPage

    internal = add_page(
        site["home"], ColumnPage, title="内部栏目", classification=Classification.INTERNAL, unit=tree["t1"]
    )
    with pytest.raises(ValidationError):
        add_page(internal, title="公开文章")


def test_public_live_page_is_served_to_anonymous_visitors(article, client):
    response = client.get(article.url)
    assert response.status_code == 200
    assert "会昌县召开基层党建工作推进会" in response.content.decode()


def test_draft_and_expired_pages_are_not_served(site, client):
    from datetime import timedelta

    from django.utils import timezone

    draft = add_page(site["news"], title="草稿", publish=False)
    expired = add_page(site["news"], title="过期")
    ArticlePage.objects.filter(pk=expired.pk).update(expire_at=timezone.now() - timedelta(minutes=1))
    assert client.get(f"/jcdj/{draft.slug}/").status_code == 404
    assert client.get(f"/jcdj/{expired.slug}/").status_code == 404


def test_an_article_whose_text_bears_a_classification_mark_is_refused_even_as_a_draft(site, article):
    before = (ArticlePage.objects.count(), Revision.objects.count())
    with pytest.raises(ValidationError) as refused:
        add_page(site["news"], title="会议纪要", body="<p>秘密★1年</p><p>会议纪要正文</p>")
    assert "body" in refused.value.message_dict
    assert (ArticlePage.objects.count(), Revision.objects.count()) == before
    article.body = "<p>机密★</p>"
    with pytest.raises(ValidationError):
        article.save_revision()
    revisions = Revision.objects.filter(object_id=str(article.pk))
    assert revisions.exists() and not any("机密" in r.content.get("body", "") for r in revisions)

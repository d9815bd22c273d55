"""The public library: who sees what, Chinese search, counters, new this week and most studied, paginated lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import RoleKind
from dangjian.education import queries, samples
from dangjian.education.models import Access, Classification, Kind, Resource, ResourceHit
from dangjian.search import registry as search_registry


@pytest.fixture
def member(tree, make_user):
    return make_user("member", (RoleKind.MEMBER, tree["v1"]))


def test_anonymous_visitors_see_only_public_items(add, member, tree):
    public = add("公开党课")
    members_only = add("党员学习材料", access=Access.MEMBERS)
    internal_t1 = add("文武坝镇内部学习资料", classification=Classification.INTERNAL, unit=tree["t1"])
    internal_t2 = add("筠门岭镇内部学习资料", classification=Classification.INTERNAL, unit=tree["t2"])
    assert set(queries.visible_resources(None)) == {public}
    # A member in a village of 文武坝镇 sees members-only items and the internal items of the township above.
    assert set(queries.visible_resources(member)) == {public, members_only, internal_t1}
    assert internal_t2 not in queries.visible_resources(member)


def test_a_lecture_is_found_by_searching_in_chinese(add, member):
    lecture = add("乡村振兴战略专题讲座", samples.pdf(["乡村振兴战略专题讲座", "产业兴旺是重点。"]))
    add("党章学习", samples.docx("党章学习", ["坚持民主集中制。"]))
    hidden = add("乡村振兴内部讲座", access=Access.MEMBERS)
    assert list(queries.search(None, "乡村振兴")) == [lecture]
    assert set(queries.search(member, "乡村振兴")) == {lecture, hidden}
    assert list(queries.search(None, "产业兴旺")) == [lecture]


def test_search_source_is_registered_and_shows_only_what_the_visitor_may_see(add):
    public = add("公开党课")
    add("党员学习材料", access=Access.MEMBERS)
    source = next(s for s in search_registry.sources() if s.key == "education.resource")
    assert list(source.visible(None)) == [public]
    assert source.url(public) == reverse("education:detail", args=[public.pk])


def test_detail_counts_a_view_and_the_download_counts_once(client, add):
    r = add()
    assert client.get(reverse("education:detail", args=[r.pk])).status_code == 200
    client.get(reverse("education:download", args=[r.pk]))
    client.get(reverse("education:download", args=[r.pk]), HTTP_RANGE="bytes=100-200")
    r.refresh_from_db()
    assert (r.view_count, r.download_count) == (1, 1)
    assert ResourceHit.objects.get(resource=r, kind="view").count == 1


def test_members_only_item_sends_anonymous_visitors_to_log_in(client, add, member):
    r = add("党员学习材料", access=Access.MEMBERS)
    response = client.get(reverse("education:detail", args=[r.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(reverse("education:file", args=[r.pk])).status_code == 404
    client.force_login(member)
    assert client.get(reverse("education:detail", args=[r.pk])).status_code == 200


def test_new_this_week_and_most_studied(add):
    old = add("旧资料", published_at=timezone.now() - timedelta(days=30))
    new = add("新资料")
    Resource.objects.filter(pk=old.pk).update(study_seconds=5000)
    visible = queries.visible_resources(None)
    assert list(queries.new_this_week(visible)) == [new]
    assert queries.most_studied(visible).first() == old


def test_category_list_is_paginated_with_a_fixed_number_of_queries(
    client, add, category, django_assert_max_num_queries
):
    for i in range(25):
        add(f"党课第{i}讲", samples.pdf([f"党课第{i}讲"]))
    with django_assert_max_num_queries(6):
        response = client.get(reverse("education:category", args=[category.parent.slug]))
    assert response.status_code == 200
    assert len(response.context["page"]) == 20
    with django_assert_max_num_queries(6):
        assert client.get(reverse("education:category", args=[category.slug]) + "?page=2").status_code == 200


def test_library_home_topic_and_search_pages_render(client, add, topic, django_assert_max_num_queries):
    r = add("脐橙种植技术", samples.pdf(["脐橙种植技术", "冬季清园"]), topics=[topic])
    with django_assert_max_num_queries(8):
        body = client.get(reverse("education:library")).content.decode()
    assert "党史文献" in body and "脐橙种植技术" in body
    assert "脐橙种植技术" in client.get(reverse("education:topic", args=[topic.slug])).content.decode()
    response = client.get(reverse("education:search"), {"q": "脐橙"})
    assert [x.pk for x in response.context["results"]] == [r.pk]


def test_audio_detail_page_has_a_player(client, add):
    r = add("脐橙栽培讲座", samples.wav(2.0), kind=Kind.AUDIO)
    body = client.get(reverse("education:detail", args=[r.pk])).content.decode()
    assert "<audio" in body and reverse("education:file", args=[r.pk]) in body

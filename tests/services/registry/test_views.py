"""The registry's staff pages: search by pinyin initials, masked identifiers, logged reveals, bounded queries."""

from datetime import date

import pytest

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.services.registry.models import Person, SavedSearch

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_client(staff_client, branches):
    return staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))


def test_staff_pages_need_login(client, branches):
    response = client.get("/work/registry/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_plain_member_may_not_open_the_registry(staff_client, branches):
    c = staff_client("m", (RoleKind.MEMBER, branches["b1"]))
    assert c.get("/work/registry/").status_code == 403


def test_zs_finds_zhang_san_and_the_id_is_masked(org_client, make_person):
    make_person("张三", id_number="360733199001011237", phone="13812345678")
    make_person("李四")
    html = org_client.get("/work/registry/", {"q": "zs"}).content.decode()
    assert "张三" in html and "李四" not in html
    assert "3607**********1237" in html and "138****5678" in html
    assert "360733199001011237" not in html and "13812345678" not in html


@pytest.mark.parametrize(
    "query", ["zhangsan", "zhang", "张", "张三", "360733199001011237", "360733900101123", "138 1234 5678"]
)
def test_the_search_box_finds_by_name_pinyin_id_and_phone(org_client, make_person, query):
    make_person("张三", id_number="360733199001011237", phone="13812345678")
    make_person("李四")
    html = org_client.get("/work/registry/", {"q": query}).content.decode()
    assert "张三" in html and "李四" not in html


def test_the_search_keeps_to_a_unit_subtree_and_other_fields(org_client, make_person, branches):
    make_person("张三")
    make_person("张飞", branch=branches["b2"], stage="probationary", full_member_date=None)
    html = org_client.get("/work/registry/", {"q": "zs", "unit": branches["t2"].pk}).content.decode()
    assert "张飞" not in html and "张三" not in html  # 张飞 is zf
    html = org_client.get("/work/registry/", {"q": "zh", "unit": branches["t2"].pk}).content.decode()
    assert "张飞" in html and "张三" not in html
    html = org_client.get("/work/registry/", {"stage": "probationary"}).content.decode()
    assert "张飞" in html and "张三" not in html


def test_a_secretary_sees_only_their_branch(staff_client, make_person, branches):
    make_person("张三")
    make_person("张飞", branch=branches["b2"])
    c = staff_client("sec", (RoleKind.BRANCH_SECRETARY, branches["v1"]))
    html = c.get("/work/registry/").content.decode()
    assert "张三" in html and "张飞" not in html
    other = Person.objects.get(name="张飞")
    assert c.get(f"/work/registry/{other.pk}/").status_code == 404


def test_the_list_page_runs_a_bounded_number_of_queries(org_client, make_person, django_assert_max_num_queries):
    for i in range(30):
        make_person(f"王{'一二三四五六七八九十'[i % 10]}{i}")
    with django_assert_max_num_queries(14):
        response = org_client.get("/work/registry/", {"q": "w"})
    assert response.content.decode().count("/work/registry/") > 30


def test_revealing_on_the_record_page_is_logged_each_time(org_client, make_person):
    person = make_person("张三", id_number="360733199001011237")
    html = org_client.get(f"/work/registry/{person.pk}/").content.decode()
    assert "3607**********1237" in html and "360733199001011237" not in html
    html = org_client.post(f"/work/registry/{person.pk}/").content.decode()
    assert "360733199001011237" in html
    org_client.post(f"/work/registry/{person.pk}/")
    assert AuditRecord.objects.filter(verb="person.reveal", object_id=str(person.pk)).count() == 2


def test_a_leader_without_need_sees_masked_values_and_cannot_reveal(staff_client, make_person, branches):
    person = make_person("张三", id_number="360733199001011237")
    c = staff_client("leader", (RoleKind.COUNTY_LEADER, branches["county"]))
    assert "3607**********1237" in c.get(f"/work/registry/{person.pk}/").content.decode()
    assert c.post(f"/work/registry/{person.pk}/").status_code == 403
    assert not AuditRecord.objects.filter(verb="person.reveal").exists()


def test_adding_a_person_through_the_form(org_client, branches):
    response = org_client.post(
        "/work/registry/new/",
        {
            "name": "赵六", "branch": branches["b1"].pk, "id_number": "360733199001011237", "ethnicity": "22",
            "phone": "13912345678", "stage": "full", "joined_date": "2010-07-01", "full_member_date": "2011-07-01",
            "status": "normal", "category": "farmer", "tags": "退役军人，致富带头人",
        },
    )  # fmt: skip
    assert response.status_code == 302
    person = Person.objects.get(name="赵六")
    assert person.get_ethnicity_display() in ("She", "畲族")
    assert sorted(person.tags.values_list("name", flat=True)) == ["致富带头人", "退役军人"]


def test_a_bad_form_shows_the_reasons_and_stores_nothing(org_client, branches):
    response = org_client.post(
        "/work/registry/new/",
        {"name": "赵六", "branch": branches["b1"].pk, "id_number": "360733199001011238", "ethnicity": "01",
         "phone": "12345", "stage": "full", "status": "normal", "category": "farmer"},
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert "GB 11643-1999" in html and "12345" in html
    assert not Person.objects.exists()


def test_the_edit_form_is_a_logged_view_of_the_identifiers(org_client, make_person, branches):
    person = make_person("张三", id_number="360733199001011237")
    assert "360733199001011237" in org_client.get(f"/work/registry/{person.pk}/edit/").content.decode()
    assert AuditRecord.objects.filter(verb="person.reveal").count() == 1


def test_a_search_saved_as_a_group_is_evaluated_afresh(org_client, make_person, branches):
    from dangjian.services.registry.queries import members_of

    make_person("张三")
    response = org_client.post("/work/registry/save/?q=zs", {"name": "张姓党员", "owner_unit": branches["county"].pk})
    saved = SavedSearch.objects.get()
    assert response.status_code == 302 and saved.filters == {"q": "zs"}
    make_person("周松", joined_date=date(2019, 7, 1), full_member_date=date(2020, 7, 1))
    assert {p.name for p in members_of(saved, org_client.user)} == {"张三", "周松"}
    html = org_client.get("/work/registry/", {"saved": saved.pk}).content.decode()
    assert "周松" in html


def test_members_of_a_group_are_limited_to_what_the_user_may_see(make_user, make_person, branches):
    from dangjian.services.registry.actions import save_search
    from dangjian.services.registry.queries import members_of

    make_person("张三")
    make_person("张飞", branch=branches["b2"])
    admin = make_user("org", (RoleKind.ORG_ADMIN, branches["county"]))
    saved = save_search(actor=admin, name="张", unit=branches["county"], filters={"q": "张"})
    secretary = make_user("sec", (RoleKind.BRANCH_SECRETARY, branches["v2"]))
    assert [p.name for p in members_of(saved, secretary)] == ["张飞"]
    assert len(members_of(saved, admin)) == 2

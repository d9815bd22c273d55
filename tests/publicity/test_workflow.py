"""Editorial workflow: an editor's draft is reviewed (审核) and published by a reviewer, then appears in its column,
its feed and the search; every publish is in the audit log."""

from __future__ import annotations

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.publicity import actions
from tests.publicity.conftest import add_page


def test_an_editors_article_is_published_when_a_reviewer_approves_it(site, make_user, client):
    tree = site["tree"]
    editor = make_user("editor", (RoleKind.EDITOR, tree["d1"]))
    reviewer = make_user("reviewer", (RoleKind.REVIEWER, tree["d1"]))
    actions.sync_editorial_groups(actor=None, root=site["home"])
    workflow = actions.ensure_column_workflow(actor=None, column=site["news"])
    assert actions.ensure_column_workflow(actor=None, column=site["news"]) == workflow

    article = add_page(site["news"], title="全县党风廉政建设工作会议召开", publish=False, user=editor)
    assert article.get_workflow() == workflow
    state = workflow.start(article, editor)
    task_state = state.current_task_state
    task = task_state.task.specific
    assert task.get_actions(article, editor) == []  # the writer cannot approve their own article
    assert client.get(article.url).status_code == 404

    task.on_action(task_state, reviewer, "approve")
    article.refresh_from_db()
    assert article.live
    assert article.title in client.get(site["news"].url).content.decode()
    assert article.title in client.get(f"/publicity/feeds/{site['news'].pk}/rss/").content.decode()
    assert article.url in client.get("/search/", {"q": "党风廉政"}).content.decode()
    published = AuditRecord.objects.filter(verb="page.publish", object_id=str(article.pk)).get()
    assert published.actor_id == reviewer.pk


def test_a_user_who_loses_the_editor_role_leaves_the_editors_group(site, make_user):
    from django.contrib.auth.models import Group

    from dangjian.core import actions as core_actions
    from dangjian.core.models import Role

    editor = make_user("editor", (RoleKind.EDITOR, site["tree"]["d1"]))
    actions.sync_editorial_groups(actor=None, root=site["home"])
    assert Group.objects.get(name=actions.EDITORS).user_set.filter(pk=editor.pk).exists()
    core_actions.revoke_role(actor=None, role=Role.objects.get(user=editor))
    assert actions.sync_editorial_groups(actor=None, root=site["home"]) == {"added": 0, "removed": 1}
    assert not Group.objects.get(name=actions.EDITORS).user_set.filter(pk=editor.pk).exists()


def test_the_scheduler_publishes_a_page_at_its_go_live_time_and_takes_it_down_at_its_expiry(site, client):
    from datetime import timedelta

    from django.utils import timezone
    from freezegun import freeze_time

    from dangjian.config.schedule import SCHEDULE
    from dangjian.publicity import tasks

    assert "dangjian.publicity.tasks.publish_scheduled" in {job.task for job in SCHEDULE}
    now = timezone.now()
    scheduled = add_page(site["news"], title="明日发布的通知", publish=False, go_live_at=now + timedelta(hours=1))
    scheduled.get_latest_revision().publish()
    expiring = add_page(site["news"], title="今日下线的公告", expire_at=now + timedelta(hours=1))
    scheduled.refresh_from_db()
    assert not scheduled.live and expiring.live

    tasks.publish_scheduled.call()  # before the hour: nothing changes
    scheduled.refresh_from_db()
    assert not scheduled.live

    with freeze_time(now + timedelta(hours=2)):
        tasks.publish_scheduled.call()
        tasks.publish_scheduled.call()  # a second run changes nothing
        scheduled.refresh_from_db()
        expiring.refresh_from_db()
        assert scheduled.live and client.get(scheduled.url).status_code == 200
        assert not expiring.live and expiring.expired
    assert AuditRecord.objects.filter(verb="page.schedule", object_id=str(scheduled.pk)).count() == 1
    assert AuditRecord.objects.filter(verb="page.publish", object_id=str(scheduled.pk)).count() == 1
    assert AuditRecord.objects.filter(verb="page.expire", object_id=str(expiring.pk)).count() == 1


def test_a_knowledge_base_entry_of_the_demo_is_reviewed_before_it_is_published(tree, make_user, client):
    import io

    from wagtail.models import Page

    from dangjian.publicity import demo
    from dangjian.publicity.models import ColumnKind, ColumnPage, KnowledgeEntryPage

    editor = make_user("editor", (RoleKind.EDITOR, tree["county"]))
    reviewer = make_user("reviewer", (RoleKind.REVIEWER, tree["county"]))
    home = demo.load_site(io.StringIO())
    for column in ColumnPage.objects.child_of(home):
        assert column.get_workflow() is not None, column.title
    knowledge = ColumnPage.objects.child_of(home).get(kind=ColumnKind.KNOWLEDGE)
    workflow = knowledge.get_workflow()
    assert all(entry.get_workflow() == workflow for entry in KnowledgeEntryPage.objects.all())

    section = ColumnPage.objects.child_of(knowledge).first()
    entry = add_page(section, KnowledgeEntryPage, title="党支部“三会一课”制度问答", publish=False, user=editor)
    state = workflow.start(Page.objects.get(pk=entry.pk).specific, editor)
    task_state = state.current_task_state
    assert task_state.task.specific.get_actions(entry, editor) == []
    assert client.get(entry.url).status_code == 404
    task_state.task.specific.on_action(task_state, reviewer, "approve")
    entry.refresh_from_db()
    assert entry.live and client.get(entry.url).status_code == 200
    assert entry.title in client.get(section.url).content.decode()
    assert AuditRecord.objects.filter(verb="page.publish", object_id=str(entry.pk), actor_id=reviewer.pk).exists()

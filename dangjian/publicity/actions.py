"""Changes of state of the publicity supermarket: editorial groups and workflows, notices, objections.

Publishing itself is Wagtail's (PublishPageRevisionAction, with its check and its workflow); every publish and
unpublish of a publicity page leaves an audit record through `PublicityPage.publish/unpublish` (see models).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from dangjian.core import audit
from dangjian.core.models import Role, RoleKind, User
from dangjian.publicity import pagecache

EDITORS = "publicity editors"
REVIEWERS = "publicity reviewers"
#: Core role → Wagtail group, and what each group may do on the site's pages.
GROUP_OF_ROLE = {RoleKind.EDITOR: EDITORS, RoleKind.REVIEWER: REVIEWERS}
PAGE_PERMISSIONS = {EDITORS: ("add_page", "change_page"), REVIEWERS: ("add_page", "change_page", "publish_page")}
#: Wagtail checks document permissions on its own model whatever the document model is (wagtail/documents/__init__.py,
#: get_permission_policy: auth_model="wagtaildocs.Document"): permissions of publicity.PublicityDocument open nothing.
DOCUMENT_PERMISSIONS = ("add_document", "change_document", "choose_document")


def _group(name: str, root: Page) -> Group:
    group, _created = Group.objects.get_or_create(name=name)
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    for codename in PAGE_PERMISSIONS[name]:
        GroupPagePermission.objects.get_or_create(
            group=group, page=root, permission=Permission.objects.get(codename=codename, content_type__model="page")
        )
    collection = Collection.get_first_root_node()
    for codename in DOCUMENT_PERMISSIONS:
        permission = Permission.objects.get(content_type__app_label="wagtaildocs", codename=codename)
        GroupCollectionPermission.objects.get_or_create(group=group, collection=collection, permission=permission)
    return group


@transaction.atomic
def sync_editorial_groups(*, actor: User | None, root: Page) -> dict[str, int]:
    """Make the Wagtail groups' members exactly the users holding the core roles editor and reviewer.

    Idempotent; run by the demo, the periodic job and after roles change. Returns how many were added/removed.
    """
    changes = {"added": 0, "removed": 0}
    for kind, name in GROUP_OF_ROLE.items():
        group = _group(name, root)
        wanted = set(Role.objects.filter(kind=kind, user__is_active=True).values_list("user_id", flat=True))
        current = set(group.user_set.values_list("pk", flat=True))
        for user in User.objects.filter(pk__in=wanted - current):
            user.groups.add(group)
            changes["added"] += 1
        for user in User.objects.filter(pk__in=current - wanted):
            user.groups.remove(group)
            changes["removed"] += 1
    if changes["added"] or changes["removed"]:
        audit.record(actor=actor, verb="publicity.groups.sync", after=changes)
    return changes


@transaction.atomic
def ensure_column_workflow(*, actor: User | None, column: Page) -> Workflow:
    """The column's review workflow (draft → 审核 by the reviewers → published), created once."""
    existing = WorkflowPage.objects.filter(page=column).select_related("workflow").first()
    if existing is not None:
        return existing.workflow
    reviewers = Group.objects.get(name=REVIEWERS)
    workflow = Workflow.objects.create(name=_("Review: %(column)s") % {"column": column.title})
    task, _created = GroupApprovalTask.objects.get_or_create(name=_("Review (审核)"))
    task.groups.add(reviewers)
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.create(workflow=workflow, page=column)
    audit.record(actor=actor, verb="publicity.workflow.create", obj=workflow, after={"column": column.pk})
    return workflow


def record_publication(*, page, user, verb: str) -> None:
    """The audit record of a publish, schedule or unpublish of a page (called inside Wagtail's action)."""
    from dangjian.publicity.models import PublicityPage

    state = PublicityPage.objects.filter(pk=page.pk).values("live", "go_live_at", "expire_at").first() or {}
    audit.record(
        actor=user if user is not None and getattr(user, "pk", None) else None,
        actor_name="" if user is not None else "scheduler",
        verb=verb,
        obj=page,
        unit=page.unit,
        after={
            "title": page.title,
            "classification": page.classification,
            "live": state.get("live"),
            "go_live_at": state.get("go_live_at"),
            "expire_at": state.get("expire_at"),
        },
    )


@transaction.atomic
def close_notices(*, today=None) -> int:
    """Mark every notice whose period has ended as closed; returns how many. Idempotent."""
    from dangjian.publicity.models import NoticePage

    today = today or timezone.localdate()
    due = list(NoticePage.objects.filter(closed=False, period_end__lt=today).select_for_update())
    if not due:
        return 0
    NoticePage.objects.filter(pk__in=[n.pk for n in due]).update(closed=True)
    pagecache.bump()  # an update() sends no signal
    for notice in due:
        objections = supervision_letters(notice).count()
        audit.record(
            actor=None,
            actor_name="scheduler",
            verb="notice.close",
            obj=notice,
            unit=notice.unit,
            after={"title": notice.title, "period_end": str(notice.period_end), "objections": objections},
        )
    return len(due)


def supervision_letters(notice):
    """The letters of objection to a notice, as the supervision supermarket holds them."""
    from dangjian.supervision.models import Letter

    return Letter.objects.filter(subject_ref=objection_ref(notice))


def objection_ref(notice) -> str:
    """How a letter names the notice it objects to (Letter.subject_ref)."""
    return f"publicity.notice:{notice.pk}"


def submit_objection(
    *,
    notice,
    title: str,
    body: str,
    anonymous: bool,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
):
    """An objection (反映) to a notice during its period: a letter on the supervision app's notice channel."""
    if not notice.is_open():
        raise ValidationError(_("The notice period has ended; objections are no longer taken."))
    from dangjian.supervision.actions import submit_letter

    return submit_letter(
        channel_code="notice",
        title=title,
        body=body,
        anonymous=anonymous,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        subject_ref=objection_ref(notice),
    )

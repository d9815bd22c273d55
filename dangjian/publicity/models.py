"""The public website's content: Wagtail pages (home, columns, articles, knowledge base, 政务公开, notices),
documents, and the one rule over all of them: 公开信息不涉密，涉密信息不公开.

Every page and document carries a classification. 公开 (public) is for everyone; 内部 (internal) only for
logged-in users of the units it is scoped to; 涉密 (classified) is never stored: `clean()` refuses it, and
Wagtail calls `full_clean()` on every save, draft revision and publish (admin, workflow approval, scheduled
publishing), while a database constraint refuses it beneath the ORM. A classified paper may be noted by an
`OfflineRecord`, which has no field for its content.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.documents.models import AbstractDocument, Document
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page, PageViewRestriction
from wagtail.search import index

from dangjian.core import calendar
from dangjian.core.models import Unit


class Classification(models.TextChoices):
    PUBLIC = "public", _("Public (公开)")
    INTERNAL = "internal", _("Internal (内部)")
    CLASSIFIED = "classified", _("Classified (涉密)")


STORABLE = (Classification.PUBLIC, Classification.INTERNAL)

CLASSIFIED_REFUSED = _(
    "Classified (涉密) content must not be stored or published on this site: public information is never "
    "classified, classified information is never made public. Handle it offline under the secrecy rules; you "
    "may record that an offline document exists (Offline records), without its content."
)
INTERNAL_NEEDS_UNIT = _("Internal content must name the unit whose members may read it.")
ZIP_BOMB_REFUSED = _(
    "The file unpacks to far more than a document holds: it is damaged or made to overload the computer that opens it."
)
ACTIVE_PDF_REFUSED = _(
    "The PDF runs scripts or starts programs when it is opened; the public site does not publish such files. Print it "
    "to a new PDF and upload that."
)
CLASSIFIED_MARK_REFUSED = _(
    "This carries a classification mark (密级标志 such as 秘密★, 机密★ or 绝密★): classified content must not be "
    "stored or published on this site. Handle it offline under the secrecy rules; you may record that an offline "
    "document exists (Offline records), without its content."
)


def carries_classified_mark(*texts: str) -> bool:
    """Whether any text bears a 密级 mark as 《党政机关公文格式》GB/T 9704-2012 prints it (the education library's
    test, dangjian.education.files): 公开信息不涉密, so such a text is classified and never stored."""
    from dangjian.education import files

    return any(files.has_classified_mark(text) for text in texts if text)


def check_classification(classification: str, unit_id: int | None) -> None:
    """The classification rule for anything stored: raise ValidationError for classified or unscoped internal."""
    if classification == Classification.CLASSIFIED:
        raise ValidationError({"classification": CLASSIFIED_REFUSED})
    if classification not in STORABLE:
        raise ValidationError({"classification": _("Unknown classification.")})
    if classification == Classification.INTERNAL and unit_id is None:
        raise ValidationError({"unit": INTERNAL_NEEDS_UNIT})


def classification_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(condition=Q(classification__in=STORABLE), name=f"{prefix}_never_classified"),
        models.CheckConstraint(
            condition=~Q(classification=Classification.INTERNAL) | Q(unit__isnull=False),
            name=f"{prefix}_internal_has_unit",
        ),
    ]


def classification_field():
    return models.CharField(
        _("classification"),
        max_length=12,
        choices=Classification.choices,
        default=Classification.PUBLIC,
        help_text=_("公开信息不涉密，涉密信息不公开: internal content is shown only to users of its unit."),
    )


def unit_field():
    return models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The unit this belongs to; internal content is shown to users of this unit only."),
    )


# --- documents --------------------------------------------------------------------------------------------


class PublicityDocument(AbstractDocument):
    """A Wagtail document with a classification; internal documents are served only within their unit."""

    classification = classification_field()
    unit = unit_field()
    text = models.TextField(_("extracted text"), blank=True, editable=False)

    admin_form_fields = (*Document.admin_form_fields, "classification", "unit")
    unit_field: ClassVar[str] = "unit"
    search_fields = [*AbstractDocument.search_fields, index.SearchField("text")]
    _text_of: object = None  # the file whose text `text` holds

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        # Wagtail's Document declares this; a custom document model must too (Wagtail docs: custom document model).
        permissions = [("choose_document", "Can choose document")]
        constraints = classification_constraints("publicitydocument")

    def clean(self):
        super().clean()
        check_classification(self.classification, self.unit_id)
        self._read_text()
        if carries_classified_mark(self.title, self.text):
            raise ValidationError({"file": CLASSIFIED_MARK_REFUSED})

    def save(self, *args, **kwargs):
        self._read_text()
        if carries_classified_mark(self.title, self.text):  # saved without the form's validation: still refused
            raise ValidationError({"file": CLASSIFIED_MARK_REFUSED})
        super().save(*args, **kwargs)
        # Searchable at once, as pages are when published (not when a worker runs Wagtail's queued index task).
        index.insert_or_update_object(self)

    def _read_text(self) -> None:
        """The text of a new or replaced file, read once (validation and save both need it); a zip bomb or a PDF that
        runs something is refused, as the education library refuses them."""
        from dangjian.education import files

        if not self.file or self._text_of is self.file:
            return
        if self._file_changed():
            try:
                self.text = document_text(self.file)
            except files.ZipBomb:
                raise ValidationError({"file": ZIP_BOMB_REFUSED}) from None
            except files.ActiveContent:
                raise ValidationError({"file": ACTIVE_PDF_REFUSED}) from None
        self._text_of = self.file

    def _file_changed(self) -> bool:
        if self._state.adding:
            return True
        stored = PublicityDocument.objects.filter(pk=self.pk).values_list("file", flat=True).first()
        return stored != self.file.name


def document_text(file) -> str:
    """The text of a PDF or DOCX for search, read as the education library reads its documents; "" for other
    types and for a file that cannot be read (it is still a document to download, only not searchable inside).
    Raises `files.ZipBomb` and `files.ActiveContent`: those are not documents to publish."""
    from dangjian.education import files

    try:
        stream = file.file  # an upload is open already; a stored file is opened
    except OSError:
        return ""
    try:
        content_type = files.sniff(stream)
        return files.extract_text(stream, content_type) if content_type in (files.PDF, files.DOCX) else ""
    except (files.ZipBomb, files.ActiveContent):
        raise
    except (files.UnknownType, files.DamagedFile, OSError):
        return ""
    finally:
        stream.seek(0)


class OfflineRecord(models.Model):
    """That a classified document exists and where it is kept, never its content (it has no field for it)."""

    title = models.CharField(_("title"), max_length=200)
    reference = models.CharField(_("reference number"), max_length=100, blank=True)
    unit = models.ForeignKey(Unit, verbose_name=_("holding unit"), on_delete=models.PROTECT, related_name="+")
    held_at = models.CharField(_("kept at"), max_length=200, help_text=_("e.g. the confidential archive room"))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("offline record of a classified document")
        verbose_name_plural = _("offline records of classified documents")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


# --- pages --------------------------------------------------------------------------------------------------


class PublicityPage(Page):
    """What every page of the public site shares: classification, unit, summary, attachments."""

    classification = classification_field()
    unit = unit_field()
    summary = models.TextField(_("summary"), blank=True, max_length=500)

    is_creatable = False
    unit_field: ClassVar[str] = "unit"

    search_fields = [*Page.search_fields, index.SearchField("summary"), index.FilterField("classification")]
    classification_panels = [
        MultiFieldPanel([FieldPanel("classification"), FieldPanel("unit")], heading=_("Classification"))
    ]
    content_panels = [*Page.content_panels, FieldPanel("summary")]
    settings_panels = [*Page.settings_panels, *classification_panels]

    class Meta:
        verbose_name = _("publicity page")
        constraints = classification_constraints("publicitypage")

    def clean(self):
        super().clean()
        check_classification(self.classification, self.unit_id)
        if self.classification == Classification.PUBLIC:
            parent = self.get_parent() if self.path else None
            parent = parent.specific if parent is not None else None
            if isinstance(parent, PublicityPage) and parent.classification != Classification.PUBLIC:
                raise ValidationError({"classification": _("A page under an internal page must be internal too.")})
        elif self.pk and self.path:
            public_below = PublicityPage.objects.descendant_of(self).filter(classification=Classification.PUBLIC)
            if public_below.exists():
                raise ValidationError(
                    {"classification": _("Make the pages below this one internal first: they are public.")}
                )

    def minimal_clean(self):
        # Wagtail validates a draft's title and slug only; the classification rule holds for drafts too.
        super().minimal_clean()
        check_classification(self.classification, self.unit_id)

    def text_for_search(self) -> str:
        return self.summary

    def publish(self, revision, user=None, **kwargs):
        """Wagtail's publish (admin, workflow approval, scheduled publishing), plus its audit record."""
        from django.db import transaction

        from dangjian.publicity.actions import record_publication

        with transaction.atomic():
            result = super().publish(revision, user=user, **kwargs)
            # A revision whose go-live time is still ahead is only scheduled: the scheduler publishes it then.
            revision.refresh_from_db(fields=["approved_go_live_at"])
            verb = "page.schedule" if revision.approved_go_live_at else "page.publish"
            record_publication(page=revision.as_object(), user=user, verb=verb)
            # Searchable at once, not when the worker runs Wagtail's queued index task (which repeats it, harmlessly).
            index.insert_or_update_object(self)
        return result

    def unpublish(self, set_expired=False, commit=True, user=None, log_action=True):
        from django.db import transaction

        from dangjian.publicity.actions import record_publication

        with transaction.atomic():
            result = super().unpublish(set_expired=set_expired, commit=commit, user=user, log_action=log_action)
            record_publication(page=self, user=user, verb="page.expire" if set_expired else "page.unpublish")
        return result

    def serve(self, request, *args, **kwargs):
        from dangjian.publicity.queries import can_view

        if not can_view(request.user, self):
            raise Http404
        from dangjian.publicity import hits, pagecache

        response = super().serve(request, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200:
            hits.count(self.pk)
            pagecache.mark(request, response, self)
        return response

    def get_view_restrictions(self):
        # Set by publicity.serving when this generation's tree shows none on the page or above it.
        if getattr(self, "_no_view_restrictions", False):
            return _no_view_restrictions()
        return super().get_view_restrictions()

    def get_template(self, request, *args, **kwargs):
        # Wagtail's choice between `ajax_template` and `template`, read from the request's META: Wagtail asks
        # `request.headers`, which builds the whole header mapping of the request for that one question.
        if self.ajax_template and request.META.get("HTTP_X_REQUESTED_WITH") == "XMLHttpRequest":
            return self.ajax_template
        return self.template

    def get_context(self, request, *args, **kwargs):
        from dangjian.publicity import serving

        context = super().get_context(request, *args, **kwargs)
        attachments = self.attachments.select_related("document") if serving.has_attachments(self) else []
        context["attachments"] = [a.document for a in attachments]
        context["breadcrumbs"] = serving.breadcrumbs(request, self)
        context["print_view"] = request.GET.get("print") == "1"
        return context


@functools.cache
def _no_view_restrictions():
    """An empty queryset of view restrictions, evaluated already, so that iterating it compiles no SQL only to find
    it empty; one for the process (nothing changes a queryset in place: filtering it makes another)."""
    none = PageViewRestriction.objects.none()
    none._result_cache = []
    return none


class PageAttachment(Orderable):
    page = ParentalKey(PublicityPage, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey(
        PublicityDocument, verbose_name=_("document"), on_delete=models.PROTECT, related_name="+"
    )

    panels = [FieldPanel("document")]

    class Meta(Orderable.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def clean(self):
        super().clean()
        if self.document_id and self.document.classification != Classification.PUBLIC:
            page = self.page
            if page.classification == Classification.PUBLIC:
                raise ValidationError({"document": _("A public page cannot carry an internal document.")})


ATTACHMENTS = InlinePanel("attachments", label=_("Attachments"))


class HomePage(PublicityPage):
    """The public site's home (会昌党务公开网): the Wagtail site root, shown at /publicity/."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*PublicityPage.content_panels, FieldPanel("intro")]
    subpage_types: ClassVar[list[str]] = ["publicity.ColumnPage"]
    parent_page_types: ClassVar[list[str]] = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("publicity home page")

    def get_context(self, request, *args, **kwargs):
        from dangjian.publicity.queries import column_items, open_notices

        context = super().get_context(request, *args, **kwargs)
        columns = column_items(request.user, self, model=ColumnPage, direct=True)
        context["columns"] = [
            {"column": c, "items": column_items(request.user, c)[:6]} for c in columns.order_by("path")
        ]
        context["open_notices"] = open_notices(request.user)[:10]
        return context

    def get_url_parts(self, request=None):
        parts = super().get_url_parts(request)
        if parts is None:
            return None
        site_id, root_url, _path = parts
        # "/" is the portal's home; the site root page is shown at /publicity/ (its children at /<slug>/…).
        return site_id, root_url, "/publicity/"


class ColumnKind(models.TextChoices):
    NEWS = "news", _("News column")
    OPEN_GOVERNMENT = "open_government", _("Open government (政务公开)")
    KNOWLEDGE = "knowledge", _("Knowledge base")
    NOTICES = "notices", _("Public notices")


class ColumnPage(PublicityPage):
    """A column (栏目) of the site, e.g. 基层党建; its pages are listed newest first, with RSS and Atom feeds."""

    kind = models.CharField(_("kind"), max_length=20, choices=ColumnKind.choices, default=ColumnKind.NEWS)
    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*PublicityPage.content_panels, FieldPanel("kind"), FieldPanel("intro")]
    subpage_types: ClassVar[list[str]] = [
        "publicity.ColumnPage",
        "publicity.ArticlePage",
        "publicity.KnowledgeEntryPage",
        "publicity.OpenGovernmentPage",
        "publicity.NoticePage",
    ]
    parent_page_types: ClassVar[list[str]] = ["publicity.HomePage", "publicity.ColumnPage"]

    class Meta:
        verbose_name = _("column")
        verbose_name_plural = _("columns")

    def clean(self):
        super().clean()
        from dangjian.publicity.queries import RESERVED_SLUGS

        parent = self.get_parent() if self.path else None
        if parent is not None and isinstance(parent.specific, HomePage) and self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": _("This address is used by another part of the site; choose another.")})

    def get_context(self, request, *args, **kwargs):
        from django.core.paginator import Paginator

        from dangjian.publicity.queries import column_items

        context = super().get_context(request, *args, **kwargs)
        items = column_items(request.user, self)
        if self.kind == ColumnKind.OPEN_GOVERNMENT:
            # 政务公开 by category: procedures, policies, plans, results (办事程序, 政策规定, 工作部署, 办事结果).
            category = request.GET.get("category", "")
            context["categories"], context["category"] = OpenGovernmentKind.choices, category
            if category in OpenGovernmentKind.values:
                items = column_items(request.user, self, model=OpenGovernmentPage).filter(category=category)
        context["page_obj"] = Paginator(items, 20).get_page(request.GET.get("page"))
        context["subcolumns"] = column_items(request.user, self, model=ColumnPage, direct=True)
        return context


class BodyPage(PublicityPage):
    """A page with a body: the shared base of articles, knowledge entries, 政务公开 pages and notices."""

    body = RichTextField(_("body"))
    source = models.CharField(_("source"), max_length=100, blank=True, help_text=_("e.g. 县委组织部"))

    is_creatable = False
    template = "publicity/body_page.html"
    search_fields = [*PublicityPage.search_fields, index.SearchField("body")]
    content_panels = [*PublicityPage.content_panels, FieldPanel("body"), FieldPanel("source"), ATTACHMENTS]
    parent_page_types: ClassVar[list[str]] = ["publicity.ColumnPage"]
    subpage_types: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("page with a body")

    def text_for_search(self) -> str:
        from django.utils.html import strip_tags

        return f"{self.summary} {strip_tags(self.body)}"

    def _check_classified_mark(self) -> None:
        if carries_classified_mark(self.title, self.summary, self.text_for_search()):
            raise ValidationError({"body": CLASSIFIED_MARK_REFUSED})

    def clean(self):
        super().clean()
        self._check_classified_mark()

    def minimal_clean(self):
        super().minimal_clean()  # a draft too: classified content is not stored even as a revision
        self._check_classified_mark()

    @property
    def date(self):
        return self.first_published_at or self.latest_revision_created_at


class ArticlePage(BodyPage):
    template = "publicity/body_page.html"

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")


class KnowledgeEntryPage(BodyPage):
    template = "publicity/body_page.html"

    class Meta:
        verbose_name = _("knowledge-base entry")
        verbose_name_plural = _("knowledge-base entries")


class OpenGovernmentKind(models.TextChoices):
    PROCEDURE = "procedure", _("Procedure (办事程序)")
    POLICY = "policy", _("Policy and regulation (政策规定)")
    PLAN = "plan", _("Work plan (工作部署)")
    RESULT = "result", _("Results and progress (办事结果 / 执行情况 / 工作进展)")


class OpenGovernmentPage(BodyPage):
    """A 政务公开 item: a procedure, a policy, a plan, or the results and progress of one."""

    template = "publicity/open_government_page.html"
    category = models.CharField(_("category"), max_length=12, choices=OpenGovernmentKind.choices)
    reference = models.CharField(
        _("reference number"), max_length=100, blank=True, help_text=_("e.g. 会组字〔2026〕5号")
    )
    effective_date = models.DateField(_("effective date"), null=True, blank=True)

    content_panels = [
        *BodyPage.content_panels[:1],
        FieldPanel("category"),
        FieldPanel("reference"),
        FieldPanel("effective_date"),
        *BodyPage.content_panels[1:],
    ]
    search_fields = [*BodyPage.search_fields, index.SearchField("reference"), index.FilterField("category")]

    class Meta:
        verbose_name = _("open-government item")
        verbose_name_plural = _("open-government items")


class NoticeKind(models.TextChoices):
    PRE_APPOINTMENT = "pre_appointment", _("Pre-appointment notice of cadres (干部任免公示)")
    COMMENDATION = "commendation", _("Commendation notice (表彰先进公示)")
    PERFORMANCE = "performance", _("Performance summary notice (政绩概要公示)")
    DISCIPLINE = "discipline", _("Report on disciplinary cases (党员干部违纪违法查处情况通报)")


#: 《党政领导干部选拔任用工作条例》（2019）第三十七条: 公示期不少于五个工作日 (the pre-appointment notice period is
#: no fewer than five working days).
PRE_APPOINTMENT_MIN_WORKDAYS = 5
DEFAULT_NOTICE_WORKDAYS = {
    NoticeKind.PRE_APPOINTMENT: PRE_APPOINTMENT_MIN_WORKDAYS,
    NoticeKind.COMMENDATION: 5,
    NoticeKind.PERFORMANCE: 7,
    NoticeKind.DISCIPLINE: 0,
}


class NoticePage(BodyPage):
    """A public notice (公示) with its period: from `period_start`, `period_workdays` working days long."""

    template = "publicity/notice_page.html"

    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    period_start = models.DateField(_("period starts"), default=timezone.localdate)
    period_workdays = models.PositiveSmallIntegerField(
        _("period in working days"), default=PRE_APPOINTMENT_MIN_WORKDAYS
    )
    period_end = models.DateField(_("period ends"), editable=False, null=True)
    objection_contact = models.TextField(
        _("how to object"),
        blank=True,
        help_text=_("Telephone, address and mailbox for objections (反映), shown while the period runs."),
    )
    closed = models.BooleanField(_("period closed"), default=False, editable=False)

    content_panels = [
        *BodyPage.content_panels[:1],
        FieldPanel("kind"),
        FieldPanel("period_start"),
        FieldPanel("period_workdays"),
        FieldPanel("objection_contact"),
        *BodyPage.content_panels[1:],
    ]
    search_fields = [*BodyPage.search_fields, index.FilterField("kind"), index.FilterField("period_end")]

    class Meta:
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="pre_appointment") | Q(period_workdays__gte=PRE_APPOINTMENT_MIN_WORKDAYS),
                name="notice_pre_appointment_five_workdays",
            )
        ]

    def clean(self):
        super().clean()
        if self.kind == NoticeKind.PRE_APPOINTMENT and (self.period_workdays or 0) < PRE_APPOINTMENT_MIN_WORKDAYS:
            raise ValidationError(
                {
                    "period_workdays": _(
                        "A pre-appointment notice runs for at least five working days "
                        "(《党政领导干部选拔任用工作条例》: 公示期不少于五个工作日)."
                    )
                }
            )
        new = not self.first_published_at
        if self.kind == NoticeKind.PRE_APPOINTMENT and new and (self.period_start or date.max) < timezone.localdate():
            raise ValidationError(
                {"period_start": _("The period of a new pre-appointment notice cannot start in the past.")}
            )

    def save(self, *args, **kwargs):
        self.period_end = self.compute_period_end()
        super().save(*args, **kwargs)

    def compute_period_end(self) -> date | None:
        if self.period_start is None:
            return None
        if not self.period_workdays:
            return None
        # The start day counts when it is a working day: the period holds exactly `period_workdays` working days.
        return calendar.add_workdays(self.period_start - timedelta(days=1), self.period_workdays)

    def is_open(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        end = self.period_end or self.compute_period_end()
        return end is not None and self.period_start <= today <= end and not self.closed

    def get_context(self, request, *args, **kwargs):
        from dangjian.publicity.forms import ObjectionForm

        context = super().get_context(request, *args, **kwargs)
        context["open"] = self.is_open()
        context["objection_form"] = ObjectionForm()
        return context


class PageHit(models.Model):
    """How often a page was served on a day (Asia/Shanghai): no cookie, no address, no visitor, just a count."""

    page = models.ForeignKey(PublicityPage, verbose_name=_("page"), on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("hits"), default=0)

    class Meta:
        verbose_name = _("page hits")
        verbose_name_plural = _("page hits")
        constraints = [models.UniqueConstraint(fields=["page", "day"], name="pagehit_one_row_per_page_day")]
        indexes = [models.Index(fields=["day"], name="pagehit_day")]

    def __str__(self) -> str:
        return f"{self.page_id} {self.day}: {self.count}"


class PageCacheGeneration(models.Model):
    """One row: the token in every key of the anonymous page cache, replaced on every change that can alter a
    public page (dangjian.publicity.pagecache). In the database, so that every process and node sees a change."""

    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("page cache generation")

    def __str__(self) -> str:
        return self.token

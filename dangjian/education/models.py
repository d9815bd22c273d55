"""网络教育超市 data: the library (categories, topics, resources), stations and the Sunday class, learning records."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelsearch import index
from modelsearch.queryset import SearchableQuerySetMixin

from dangjian.core.models import Unit
from dangjian.core.permissions import ScopedQuerySet

# --- library --------------------------------------------------------------------------------------------


class Category(models.Model):
    """A shelf of the library: the six of the seed at the top, their sub-categories below."""

    name = models.CharField(_("name"), max_length=50)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="edu_category_unique_name")]

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    """A theme across categories (中央“三农”政策, 农村实用技术 …), as the stations mix them."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name


class Kind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    EDITION = "edition", _("E-edition")
    LINK = "link", _("Link")


class Access(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    MEMBERS = "members", _("Members only")


class Classification(models.TextChoices):
    """The publicity rule, 公开信息不涉密，涉密信息不公开: only these two levels may ever be stored."""

    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")


class ResourceQuerySet(SearchableQuerySetMixin, ScopedQuerySet):
    pass


class Resource(index.Indexed, models.Model):
    """One item of the library: a document, a video, an audio lecture, an e-edition issue or a link."""

    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="resources"
    )
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True, related_name="resources")
    file = models.FileField(_("file"), upload_to="education/%Y/%m/", blank=True, max_length=255)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    url = models.URLField(_("address"), blank=True)
    text = models.TextField(_("extracted text"), blank=True)
    duration = models.PositiveIntegerField(_("duration in seconds"), null=True, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    access = models.CharField(_("access"), max_length=10, choices=Access.choices, default=Access.PUBLIC)
    classification = models.CharField(
        _("classification"), max_length=10, choices=Classification.choices, default=Classification.PUBLIC
    )
    unit = models.ForeignKey(Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now, db_index=True)
    view_count = models.PositiveIntegerField(_("views"), default=0)
    download_count = models.PositiveIntegerField(_("downloads"), default=0)
    study_seconds = models.PositiveBigIntegerField(_("seconds studied"), default=0)

    objects = ResourceQuerySet.as_manager()
    unit_field: ClassVar[str] = "unit"

    search_fields = [
        # The site's search backend segments Chinese on both sides (dangjian.search.backends).
        index.SearchField("title", boost=3),
        index.SearchField("summary", boost=2),
        index.SearchField("text"),
        index.AutocompleteField("title"),
        index.FilterField("kind"),
        index.FilterField("access"),
        index.FilterField("classification"),
        index.FilterField("category_id"),
        index.FilterField("unit_id"),
        index.FilterField("published_at"),
    ]

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(classification__in=["public", "internal"]), name="edu_resource_never_classified"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["document", "video", "audio", "edition", "link"]), name="edu_resource_kind"
            ),
            models.CheckConstraint(condition=~Q(kind="link") | ~Q(url=""), name="edu_resource_link_has_url"),
            models.CheckConstraint(
                condition=Q(kind="link") | Q(kind="edition") | ~Q(file=""), name="edu_resource_has_file"
            ),
        ]
        indexes = [models.Index(fields=["category", "-published_at"], name="edu_resource_cat_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_media(self) -> bool:
        return self.kind in (Kind.VIDEO, Kind.AUDIO)

    @property
    def minutes(self) -> int:
        return max(1, round((self.duration or 0) / 60)) if self.duration else 0


class EditionPage(models.Model):
    """One page of an e-edition issue (党报党刊电子版): an image or PDF of the page and its text."""

    resource = models.ForeignKey(Resource, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveSmallIntegerField(_("page"))
    title = models.CharField(_("title"), max_length=100, blank=True)
    file = models.FileField(_("file"), upload_to="education/editions/%Y/%m/", max_length=255)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("e-edition page")
        verbose_name_plural = _("e-edition pages")
        ordering = ["resource", "number"]
        constraints = [models.UniqueConstraint(fields=["resource", "number"], name="edu_page_unique")]

    def __str__(self) -> str:
        return f"{self.resource} · {self.number}"


class HitKind(models.TextChoices):
    VIEW = "view", _("View")
    DOWNLOAD = "download", _("Download")
    PLAY = "play", _("Play")


class ResourceHit(models.Model):
    """Views, downloads and plays of a resource per day: one row a day and kind, incremented with F()."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="hits")
    day = models.DateField()
    kind = models.CharField(max_length=10, choices=HitKind.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resource", "day", "kind"], name="edu_hit_unique")]
        indexes = [models.Index(fields=["kind", "day"], name="edu_hit_day_idx")]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.kind} {self.day}: {self.count}"


# --- stations and the Sunday class ----------------------------------------------------------------------


class Industry(models.Model):
    """A local industry a station's villagers live from (脐橙, 水稻, 米粉加工 …)."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    slug = models.SlugField(_("slug"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class StationQuerySet(ScopedQuerySet):
    pass


class Station(models.Model):
    """The profile of a distance-education station (远程教育站点): a unit of kind station."""

    unit = models.OneToOneField(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="station")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_stations",
    )
    equipment = models.CharField(_("equipment"), max_length=200, blank=True)
    industries = models.ManyToManyField(Industry, verbose_name=_("local industries"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members attached"), blank=True, related_name="stations"
    )
    session_minutes = models.PositiveSmallIntegerField(_("length of a session in minutes"), default=120)
    has_bandwidth = models.BooleanField(_("broadband"), default=True)

    objects = StationQuerySet.as_manager()
    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["unit__path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(session_minutes__gte=15) & Q(session_minutes__lte=480), name="edu_station_session_length"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        parent = self.unit.parent
        return f"{parent.name}{self.unit.name}" if parent is not None else self.unit.name


class RequestChannel(models.TextChoices):
    WEB = "web", _("Web")
    SMS = "sms", _("SMS")


class RequestState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SCHEDULED = "scheduled", _("In a programme")
    PLAYED = "played", _("Played")
    REFUSED = "refused", _("Refused")


class PlayRequest(models.Model):
    """An on-demand request (点播) of a library resource or a topic at a station."""

    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="requests")
    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    name = models.CharField(_("name"), max_length=50, blank=True)
    phone = models.CharField(_("telephone"), max_length=20, blank=True)
    channel = models.CharField(_("channel"), max_length=5, choices=RequestChannel.choices, default=RequestChannel.WEB)
    state = models.CharField(_("state"), max_length=10, choices=RequestState.choices, default=RequestState.PENDING)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now, db_index=True)
    item = models.ForeignKey(
        "ProgrammeItem",
        verbose_name=_("programme item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "station__unit"

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resource__isnull=False) | Q(topic__isnull=False), name="edu_request_has_subject"
            )
        ]

    def __str__(self) -> str:
        return str(self.resource or self.topic)


class SeasonRule(models.Model):
    """A county rule of the season and production (春耕, 防汛, 秋收, 脐橙冬季管护 …): what to play in which months."""

    name = models.CharField(_("name"), max_length=50)
    months = models.JSONField(_("months"), default=list, help_text=_("Month numbers 1-12."))
    industry = models.ForeignKey(
        Industry,
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Empty: every station."),
    )
    resources = models.ManyToManyField(Resource, verbose_name=_("resources"), related_name="+")
    priority = models.PositiveSmallIntegerField(_("priority"), default=50)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("seasonal rule")
        verbose_name_plural = _("seasonal rules")
        ordering = ["-priority", "pk"]

    def __str__(self) -> str:
        return self.name


class CountyItem(models.Model):
    """A resource every station must play between two dates (county-wide policy items)."""

    resource = models.ForeignKey(Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="+")
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("county-wide item")
        verbose_name_plural = _("county-wide items")
        ordering = ["-start"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="edu_countyitem_period")]

    def __str__(self) -> str:
        return str(self.resource)


class ProgrammeState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Programme(models.Model):
    """A station's programme for one Sunday (节目预报): drafted by the builder, adjusted and published."""

    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="programmes")
    sunday = models.DateField(_("Sunday"))
    state = models.CharField(_("state"), max_length=10, choices=ProgrammeState.choices, default=ProgrammeState.DRAFT)
    built_at = models.DateTimeField(_("built at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "station__unit"

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-sunday", "station__unit__path"]
        constraints = [models.UniqueConstraint(fields=["station", "sunday"], name="edu_programme_unique")]

    def __str__(self) -> str:
        return f"{self.station} {self.sunday}"


class ItemReason(models.TextChoices):
    COUNTY = "county", _("County-wide item")
    REQUEST = "request", _("Requested")
    SEASON = "season", _("Season and production")
    INDUSTRY = "industry", _("Local industry")
    FILL = "fill", _("Popular in the library")
    CHOICE = "choice", _("Manager's choice")


class ProgrammeItem(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="items")
    resource = models.ForeignKey(Resource, verbose_name=_("resource"), on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("order"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    reason = models.CharField(_("reason"), max_length=10, choices=ItemReason.choices)

    class Meta:
        ordering = ["programme", "order"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "resource"], name="edu_item_unique_resource"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.resource_id}"


class ReportSource(models.TextChoices):
    WEB = "web", _("Web form")
    FILE = "file", _("Uploaded file")


class ClassReport(models.Model):
    """What a station's Sunday class did (学习台帐): what was played, who came, what was discussed."""

    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="reports")
    programme = models.OneToOneField(
        Programme, verbose_name=_("programme"), null=True, blank=True, on_delete=models.SET_NULL, related_name="report"
    )
    held_on = models.DateField(_("held on"))
    minutes = models.PositiveSmallIntegerField(_("length in minutes"))
    attendance = models.PositiveSmallIntegerField(_("attendance"))
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members checked in"), blank=True, related_name="+"
    )
    discussion = models.TextField(_("discussion after the class"), blank=True)
    source = models.CharField(_("source"), max_length=5, choices=ReportSource.choices, default=ReportSource.WEB)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "station__unit"

    class Meta:
        verbose_name = _("class report")
        verbose_name_plural = _("class reports")
        ordering = ["-held_on"]
        constraints = [
            models.UniqueConstraint(fields=["station", "held_on"], name="edu_report_one_per_day"),
            models.CheckConstraint(condition=Q(minutes__gte=1) & Q(minutes__lte=720), name="edu_report_minutes_range"),
        ]
        indexes = [models.Index(fields=["held_on"], name="edu_report_day_idx")]

    def __str__(self) -> str:
        return f"{self.station} {self.held_on}"


class PlayedItem(models.Model):
    report = models.ForeignKey(ClassReport, on_delete=models.CASCADE, related_name="played")
    resource = models.ForeignKey(Resource, verbose_name=_("resource"), on_delete=models.PROTECT, related_name="+")
    minutes = models.PositiveSmallIntegerField(_("minutes"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "resource"], name="edu_played_unique")]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.resource_id}"


# --- learning records -----------------------------------------------------------------------------------


class StudyRecord(models.Model):
    """A member's study of one resource on one day: seconds credited from heartbeats of an active page or player."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.CASCADE, related_name="study_records"
    )
    resource = models.ForeignKey(Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    seconds = models.PositiveIntegerField(_("seconds studied"), default=0)
    last_beat_at = models.DateTimeField(_("last heartbeat"))

    class Meta:
        verbose_name = _("study record")
        verbose_name_plural = _("study records")
        ordering = ["-day", "resource"]
        constraints = [models.UniqueConstraint(fields=["user", "resource", "day"], name="edu_study_unique_day")]
        indexes = [models.Index(fields=["user", "day"], name="edu_study_user_day_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.resource_id} {self.day}: {self.seconds}"


# --- quizzes --------------------------------------------------------------------------------------------


class QuestionBank(models.Model):
    """A bank of questions on one subject (党章, 党史 …), kept by a unit; quizzes draw their questions from banks."""

    name = models.CharField(_("name"), max_length=100)
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), null=True, blank=True, on_delete=models.SET_NULL, related_name="banks"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL, related_name="banks"
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    unit = models.ForeignKey(Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="edu_bank_unique_name")]

    def __str__(self) -> str:
        return self.name


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TRUE_FALSE = "true_false", _("True or false")


class Question(models.Model):
    """One question of a bank with its options; the right answer is the options marked correct."""

    bank = models.ForeignKey(QuestionBank, verbose_name=_("bank"), on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    text = models.TextField(_("question"))
    explanation = models.TextField(_("explanation"), blank=True, help_text=_("Shown with the right answer."))
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive questions are no longer drawn; past results keep them.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "bank__unit"

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["bank", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["single", "multiple", "true_false"]), name="edu_question_kind")
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Option(models.Model):
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="options")
    order = models.PositiveSmallIntegerField(_("order"))
    text = models.CharField(_("option"), max_length=300)
    is_correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["question", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["question", "order"], name="edu_option_unique_order")]

    def __str__(self) -> str:
        return self.text

    @property
    def letter(self) -> str:
        return "ABCDEFGHIJ"[self.order - 1] if 1 <= self.order <= 10 else str(self.order)


class QuizKind(models.TextChoices):
    DAILY = "daily", _("Daily quiz")
    TEST = "test", _("Special test")


class Quiz(models.Model):
    """A daily quiz (每日答题: a fresh draw per member and day) or a special test (专题测试: a window, a pass mark,
    a time limit and a number of attempts). Members in the unit's subtree take it."""

    kind = models.CharField(_("kind"), max_length=10, choices=QuizKind.choices)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+",
        help_text=_("Members of this unit and the units below it take the quiz."),
    )  # fmt: skip
    banks = models.ManyToManyField(QuestionBank, verbose_name=_("question banks"), related_name="quizzes")
    question_count = models.PositiveSmallIntegerField(_("number of questions"), default=5)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (percent)"), default=60)
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("time limit in minutes"), null=True, blank=True, help_text=_("Empty: no time limit.")
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=1, help_text=_("A daily quiz is taken once a day.")
    )
    opens_at = models.DateTimeField(_("opens at"), default=timezone.now)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True, help_text=_("A special test must close."))
    is_published = models.BooleanField(_("published"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["daily", "test"]), name="edu_quiz_kind"),
            models.CheckConstraint(
                condition=Q(question_count__gte=1) & Q(question_count__lte=100),
                name="edu_quiz_question_count",
                violation_error_message=_("A quiz has 1 to 100 questions."),
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__lte=100),
                name="edu_quiz_pass_mark",
                violation_error_message=_("The pass mark is a percentage from 0 to 100."),
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1) & Q(max_attempts__lte=10),
                name="edu_quiz_max_attempts",
                violation_error_message=_("A test allows 1 to 10 attempts."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="daily") | Q(max_attempts=1),
                name="edu_quiz_daily_once",
                violation_error_message=_("A daily quiz is taken once a day: one attempt."),
            ),
            models.CheckConstraint(
                condition=Q(time_limit_minutes__isnull=True)
                | (Q(time_limit_minutes__gte=1) & Q(time_limit_minutes__lte=600)),
                name="edu_quiz_time_limit",
                violation_error_message=_("The time limit is 1 to 600 minutes, or none."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="test") | Q(closes_at__isnull=False),
                name="edu_quiz_test_closes",
                violation_error_message=_("A special test needs the time it closes."),
            ),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="edu_quiz_window",
                violation_error_message=_("A quiz closes after it opens."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_daily(self) -> bool:
        return self.kind == QuizKind.DAILY

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.is_published and self.opens_at <= now and (self.closes_at is None or now < self.closes_at)


#: A submission this long after the time ran out is still taken (the page submits itself when the time is up).
SUBMIT_GRACE = timedelta(seconds=60)


class AttemptQuerySet(ScopedQuerySet):
    def submitted(self):
        return self.filter(submitted_at__isnull=False)


class Attempt(models.Model):
    """One sitting of a quiz by a member: the questions drawn when it starts, graded on the server when submitted.

    `unit` is the member's unit when the attempt started (their branch), so a test's results roll up by branch and
    township and staff see the results of their own units only."""

    quiz = models.ForeignKey(Quiz, verbose_name=_("quiz"), on_delete=models.PROTECT, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    is_daily = models.BooleanField(_("daily quiz"), default=False)
    day = models.DateField(_("day"))
    number = models.PositiveSmallIntegerField(_("attempt"), default=1)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    deadline = models.DateTimeField(
        _("deadline"), help_text=_("The time limit, the test's close or the end of the day, whichever comes first.")
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    total = models.PositiveSmallIntegerField(_("questions"), default=0)
    correct = models.PositiveSmallIntegerField(_("answered right"), default=0)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)

    objects = AttemptQuerySet.as_manager()
    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "user", "day"], condition=Q(is_daily=True), name="edu_attempt_daily_once"
            ),
            models.UniqueConstraint(
                fields=["quiz", "user", "number"], condition=Q(is_daily=False), name="edu_attempt_number"
            ),
            models.CheckConstraint(condition=Q(correct__lte=models.F("total")), name="edu_attempt_correct"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=100), name="edu_attempt_score"),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | (Q(score__isnull=False) & Q(passed__isnull=False)),
                name="edu_attempt_graded",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "day"], name="edu_attempt_user_day_idx"),
            models.Index(fields=["quiz", "unit"], name="edu_attempt_quiz_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz_id} {self.user_id} #{self.number} {self.day}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def is_running(self) -> bool:
        """Not submitted and still in time (with the grace for the page's own submission when the time is up)."""
        return self.submitted_at is None and timezone.now() <= self.deadline + SUBMIT_GRACE


class Answer(models.Model):
    """A question of an attempt, in the order drawn, and what the member chose (option ids), graded on submission."""

    attempt = models.ForeignKey(Attempt, verbose_name=_("attempt"), on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("order"))
    chosen = models.JSONField(_("options chosen"), default=list)
    is_correct = models.BooleanField(_("right"), null=True, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["attempt", "order"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="edu_answer_unique_question"),
            models.UniqueConstraint(fields=["attempt", "order"], name="edu_answer_unique_order"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}.{self.order}"

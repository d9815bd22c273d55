"""Public pages of the education supermarket: the library (browse, search, read, watch, download)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dangjian.education import actions, files, forms, learning, queries, streaming
from dangjian.education.models import Attempt, Category, EditionPage, HitKind, Kind, Quiz, Resource, Station, Topic

PAGE_SIZE = 20


def _listing(qs):
    return qs.select_related("category").only(
        "pk", "title", "summary", "kind", "published_at", "duration", "view_count", "category__name", "access"
    )


@require_safe
def library(request: HttpRequest) -> HttpResponse:
    visible = queries.visible_resources(request.user)
    categories = (
        Category.objects.filter(parent__isnull=True)
        .annotate(
            total=Count("resources", filter=Q(resources__in=visible), distinct=True)
            + Count("children__resources", filter=Q(children__resources__in=visible), distinct=True)
        )
        .prefetch_related("children")
    )
    return render(
        request,
        "education/library.html",
        {
            "categories": categories,
            "topics": Topic.objects.all(),
            "new": _listing(queries.new_this_week(visible))[:8],
            "popular": _listing(queries.most_studied(visible))[:8],
        },
    )


def _page(request: HttpRequest, qs):
    return Paginator(_listing(qs), PAGE_SIZE).get_page(request.GET.get("page"))


@require_safe
def category(request: HttpRequest, slug: str) -> HttpResponse:
    cat = get_object_or_404(Category.objects.select_related("parent"), slug=slug)
    qs = queries.in_category(queries.visible_resources(request.user), cat)
    kind = request.GET.get("kind", "")
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    return render(
        request,
        "education/listing.html",
        {"heading": cat.name, "category": cat, "children": cat.children.all(), "page": _page(request, qs),
         "kinds": Kind.choices, "kind": kind},
    )  # fmt: skip


@require_safe
def topic(request: HttpRequest, slug: str) -> HttpResponse:
    t = get_object_or_404(Topic, slug=slug)
    qs = queries.visible_resources(request.user).filter(topics=t)
    return render(request, "education/listing.html", {"heading": t.name, "topic": t, "page": _page(request, qs)})


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    results = list(queries.search(request.user, q)[:50]) if q else []
    return render(request, "education/search.html", {"q": q, "results": results})


#: What serving a file needs of its item: a player asks for many ranges, each a request, and an item's extracted
#: text (a whole book's, for a document) is not read for each.
_SERVING_FIELDS = ("pk", "title", "kind", "file", "content_type", "size", "sha256", "published_at")


def _visible_or_login(request: HttpRequest, pk: int, *, serving: bool = False) -> Resource:
    qs = queries.visible_resources(request.user).filter(pk=pk)
    resource = (qs.only(*_SERVING_FIELDS) if serving else qs.select_related("category__parent")).first()
    if resource is None:
        raise Http404
    return resource


@require_safe
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        resource = _visible_or_login(request, pk)
    except Http404:
        if not request.user.is_authenticated and Resource.objects.filter(pk=pk).exists():
            return redirect_to_login(request.get_full_path())
        raise
    actions.count_hit(resource, HitKind.VIEW)
    pages = resource.pages.all() if resource.kind == Kind.EDITION else []
    return render(
        request,
        "education/detail.html",
        {
            "resource": resource,
            "pages": pages,
            "paragraphs": [p for p in resource.text.split("\n") if p.strip()],
            "topics": resource.topics.all(),
            "playable": queries.playable().filter(pk=resource.pk).exists(),
            "beat": learning.beat_seconds(),
        },
    )


def _serve(request: HttpRequest, *, field, size, content_type, etag, modified, filename, attachment):
    return streaming.serve(
        request,
        opener=lambda: field.storage.open(field.name, "rb"),
        size=size,
        content_type=content_type,
        etag=etag,
        last_modified=modified,
        filename=filename,
        attachment=attachment,
    )


def _starts_at_zero(request: HttpRequest) -> bool:
    """A request for the whole file or its beginning: counted once, not for every later range of a player."""
    header = request.headers.get("Range", "")
    return request.method == "GET" and (not header or header.replace(" ", "").startswith("bytes=0-"))


@require_safe
@xframe_options_sameorigin
def file(request: HttpRequest, pk: int, download: bool = False) -> HttpResponse:
    resource = _visible_or_login(request, pk, serving=True)
    if not resource.file:
        raise Http404
    if _starts_at_zero(request):
        if download:
            actions.count_hit(resource, HitKind.DOWNLOAD)
        elif resource.is_media:
            actions.count_hit(resource, HitKind.PLAY)
    ext = files.EXTENSIONS.get(resource.content_type, "bin")
    return _serve(
        request,
        field=resource.file,
        size=resource.size,
        content_type=resource.content_type,
        etag=f'"{resource.sha256}"',
        modified=resource.published_at,
        filename=f"{resource.title}.{ext}",
        attachment=download,
    )


@require_safe
@xframe_options_sameorigin
def edition_page(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    resource = _visible_or_login(request, pk, serving=True)
    page = get_object_or_404(EditionPage, resource=resource, number=number)
    return _serve(
        request,
        field=page.file,
        size=page.size,
        content_type=page.content_type,
        etag=f'"p{page.pk}-{page.size}"',
        modified=resource.published_at,
        filename=f"{resource.title}-{number}.{files.EXTENSIONS.get(page.content_type, 'bin')}",
        attachment=False,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def request_play(request: HttpRequest) -> HttpResponse:
    """点播: a member or villager asks their station to play a library item or a topic at a coming Sunday class."""
    user = request.user if request.user.is_authenticated else None
    resource = None
    if pk := (request.POST.get("resource") or request.GET.get("resource") or "").strip():
        resource = queries.playable().filter(pk=pk).first() if pk.isdigit() else None
        if resource is None:
            raise Http404
    stations = Station.objects.select_related("unit__parent").order_by("unit__path")
    mine = list(user.stations.values_list("pk", flat=True)[:1]) if user else []
    form = forms.RequestForm(request.POST or None, initial={"station": mine[0] if mine else None})
    form.fields["station"].choices = [(s.pk, s.name) for s in stations]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.request_play(
                station=get_object_or_404(Station, pk=data["station"]),
                resource=resource,
                topic=None if resource else data["topic"],
                user=user,
                name=data["name"],
                phone=data["phone"],
                note=data["note"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Your request is received; the station manager plans it into a coming class."))
            return redirect("education:detail", pk=resource.pk) if resource else redirect("education:library")
    return render(request, "education/request.html", {"form": form, "resource": resource})


@require_POST
def heartbeat(request: HttpRequest, pk: int) -> HttpResponse:
    """A heartbeat of a page or player in use (static/education/study.js): credits the real time since the last."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": _("Log in to keep a learning record.")}, status=403)
    resource = _visible_or_login(request, pk)
    try:
        seconds = int(request.POST.get("seconds", "0"))
    except ValueError:
        return JsonResponse({"detail": _("Seconds must be a whole number.")}, status=400)
    credited = learning.record_heartbeat(user=request.user, resource=resource, seconds=seconds)
    return JsonResponse({"credited": credited})


def _year(request: HttpRequest) -> int:
    today = timezone.localdate()
    y = request.GET.get("year", "")
    return int(y) if y.isdigit() and 2000 <= int(y) <= today.year else today.year


@require_safe
@login_required
def my_record(request: HttpRequest) -> HttpResponse:
    """The member's own learning record: study time and points per day, the year's total, the certificate."""
    y = _year(request)
    record = learning.year(request.user, y)
    page = Paginator(record.days, 31).get_page(request.GET.get("page"))
    today = [d for d in record.days if d.day == timezone.localdate()]
    attempts = Attempt.objects.submitted().filter(user=request.user, day__year=y).select_related("quiz")[:10]
    return render(request, "education/record.html",
                  {"record": record, "page": page, "today": today[0] if today else None, "rules": learning.rules(),
                   "attempts": attempts,
                   "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1)})  # fmt: skip


@require_safe
@login_required
def certificate(request: HttpRequest) -> HttpResponse:
    """A printable certificate of the member's study hours in a year."""
    return render(request, "education/certificate.html", {"record": learning.year(request.user, _year(request))})


# --- quizzes --------------------------------------------------------------------------------------------


@require_safe
@login_required
def quizzes(request: HttpRequest) -> HttpResponse:
    """Today's daily quiz and the special tests open to the member, with what they have done of each."""
    open_now = list(queries.open_quizzes(request.user).select_related("unit"))
    mine = queries.my_attempts_by_quiz(request.user, open_now, timezone.localdate())
    rows = [(q, mine.get(q.pk, [])) for q in open_now]
    return render(request, "education/quizzes.html", {"rows": rows, "rules": learning.rules()})


def _my_quiz(request: HttpRequest, pk: int):
    item = queries.open_quizzes(request.user).filter(pk=pk).select_related("unit").first()
    if item is None and not Attempt.objects.filter(quiz_id=pk, user=request.user).exists():
        raise Http404
    return item or get_object_or_404(Quiz.objects.select_related("unit"), pk=pk)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def quiz_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A quiz's rules and the member's attempts; the button starts (or resumes) an attempt."""
    item = _my_quiz(request, pk)
    if request.method == "POST":
        try:
            attempt = actions.start_attempt(user=request.user, quiz_=item)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("education:quiz", pk=item.pk)
        return redirect("education:attempt", pk=attempt.pk)
    attempts = list(Attempt.objects.filter(quiz=item, user=request.user).order_by("-started_at", "-pk"))
    now = timezone.now()
    if item.is_daily:
        current = next((a for a in attempts if a.day == timezone.localdate(now)), None)
    else:
        current = next((a for a in attempts if not a.is_submitted and a.deadline > now), None)
    left = 0 if item.is_daily else max(0, item.max_attempts - len(attempts))
    return render(request, "education/quiz.html",
                  {"quiz": item, "attempts": attempts, "open": item.is_open(now), "current": current,
                   "left": left})  # fmt: skip


def _reveal(attempt: Attempt) -> bool:
    """Right answers and explanations: after a daily quiz at once; after a test once no attempt is left or the test
    has closed, so a second attempt is not taken with the first one's answers in hand."""
    item = attempt.quiz
    if attempt.is_daily or not item.is_open():
        return True
    return Attempt.objects.filter(quiz=item, user=attempt.user).count() >= item.max_attempts


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def attempt(request: HttpRequest, pk: int) -> HttpResponse:
    """The member's attempt: the questions while it runs; the score, and the right answers, once submitted."""
    current = get_object_or_404(Attempt.objects.select_related("quiz"), pk=pk, user=request.user)
    answers = list(current.answers.select_related("question").prefetch_related("question__options").order_by("order"))
    now = timezone.now()
    if refusal := actions.submission_refusal(current, now):
        if request.method == "POST":
            messages.error(request, refusal)
        reveal = current.is_submitted and _reveal(current)
        return render(request, "education/attempt_result.html",
                      {"attempt": current, "quiz": current.quiz, "answers": answers, "reveal": reveal},
                      status=400 if request.method == "POST" else 200)  # fmt: skip
    form = forms.AnswerForm(answers, request.POST or None, required=now < current.deadline)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.submit_attempt(user=request.user, attempt=current, answers=form.answer_map())
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your answers are submitted."))
                return redirect("education:attempt", pk=current.pk)
        status = 400
    return render(request, "education/attempt.html",
                  {"attempt": current, "quiz": current.quiz, "form": form, "remaining": current.deadline - now},
                  status=status)  # fmt: skip


@require_safe
@login_required
def my_results(request: HttpRequest) -> HttpResponse:
    """Every quiz and test the member has taken, newest first, with the score."""
    attempts = Attempt.objects.filter(user=request.user).select_related("quiz").order_by("-started_at", "-pk")
    page = Paginator(attempts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "education/quiz_results.html", {"page": page})

"""Staff pages of the education supermarket (/work/education/): stations, programmes, reports, the report card.

Every query goes through the permission layer: a station manager sees their station, a township its stations.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from dangjian.core.models import Unit, UnitKind, User
from dangjian.core.permissions import STAFF_KINDS, scope_for
from dangjian.education import actions, forms, learning, package, queries
from dangjian.education.models import (
    Attempt,
    ClassReport,
    PlayRequest,
    Programme,
    ProgrammeItem,
    ProgrammeState,
    QuestionBank,
    QuizKind,
    RequestState,
    Resource,
    Station,
)

PAGE_SIZE = 20


def _require_staff(request: HttpRequest) -> None:
    """The overview pages (stations, report card, leaderboard) are for staff: a plain member gets 403, not an empty
    page. A member's own learning record is at /education/me/."""
    if not scope_for(request.user).has_kind(*STAFF_KINDS):
        raise PermissionDenied


def _stations(request: HttpRequest):
    return Station.objects.for_user(request.user, kinds=STAFF_KINDS).select_related("unit__parent")


def _station(request: HttpRequest, pk: int) -> Station:
    return get_object_or_404(_stations(request), pk=pk)


def _programme(request: HttpRequest, pk: int) -> Programme:
    return get_object_or_404(
        Programme.objects.for_user(request.user, kinds=STAFF_KINDS).select_related("station__unit__parent"), pk=pk
    )


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    stations = _stations(request)
    sunday = queries.next_sunday(timezone.localdate())
    q = request.GET.get("q", "").strip()[:50]
    if q:
        stations = stations.filter(Q(unit__name__contains=q) | Q(unit__parent__name__contains=q))
    stations = stations.annotate(
        pending=Count("requests", filter=Q(requests__state=RequestState.PENDING), distinct=True)
    ).order_by("unit__path")
    page = Paginator(stations, PAGE_SIZE).get_page(request.GET.get("page"))
    states = dict(
        Programme.objects.filter(station__in=[s.pk for s in page], sunday=sunday).values_list("station_id", "state")
    )
    rows = [(s, states.get(s.pk)) for s in page]
    can_add = scope_for(request.user).has_kind(*actions.LIBRARY_ROLES)
    return render(request, "education/work/index.html",
                  {"page": page, "rows": rows, "sunday": sunday, "q": q, "can_add": can_add})  # fmt: skip


def station(request: HttpRequest, pk: int) -> HttpResponse:
    st = _station(request, pk)
    form = forms.StationForm(
        request.POST or None,
        initial={"equipment": st.equipment, "session_minutes": st.session_minutes,
                 "has_bandwidth": st.has_bandwidth, "industries": st.industries.all()},
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_station(actor=request.user, station=st, **form.cleaned_data)
        except ValidationError as exc:
            _errors(request, exc)
        except PermissionDenied:
            messages.error(request, _("Only the station's manager can change it."))
        else:
            messages.success(request, _("The station is saved."))
            return redirect("education_work:station", pk=st.pk)
    sunday = queries.next_sunday(timezone.localdate())
    return render(
        request,
        "education/work/station.html",
        {
            "station": st,
            "form": form,
            "sunday": sunday,
            "programmes": st.programmes.order_by("-sunday")[:8],
            "reports": st.reports.order_by("-held_on")[:8],
            "requests": PlayRequest.objects.filter(station=st).select_related("resource", "topic")[:20],
        },
    )


@require_POST
def build(request: HttpRequest, pk: int) -> HttpResponse:
    st = _station(request, pk)
    actions._require_station_role(request.user, st)
    sunday = queries.next_sunday(timezone.localdate())
    try:
        actions.build_programmes(sunday=sunday, actor=request.user, stations=Station.objects.filter(pk=st.pk),
                                 rebuild=True)  # fmt: skip
    except ValidationError as exc:
        _errors(request, exc)
    prog = Programme.objects.filter(station=st, sunday=sunday).first()
    if prog is None:
        return redirect("education_work:station", pk=st.pk)
    if prog.state == ProgrammeState.PUBLISHED:
        messages.info(request, _("The programme is published already and was not rebuilt."))
    return redirect("education_work:programme", pk=prog.pk)


def programme(request: HttpRequest, pk: int) -> HttpResponse:
    prog = _programme(request, pk)
    items = list(prog.items.select_related("resource").order_by("order"))
    in_programme = [i.resource_id for i in items]
    choices = list(
        queries.playable()
        .exclude(pk__in=in_programme)
        .exclude(kind="edition")
        .order_by("-study_seconds", "title")
        .values_list("pk", "title")[:200]
    )
    form = forms.AddItemForm(request.POST or None)
    form.fields["resource"].choices = choices
    if request.method == "POST":
        try:
            _programme_post(request, prog, form)
        except ValidationError as exc:
            _errors(request, exc)
        except PermissionDenied:
            messages.error(request, _("Only the station's manager can change the programme."))
        return redirect("education_work:programme", pk=prog.pk)
    total = sum(i.minutes for i in items)
    return render(
        request,
        "education/work/programme.html",
        {"programme": prog, "items": items, "total": total, "form": form,
         "editable": prog.state == ProgrammeState.DRAFT},
    )  # fmt: skip


def _programme_post(request: HttpRequest, prog: Programme, form) -> None:
    op = request.POST.get("op")
    if op == "publish":
        actions.publish_programme(actor=request.user, programme_=prog)
        messages.success(request, _("The programme is published."))
    elif op == "add":
        if not form.is_valid():
            raise ValidationError(_("Choose an item of the library."))
        resource = get_object_or_404(Resource, pk=form.cleaned_data["resource"])
        actions.add_programme_item(actor=request.user, programme_=prog, resource=resource)
    elif op in ("remove", "up", "down"):
        item = get_object_or_404(ProgrammeItem, pk=request.POST.get("item", "0") or 0, programme=prog)
        if op == "remove":
            actions.remove_programme_item(actor=request.user, item=item)
        else:
            actions.move_programme_item(actor=request.user, item=item, up=op == "up")


@require_safe
def programme_print(request: HttpRequest, pk: int) -> HttpResponse:
    prog = _programme(request, pk)
    items = list(prog.items.select_related("resource").order_by("order"))
    return render(request, "education/work/programme_print.html",
                  {"programme": prog, "items": items, "total": sum(i.minutes for i in items)})  # fmt: skip


@require_safe
def programme_text(request: HttpRequest, pk: int) -> HttpResponse:
    prog = _programme(request, pk)
    response = HttpResponse(package.programme_text(prog), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="programme-{prog.station.unit.code}-{prog.sunday}.txt"'
    return response


@require_safe
def programme_package(request: HttpRequest, pk: int) -> HttpResponse:
    prog = _programme(request, pk)
    return FileResponse(
        package.build(prog),
        as_attachment=True,
        filename=f"sunday-class-{prog.station.unit.code}-{prog.sunday}.zip",
        content_type="application/zip",
    )


def report(request: HttpRequest, pk: int) -> HttpResponse:
    st = _station(request, pk)
    today = timezone.localdate()
    prog = Programme.objects.filter(station=st, sunday__lte=today).order_by("-sunday").first()
    played_choices = list(queries.playable().exclude(kind="edition").order_by("title").values_list("pk", "title"))
    initial = {"held_on": prog.sunday if prog else today, "minutes": st.session_minutes}
    if prog:
        initial["played"] = list(prog.items.values_list("resource_id", flat=True))
    form = forms.ReportForm(request.POST or None, initial=initial)
    form.fields["played"].choices = played_choices
    form.fields["attendees"].choices = list(st.members.order_by("username").values_list("pk", "display_name"))
    file_form = forms.ReportFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        try:
            if request.POST.get("op") == "file":
                if not file_form.is_valid():
                    raise ValidationError([e for errs in file_form.errors.values() for e in errs])
                done = actions.submit_report_file(actor=request.user, station=st,
                                                  data=file_form.cleaned_data["file"].read())  # fmt: skip
            else:
                if not form.is_valid():
                    raise ValidationError(_("Check the form: some fields are missing or wrong."))
                data = form.cleaned_data
                resources = {r.pk: r for r in Resource.objects.filter(pk__in=data["played"])}
                minutes = dict(ProgrammeItem.objects.filter(programme__station=st, programme__sunday=data["held_on"])
                               .values_list("resource_id", "minutes"))  # fmt: skip
                done = actions.submit_report(
                    actor=request.user, station=st, held_on=data["held_on"], minutes=data["minutes"],
                    attendance=data["attendance"], discussion=data["discussion"],
                    played=[(resources[i], minutes.get(i, 0)) for i in data["played"] if i in resources],
                    attendees=st.members.filter(pk__in=data["attendees"]),
                )  # fmt: skip
        except ValidationError as exc:
            _errors(request, exc)
        except PermissionDenied:
            messages.error(request, _("Only the station's manager can report its classes."))
        else:
            messages.success(request, _("The class of %(day)s is recorded.") % {"day": done.held_on.isoformat()})
            return redirect("education_work:station", pk=st.pk)
    return render(request, "education/work/report.html", {"station": st, "form": form, "file_form": file_form})


def library_add(request: HttpRequest) -> HttpResponse:
    """An editor or the organisation department adds an item to the library, for one of the units of their role."""
    units = list(
        Unit.objects.filter(roles__user=request.user, roles__kind__in=actions.LIBRARY_ROLES, is_active=True)
        .distinct()
        .order_by("path")
        .values_list("pk", "name")
    )
    if not units:
        raise PermissionDenied
    form = forms.ResourceForm(request.POST or None, request.FILES or None)
    form.fields["unit"].choices = units
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resource = actions.add_resource(
                actor=request.user, title=data["title"], kind=data["kind"], category=data["category"],
                unit=Unit.objects.get(pk=data["unit"]), stream=data["file"], url=data["url"],
                summary=data["summary"], topics=data["topics"], access=data["access"],
                classification=data["classification"],
            )  # fmt: skip
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("“%(title)s” is in the library.") % {"title": resource.title})
            return redirect("education:detail", pk=resource.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "education/work/library_add.html", {"form": form}, status=status)


@require_safe
def report_card(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    today = timezone.localdate()
    try:
        month = date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        month = today.replace(day=1)
    card = queries.report_card(request.user, month, kinds=STAFF_KINDS)
    township = request.GET.get("township", "")
    rows = [r for r in card.stations if not township or r.township == township]
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "education/work/report_card.html",
                  {"card": card, "page": page, "month": month, "township": township})  # fmt: skip


@require_safe
def station_reports(request: HttpRequest, pk: int) -> HttpResponse:
    st = _station(request, pk)
    page = Paginator(ClassReport.objects.filter(station=st).prefetch_related("played__resource"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "education/work/reports.html", {"station": st, "page": page})


#: The units a leaderboard is drawn for: the county, a township, a party branch.
BOARD_KINDS = (UnitKind.COUNTY, UnitKind.TOWNSHIP, UnitKind.GENERAL_BRANCH, UnitKind.BRANCH, UnitKind.VILLAGE)


@require_safe
def leaderboard(request: HttpRequest) -> HttpResponse:
    """Members who studied most this year, in a township or branch the staff user may see."""
    _require_staff(request)
    units = (
        scope_for(request.user).filter(Unit.objects.filter(kind__in=BOARD_KINDS), kinds=STAFF_KINDS).order_by("path")
    )
    pk = request.GET.get("unit", "")
    unit = units.filter(pk=pk).first() if pk.isdigit() else units.first()
    y = timezone.localdate().year
    rows = []
    if unit is not None:
        members = User.objects.filter(roles__unit__path__startswith=unit.path).distinct()
        rows = [(u, round(seconds / 3600, 1)) for u, seconds in learning.leaderboard(members, y)]
    return render(request, "education/work/leaderboard.html",
                  {"units": units[:500], "unit": unit, "rows": rows, "year": y})  # fmt: skip


# --- quizzes --------------------------------------------------------------------------------------------


@require_safe
def quizzes(request: HttpRequest) -> HttpResponse:
    """The daily quizzes and special tests a staff user may read the results of, newest first."""
    _require_staff(request)
    qs = (
        queries.staff_quizzes(request.user)
        .select_related("unit")
        .annotate(takers=Count("attempts__user", filter=Q(attempts__submitted_at__isnull=False), distinct=True))
    )
    page = Paginator(qs.order_by("-opens_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    can_edit = scope_for(request.user).has_kind(*actions.QUIZ_ROLES)
    return render(request, "education/work/quizzes.html", {"page": page, "can_edit": can_edit})


@require_safe
def quiz_results(request: HttpRequest, pk: int) -> HttpResponse:
    """A test's results per township and branch, for the units the staff user may see."""
    _require_staff(request)
    item = get_object_or_404(queries.staff_quizzes(request.user).select_related("unit"), pk=pk)
    results = queries.quiz_results(request.user, item)
    township = request.GET.get("township", "")
    rows = [r for r in results.branches if not township or r.township == township]
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "education/work/quiz_results.html",
                  {"quiz": item, "results": results, "page": page, "township": township,
                   "questions": queries.question_stats(request.user, item)})  # fmt: skip


@require_safe
def quiz_non_takers(request: HttpRequest, pk: int) -> HttpResponse:
    """The members of the user's units who have not taken a special test, by branch; `?unit=` narrows it to one."""
    _require_staff(request)
    item = get_object_or_404(
        queries.staff_quizzes(request.user).filter(kind=QuizKind.TEST).select_related("unit"), pk=pk
    )
    unit = None
    if "unit" in request.GET:
        unit = get_object_or_404(
            scope_for(request.user).filter(Unit.objects.filter(path__startswith=item.unit.path), kinds=STAFF_KINDS),
            pk=request.GET["unit"] if request.GET["unit"].isdigit() else 0,
        )
    rows = queries.quiz_non_takers(request.user, item, unit)
    started = set(Attempt.objects.filter(quiz=item, submitted_at__isnull=True).values_list("user_id", flat=True))
    page = Paginator(rows, PAGE_SIZE * 2).get_page(request.GET.get("page"))
    return render(request, "education/work/quiz_non_takers.html",
                  {"quiz": item, "page": page, "unit": unit, "started": started})  # fmt: skip


def _banks(request: HttpRequest):
    return QuestionBank.objects.for_user(request.user, kinds=actions.QUIZ_ROLES)


@require_safe
def banks(request: HttpRequest) -> HttpResponse:
    """The question banks of the staff user's units, with their questions counted; edited in the admin."""
    if not scope_for(request.user).has_kind(*actions.QUIZ_ROLES):
        raise PermissionDenied
    qs = (
        _banks(request)
        .select_related("unit", "topic")
        .annotate(active=Count("questions", filter=Q(questions__is_active=True)))
    )
    page = Paginator(qs.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "education/work/banks.html", {"page": page})


def bank_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Questions into a bank from a spreadsheet: every row checked first; all are added or none."""
    bank = get_object_or_404(_banks(request).select_related("unit"), pk=pk)
    form = forms.ImportQuestionsForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                added, skipped = actions.import_questions(
                    actor=request.user, bank=bank, content=upload.read(), filename=upload.name
                )
            except ValidationError as exc:
                form.add_error("file", exc)
            except PermissionDenied:
                form.add_error("file", _("Only the editors of the bank's unit can add questions to it."))
            else:
                messages.success(
                    request,
                    _("%(added)s questions added to “%(bank)s”; %(skipped)s were in the bank already.")
                    % {"added": added, "bank": bank.name, "skipped": skipped},
                )
                return redirect("education_work:banks")
    return render(request, "education/work/bank_import.html", {"bank": bank, "form": form}, status=status)

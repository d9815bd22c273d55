"""Public pages of the supervision supermarket: write a letter, follow it with the receipt, read published letters."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dangjian.core.paging import WindowPaginator
from dangjian.supervision import actions, forms, interviews, pow, queries, throttle
from dangjian.supervision import attachments as att
from dangjian.supervision.models import Bulletin, Channel, Interview, RatingValue

PAGE_SIZE = 20


def _page(request: HttpRequest, qs):
    return WindowPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "supervision/index.html",
        {
            "channels": queries.public_channels(),
            "letters": queries.published_letters()[:10],
            "bulletins": Bulletin.objects.filter(published_at__isnull=False)[:3],
        },
    )


@require_safe
def channel(request: HttpRequest, code: str) -> HttpResponse:
    ch = get_object_or_404(queries.public_channels(), code=code)
    letters = queries.published_letters(ch) if ch.is_published else queries.published_letters().none()
    return render(request, "supervision/channel.html", {"channel": ch, "page": _page(request, letters)})


@require_safe
def letters(request: HttpRequest) -> HttpResponse:
    return render(request, "supervision/letters.html", {"page": _page(request, queries.published_letters())})


@require_safe
def letter(request: HttpRequest, pk: int) -> HttpResponse:
    found = queries.public_letter(pk)
    if found is None:
        raise Http404
    ratings = list(found.ratings.all())
    return render(request, "supervision/letter.html", {"letter": found, "rating": ratings[-1] if ratings else None})


#: What the writer is told when the form's proof of work (supervision.pow) fails; the form comes back with a new one.
POW_MESSAGES = {
    "": gettext_lazy(
        "The form's check against automated letters did not finish. Wait until the form says it is ready, then "
        "send the letter again."
    ),
    "expired": gettext_lazy(
        "The form was open for more than an hour and has been renewed. Please send the letter again."
    ),
    "used": gettext_lazy("This form was already sent once. Please send the letter again from the renewed form."),
}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def write(request: HttpRequest, code: str) -> HttpResponse:
    ch = get_object_or_404(Channel.objects.select_related("unit"), code=code, is_active=True)
    form = forms.LetterForm(request.POST or None, request.FILES or None, channel=ch)
    if request.method == "POST" and form.is_valid():
        work = pow.verify(request.POST.get("pow_challenge", ""), request.POST.get("pow_nonce", ""))
        if form.cleaned_data["website"]:
            form.add_error(None, _("The letter could not be accepted."))
        elif not work.ok:
            form.add_error(None, POW_MESSAGES.get(work.reason, POW_MESSAGES[""]))
        elif not throttle.allow(request, "write"):
            form.add_error(None, _("Too many letters from your connection; please try again in an hour."))
        else:
            data = form.cleaned_data
            uploads = [att.Upload(f.name, f.read(att.MAX_FILE_BYTES + 1)) for f in data["attachments"]]
            try:
                submitted = actions.submit_letter(
                    channel_code=ch.code,
                    title=data["title"],
                    body=data["body"],
                    anonymous=bool(data.get("anonymous")),
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    contact_email=data["contact_email"],
                    category=data["category"],
                    area=data["area"],
                    is_public=data["is_public"],
                    attachments=uploads,
                    challenge=work.ident,
                    channel=ch,
                )
            except ValidationError as exc:
                forms.add_action_errors(form, exc)
            else:
                # The receipt is shown once, in this answer to the POST; it is never put in a URL.
                return render(request, "supervision/receipt.html", {"submitted": submitted, "channel": ch})
    status = 400 if request.method == "POST" else 200
    context = {"channel": ch, "form": form, "pow_challenge": pow.issue()}
    return render(request, "supervision/write.html", context, status=status)


def _status_page(request: HttpRequest, receipt: str, *, form=None, status: int = 200) -> HttpResponse:
    found = actions.letter_for_receipt(receipt)
    if found is None:
        lookup = forms.ReceiptForm({"receipt": ""})
        lookup.errors.clear()
        lookup.add_error("receipt", _("No letter has this receipt. Check the letters and try again."))
        return render(request, "supervision/lookup.html", {"form": lookup}, status=404)
    rated = {r.round for r in found.ratings.all()}
    context = {
        "letter": found,
        "receipt": receipt,
        "follow_ups": found.follow_ups.select_related("unit"),
        "results": found.results.filter(signed_off_at__isnull=False).select_related("unit"),
        "events": found.events.filter(verb__in=queries.PUBLIC_EVENTS).select_related("unit"),
        "can_rate": found.status in ("answered", "closed") and found.reopened_count not in rated,
        "can_reopen": found.status == "answered"
        and found.reopened_count == 0
        and found.ratings.filter(value=RatingValue.UNSATISFIED).exists(),
        "rating_form": form if isinstance(form, forms.RatingForm) else forms.RatingForm(initial={"receipt": receipt}),
        "reopen_form": form if isinstance(form, forms.ReopenForm) else forms.ReopenForm(initial={"receipt": receipt}),
    }
    return render(request, "supervision/status.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """查询: the receipt comes in a POST body only (never a URL, so it stays out of logs and histories)."""
    form = forms.ReceiptForm(request.POST or None)
    if request.method == "POST":
        if not throttle.allow(request, "lookup"):
            form.add_error(None, _("Too many look-ups from your connection; please wait ten minutes."))
        elif form.is_valid():
            return _status_page(request, form.cleaned_data["receipt"])
        return render(request, "supervision/lookup.html", {"form": form}, status=400)
    return render(request, "supervision/lookup.html", {"form": form})


def _citizen_act(request: HttpRequest, form_class, act) -> HttpResponse:
    form = form_class(request.POST)
    if not throttle.allow(request, "lookup"):
        return render(request, "supervision/lookup.html", {"form": forms.ReceiptForm()}, status=429)
    if not form.is_valid():
        return _status_page(request, request.POST.get("receipt", ""), form=form, status=400)
    try:
        act(form.cleaned_data)
    except ValidationError as exc:
        forms.add_action_errors(form, exc)
        return _status_page(request, form.cleaned_data["receipt"], form=form, status=400)
    return _status_page(request, form.cleaned_data["receipt"])


@never_cache
@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    return _citizen_act(
        request,
        forms.RatingForm,
        lambda d: actions.rate_letter(receipt=d["receipt"], value=d["value"], comment=d["comment"]),
    )


@never_cache
@require_POST
def reopen(request: HttpRequest) -> HttpResponse:
    return _citizen_act(
        request, forms.ReopenForm, lambda d: actions.reopen_letter(receipt=d["receipt"], reason=d["reason"])
    )


@require_safe
def criticism(request: HttpRequest) -> HttpResponse:
    bulletins = Bulletin.objects.filter(published_at__isnull=False).order_by("-month", "-pk")
    return render(request, "supervision/criticism.html", {"page": _page(request, bulletins)})


@require_safe
def interview_list(request: HttpRequest) -> HttpResponse:
    return render(request, "supervision/interviews.html", {"page": _page(request, Interview.objects.all())})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def interview(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(Interview, pk=pk)
    form = forms.QuestionForm(request.POST or None)
    asked = False
    if request.method == "POST" and form.is_valid():
        if not throttle.allow(request, "write"):
            form.add_error(None, _("Too many questions from your connection; please wait a little."))
        else:
            try:
                interviews.ask_question(
                    interview=session, body=form.cleaned_data["body"], asker=form.cleaned_data["asker"]
                )
            except ValidationError as exc:
                forms.add_action_errors(form, exc)
            else:
                asked, form = True, forms.QuestionForm()
    context = {"interview": session, "questions": interviews.transcript(session), "form": form, "asked": asked}
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "supervision/interview.html", context, status=status)


@never_cache
@require_safe
def interview_transcript(request: HttpRequest, pk: int) -> HttpResponse:
    """The fragment the live page polls (htmx) so that new answers appear without a reload."""
    session = get_object_or_404(Interview, pk=pk)
    return render(
        request, "supervision/_transcript.html", {"interview": session, "questions": interviews.transcript(session)}
    )

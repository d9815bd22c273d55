"""The SMS workbench (under /work/sms/, behind login and the second factor): campaigns, compose with a live length
and segment count (htmx), count the audience, submit, approve, cancel; the opt-out list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangjian.core.permissions import scope_for
from dangjian.services.sms import actions, audience, queries, templating
from dangjian.services.sms.access import ADMIN_KINDS, APPROVE_KINDS, COMPOSE_KINDS, VIEW_KINDS
from dangjian.services.sms.forms import CampaignForm, OptOutForm
from dangjian.services.sms.models import CampaignState, OptOut

PAGE_SIZE = 30


def _require(request: HttpRequest, kinds) -> None:
    if not scope_for(request.user).has_kind(*kinds):
        raise PermissionDenied


def campaign_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW_KINDS)
    scope = scope_for(request.user)
    page = Paginator(queries.campaigns(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "sms/campaign_list.html",
        {
            "page": page,
            "can_compose": scope.has_kind(*COMPOSE_KINDS),
            "can_manage_optouts": scope.has_kind(*ADMIN_KINDS),
            "waiting": queries.awaiting_approval(request.user, APPROVE_KINDS).count(),
        },
    )


def campaign_create(request: HttpRequest) -> HttpResponse:
    _require(request, COMPOSE_KINDS)
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            campaign = actions.compose_campaign(
                actor=request.user,
                unit=d["unit"],
                title=d["title"],
                body=d["body"],
                audience=form.audience(),
                mandatory=d["mandatory"],
                urgent=d["urgent"],
                scheduled_at=d["scheduled_at"],
                gateway=d["gateway"],
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        else:
            return redirect("sms:campaign_detail", pk=campaign.pk)
    return render(request, "sms/campaign_form.html", {"form": form, "variables": templating.VARIABLES})


def preview(request: HttpRequest) -> HttpResponse:
    """The htmx fragment under the message box: the text one member receives, its length and its parts."""
    _require(request, COMPOSE_KINDS)
    body = request.POST.get("body", "")
    error = ""
    try:
        templating.check(body)
    except ValidationError as exc:
        error = exc.messages[0]
    shown = templating.preview(body, mandatory=request.POST.get("mandatory") == "on")
    return render(request, "sms/_preview.html", {"preview": shown, "error": error})


def count(request: HttpRequest) -> HttpResponse:
    """The htmx fragment with the count before sending."""
    _require(request, COMPOSE_KINDS)
    form = CampaignForm(request.POST, user=request.user)
    form.is_valid()
    result, error = None, ""
    if "unit" in form.cleaned_data and not {"saved_search", "who"} & set(form.errors):
        try:
            result = audience.count(audience.clean(request.user, form.audience()))
        except ValidationError as exc:
            error = exc.messages[0]
    else:
        error = _("Choose a unit you may send to.")
    return render(request, "sms/_count.html", {"count": result, "error": error})


def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, VIEW_KINDS)
    campaign = get_object_or_404(queries.campaigns(request.user), pk=pk)
    scope = scope_for(request.user)
    return render(
        request,
        "sms/campaign_detail.html",
        {
            "campaign": campaign,
            "stats": queries.campaign_stats(campaign),
            "preview": templating.preview(campaign.body, mandatory=campaign.mandatory),
            "can_submit": campaign.state == CampaignState.DRAFT and scope.covers(campaign.unit, COMPOSE_KINDS),
            "can_approve": campaign.state == CampaignState.AWAITING_APPROVAL
            and campaign.created_by_id != request.user.pk
            and scope.covers(campaign.unit, APPROVE_KINDS),
            "can_cancel": campaign.state not in (CampaignState.DONE, CampaignState.CANCELLED)
            and scope.covers(campaign.unit, COMPOSE_KINDS),
        },
    )


def _act(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    campaign = get_object_or_404(queries.campaigns(request.user), pk=pk)
    try:
        action(actor=request.user, campaign=campaign)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("sms:campaign_detail", pk=pk)


@require_POST
def campaign_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, actions.submit_campaign, _("The campaign was submitted."))


@require_POST
def campaign_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, actions.approve_campaign, _("The campaign was approved and is being sent."))


@require_POST
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, actions.cancel_campaign, _("The campaign was cancelled."))


def optout_list(request: HttpRequest) -> HttpResponse:
    _require(request, ADMIN_KINDS)
    form = OptOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("remove"):
                actions.remove_opt_out(actor=request.user, mobile=form.cleaned_data["mobile"])
            else:
                actions.add_opt_out(actor=request.user, mobile=form.cleaned_data["mobile"])
        except ValidationError as exc:
            form.add_error("mobile", exc.messages)
        else:
            return redirect("sms:optouts")
    page = Paginator(OptOut.objects.all(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "sms/optout_list.html", {"form": form, "page": page})

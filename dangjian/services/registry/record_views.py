"""The record tabs of a person's page (奖惩, 职务, 任免, 家庭成员, 人才): add, edit and end an entry through its action.

One spec per tab says which model, forms and actions serve it; the three views below serve every tab the same way.
A person outside the user's editing scope, or an entry of another person, is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian.services.registry import actions, forms
from dangjian.services.registry.access import EDIT_KINDS
from dangjian.services.registry.models import Appointment, FamilyMember, Position, RewardPunishment, Talent
from dangjian.services.registry.views import _person, form_errors


@dataclass(frozen=True)
class Tab:
    slug: str
    title: str | Promise
    model: type[models.Model]
    form: type[forms.PartForm]
    add: Callable
    change: Callable
    part_arg: str  # the keyword by which `change` and `end` take the entry
    edit_form: type[forms.PartForm] | None = None
    end: Callable | None = None
    end_form: type = forms.ConfirmForm
    end_label: str | Promise = ""


TABS = {
    tab.slug: tab
    for tab in (
        Tab("rewards", gettext_lazy("Rewards and punishments"), RewardPunishment, forms.RewardForm,
            actions.add_reward, actions.update_reward, "reward"),
        Tab("positions", gettext_lazy("Positions"), Position, forms.PositionForm, actions.add_position,
            actions.update_position, "position", end=actions.end_position, end_form=forms.EndPositionForm,
            end_label=gettext_lazy("End the post")),
        Tab("appointments", gettext_lazy("Appointments and removals"), Appointment, forms.AppointmentForm,
            actions.record_appointment, actions.update_appointment, "appointment",
            edit_form=forms.AppointmentEditForm),
        Tab("family", gettext_lazy("Family members"), FamilyMember, forms.FamilyMemberForm,
            actions.add_family_member, actions.update_family_member, "family_member",
            end=actions.remove_family_member, end_label=gettext_lazy("Remove from the record")),
        Tab("talents", gettext_lazy("Talent categories"), Talent, forms.TalentForm, actions.add_talent,
            actions.update_talent, "talent", end=actions.remove_talent,
            end_label=gettext_lazy("Remove from this talent category")),
    )
}  # fmt: skip


def _tab(slug: str) -> Tab:
    try:
        return TABS[slug]
    except KeyError:
        raise Http404 from None


def _entry(request: HttpRequest, tab: Tab, person, entry_pk: int):
    scoped = tab.model.objects.for_user(request.user, kinds=EDIT_KINDS)  # type: ignore[attr-defined]
    return get_object_or_404(scoped, pk=entry_pk, person=person)


def _back(person, tab: Tab) -> str:
    return f"{reverse('registry:person_detail', args=[person.pk])}#{tab.slug}"


def _saved(request: HttpRequest, form, call: Callable) -> bool:
    """Run the action with the form's values; its refusals become the form's errors (nothing is stored)."""
    if not form.is_valid():
        return False
    try:
        call(**form.cleaned_data)
    except ValidationError as exc:
        form_errors(form, exc)
        return False
    messages.success(request, _("Saved."))
    return True


def _render(request: HttpRequest, spec: Tab, person, form, entry, mode: str) -> HttpResponse:
    headings = {
        "add": _("New entry: %(tab)s") % {"tab": spec.title},
        "edit": _("Edit entry: %(tab)s") % {"tab": spec.title},
        "end": str(spec.end_label),
    }
    context = {"person": person, "tab": spec, "form": form, "entry": entry, "mode": mode, "heading": headings[mode]}
    return render(request, "registry/part_form.html", context)


def part_add(request: HttpRequest, pk: int, tab: str) -> HttpResponse:
    spec = _tab(tab)
    person = _person(request, pk, EDIT_KINDS)
    form = spec.form(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and _saved(
        request, form, lambda **values: spec.add(actor=request.user, person=person, **values)
    ):
        return redirect(_back(person, spec))
    return _render(request, spec, person, form, None, "add")


def part_edit(request: HttpRequest, pk: int, tab: str, entry_pk: int) -> HttpResponse:
    spec = _tab(tab)
    person = _person(request, pk, EDIT_KINDS)
    entry = _entry(request, spec, person, entry_pk)
    form_class = spec.edit_form or spec.form
    if request.method == "POST":
        form = form_class(request.POST, user=request.user)
        call = lambda **values: spec.change(actor=request.user, **{spec.part_arg: entry}, **values)  # noqa: E731
        if _saved(request, form, call):
            return redirect(_back(person, spec))
    else:
        form = form_class(initial=model_to_dict(entry, fields=form_class._meta.fields), user=request.user)
    return _render(request, spec, person, form, entry, "edit")


def part_end(request: HttpRequest, pk: int, tab: str, entry_pk: int) -> HttpResponse:
    spec = _tab(tab)
    if spec.end is None:
        raise Http404
    end = spec.end
    person = _person(request, pk, EDIT_KINDS)
    entry = _entry(request, spec, person, entry_pk)
    form = spec.end_form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and _saved(
        request, form, lambda **values: end(actor=request.user, **{spec.part_arg: entry}, **values)
    ):
        return redirect(_back(person, spec))
    return _render(request, spec, person, form, entry, "end")

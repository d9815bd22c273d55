"""Forms of the registry's staff pages: they validate input and hand typed values to the actions."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dangjian.core.forms import ModelChoiceField, formfield_for
from dangjian.core.models import Unit, UnitKind
from dangjian.core.permissions import scope_for
from dangjian.services.dues.rules import Category
from dangjian.services.registry.access import SENSITIVE_KINDS
from dangjian.services.registry.actions import PersonData
from dangjian.services.registry.choices import (
    ETHNICITY_CHOICES,
    Degree,
    Gender,
    Rank,
    Stage,
    Status,
    TalentCategory,
)
from dangjian.services.registry.models import (
    Appointment,
    FamilyMember,
    ImportKind,
    Position,
    RewardPunishment,
    Talent,
)

DATE = forms.DateInput(attrs={"type": "date"})


def units_for(user):
    return Unit.objects.for_user(user).exclude(kind=UnitKind.STATION).order_by("path")


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, pinyin, initials, ID number or phone"), required=False, max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True}),
    )  # fmt: skip
    unit = ModelChoiceField(label=_("Unit (with the units below it)"), queryset=Unit.objects.none(), required=False)
    status = forms.MultipleChoiceField(label=_("Status"), choices=Status.choices, required=False)
    stage = forms.MultipleChoiceField(label=_("Development stage"), choices=Stage.choices, required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=[("", "—"), *Gender.choices], required=False)
    ethnicity = forms.ChoiceField(label=_("Ethnic group"), choices=[("", "—"), *ETHNICITY_CHOICES], required=False)
    category = forms.MultipleChoiceField(label=_("Dues category"), choices=Category.choices, required=False)
    degree = forms.MultipleChoiceField(label=_("Education"), choices=Degree.choices[1:], required=False)
    talent = forms.MultipleChoiceField(label=_("Talent category"), choices=TalentCategory.choices, required=False)
    cadre = forms.ChoiceField(
        label=_("Cadres"), choices=[("", "—"), ("1", _("Cadres only")), ("0", _("Not cadres"))], required=False
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    born_from = forms.DateField(label=_("Born from"), required=False, widget=DATE)
    born_to = forms.DateField(label=_("Born until"), required=False, widget=DATE)
    joined_from = forms.DateField(label=_("Joined from"), required=False, widget=DATE)
    joined_to = forms.DateField(label=_("Joined until"), required=False, widget=DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_for(user)

    def filters(self) -> dict:
        data = dict(self.cleaned_data)
        data["unit"] = data["unit"].pk if data.get("unit") else None
        return data


class SaveSearchForm(forms.Form):
    name = forms.CharField(label=_("Name of the group"), max_length=100)
    owner_unit = ModelChoiceField(label=_("Kept at unit"), queryset=Unit.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_unit"].queryset = units_for(user)


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    branch = ModelChoiceField(label=_("Party branch or unit"), queryset=Unit.objects.none())
    id_number = forms.CharField(label=_("ID number"), max_length=20, required=False)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", _("From the ID number")), *Gender.choices], required=False
    )
    ethnicity = forms.ChoiceField(label=_("Ethnic group"), choices=ETHNICITY_CHOICES, initial="01")
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DATE)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    native_place = forms.CharField(label=_("Native place"), max_length=100, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    work_unit = forms.CharField(label=_("Work unit and post"), max_length=200, required=False)
    degree = forms.ChoiceField(label=_("Education"), choices=Degree.choices, required=False)
    school = forms.CharField(label=_("School"), max_length=100, required=False)
    major = forms.CharField(label=_("Major"), max_length=100, required=False)
    education_start = forms.DateField(label=_("Studies from"), required=False, widget=DATE)
    education_end = forms.DateField(label=_("Studies until"), required=False, widget=DATE)
    stage = forms.ChoiceField(label=_("Development stage"), choices=Stage.choices, initial=Stage.FULL)
    applied_date = forms.DateField(label=_("Applied to join"), required=False, widget=DATE)
    activist_date = forms.DateField(label=_("Became activist"), required=False, widget=DATE)
    candidate_date = forms.DateField(label=_("Became candidate"), required=False, widget=DATE)
    joined_date = forms.DateField(label=_("Joined the party"), required=False, widget=DATE)
    full_member_date = forms.DateField(label=_("Became full member"), required=False, widget=DATE)
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, initial=Status.NORMAL)
    category = forms.ChoiceField(label=_("Dues category"), choices=Category.choices, initial=Category.FARMER)
    is_cadre = forms.BooleanField(label=_("Cadre"), required=False)
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = units_for(user)

    def person_data(self) -> PersonData:
        values = dict(self.cleaned_data)
        values["tags"] = [t for t in values["tags"].replace("，", ",").split(",") if t.strip()]
        return PersonData(**values)

    @staticmethod
    def initial_from(person) -> dict:
        names = [f for f in PersonForm.base_fields if f != "tags"]
        initial = {n: getattr(person, n) for n in names}
        initial["tags"] = ", ".join(t.name for t in person.tags.all())
        return initial


class TransferForm(forms.Form):
    to_branch = ModelChoiceField(
        label=_("Receiving branch in the county"), queryset=Unit.objects.none(), required=False
    )
    to_organisation = forms.CharField(
        label=_("Or the receiving organisation outside the county"), max_length=200, required=False
    )
    issued_on = forms.DateField(label=_("Issued on"), widget=DATE, initial=timezone.localdate)
    valid_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=90, initial=30)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any party organisation of the county may receive a member, not only those the sender may see.
        self.fields["to_branch"].queryset = Unit.objects.filter(
            is_active=True, kind__in=[UnitKind.BRANCH, UnitKind.GENERAL_BRANCH, UnitKind.COMMITTEE]
        ).order_by("path")


class DateForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DATE, initial=timezone.localdate)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=200)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"), choices=ImportKind.choices, initial=ImportKind.PEOPLE, required=False,
        widget=forms.RadioSelect,
    )  # fmt: skip
    file = forms.FileField(label=_("Spreadsheet (.xlsx or .csv)"))

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or ImportKind.PEOPLE

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx) or a CSV file."))
        if upload.size > 50 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 50 MB; split it."))
        return upload


class ExportForm(forms.Form):
    fields = forms.MultipleChoiceField(
        label=_("Columns"), choices=[], widget=forms.CheckboxSelectMultiple, required=True
    )
    format = forms.ChoiceField(label=_("Format"), choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")], initial="xlsx")

    def __init__(self, *args, user, **kwargs):
        from dangjian.services.registry.importing import export_columns

        super().__init__(*args, **kwargs)
        sensitive = scope_for(user).has_kind(*SENSITIVE_KINDS)
        self.fields["fields"].choices = export_columns(sensitive=sensitive)
        self.fields["fields"].initial = ["name", "gender", "branch", "stage", "status"]


# --- record tabs --------------------------------------------------------------------------------------------


class PartForm(forms.ModelForm):
    """A record tab's form: the model's fields and checks; the unit and notice choices are what the user may pick."""

    class Meta:
        # The relations refuse a key no integer column holds; each record tab's Meta inherits this one (Django reads
        # formfield_callback from the form's own Meta only).
        formfield_callback = formfield_for

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if "unit" in self.fields:
            # A post may be held anywhere in the county, not only in the units the recording user sees.
            self.fields["unit"].queryset = (
                Unit.objects.filter(is_active=True).exclude(kind=UnitKind.STATION).order_by("path")
            )
        if "notice" in self.fields:
            from dangjian.publicity.models import NoticeKind, NoticePage
            from dangjian.publicity.queries import visible_pages

            notices = visible_pages(user, NoticePage).filter(kind=NoticeKind.PRE_APPOINTMENT)
            self.fields["notice"].queryset = notices.order_by("-period_start", "-pk")
            self.fields["notice"].label_from_instance = lambda n: f"{n.title} ({n.period_start}–{n.period_end or ''})"


class RewardForm(PartForm):
    class Meta(PartForm.Meta):
        model = RewardPunishment
        fields = ["kind", "title", "date", "authority", "reason"]
        widgets = {"date": DATE, "reason": forms.Textarea(attrs={"rows": 3})}
        labels = {"title": pgettext_lazy("reward", "Title"), "authority": _("Decided by"), "date": _("Date")}


class PositionForm(PartForm):
    class Meta(PartForm.Meta):
        model = Position
        fields = ["title", "unit", "organisation", "rank", "start", "end", "term_years"]
        widgets = {"start": DATE, "end": DATE}
        labels = {
            "title": _("Post"),
            "organisation": _("Organisation outside the county"),
            "start": pgettext_lazy("period", "From"),
            "end": pgettext_lazy("period", "Until"),
        }
        help_texts = {
            "term_years": _("Fill in for a post with a fixed term: the cadre alerts warn before it ends."),
        }


class EndPositionForm(forms.Form):
    end = forms.DateField(label=_("Held until"), widget=DATE, initial=timezone.localdate)


class AppointmentForm(PartForm):
    rank = forms.ChoiceField(label=_("Rank"), choices=Rank.choices, required=False)
    term_years = forms.IntegerField(
        label=_("Term in years"), min_value=1, max_value=10, required=False,
        help_text=_("An appointment opens the post with this rank and term; a removal ends the open post."),
    )  # fmt: skip

    class Meta(PartForm.Meta):
        model = Appointment
        fields = ["kind", "title", "unit", "date", "document", "notice", "notice_url"]
        widgets = {"date": DATE}
        labels = {"notice_url": _("Or a link to the notice elsewhere")}


class AppointmentEditForm(PartForm):
    class Meta(PartForm.Meta):
        model = Appointment
        fields = ["document", "notice", "notice_url"]
        labels = {"notice_url": _("Or a link to the notice elsewhere")}


class FamilyMemberForm(PartForm):
    class Meta(PartForm.Meta):
        model = FamilyMember
        fields = ["relation", "name", "birth_date", "political_status", "work"]
        widgets = {"birth_date": DATE}
        labels = {"name": _("Name")}


class TalentForm(PartForm):
    class Meta(PartForm.Meta):
        model = Talent
        fields = ["category", "skills", "title"]


class ConfirmForm(forms.Form):
    """Nothing to fill in: the button is the answer."""

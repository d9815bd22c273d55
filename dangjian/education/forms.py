"""Forms of the education supermarket: validation only; the actions decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.core.forms import ModelChoiceField, ModelMultipleChoiceField
from dangjian.education.models import Access, Category, Classification, Industry, Kind, QuestionKind, Topic

MAX_REPORT_FILE = 1024 * 1024


class StationForm(forms.Form):
    equipment = forms.CharField(
        label=_("Equipment"),
        max_length=200,
        required=False,
        help_text=_("e.g. satellite receiver, projector, 40 seats"),
    )
    session_minutes = forms.IntegerField(label=_("Length of a session in minutes"), min_value=15, max_value=480)
    has_bandwidth = forms.BooleanField(label=_("Broadband"), required=False)
    industries = ModelMultipleChoiceField(
        label=_("Local industries"),
        queryset=Industry.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class CategoryChoice(ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.parent.name} › {obj.name}" if obj.parent_id else obj.name


class ResourceForm(forms.Form):
    """An editor's upload to the library; the file's type, size and text are checked by actions.add_resource."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=[c for c in Kind.choices if c[0] != Kind.EDITION])
    category = CategoryChoice(
        label=_("Category"),
        queryset=Category.objects.filter(parent__isnull=False)
        .select_related("parent")
        .order_by("parent__order", "order"),
    )
    file = forms.FileField(label=_("File"), required=False, help_text=_("A document, a video or an audio lecture."))
    url = forms.URLField(label=_("Address of the link"), required=False, assume_scheme="https")
    summary = forms.CharField(label=_("Summary"), max_length=1000, required=False, widget=forms.Textarea({"rows": 3}))
    topics = ModelMultipleChoiceField(
        label=_("Topics"), queryset=Topic.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    access = forms.ChoiceField(label=_("Who may open it"), choices=Access.choices)
    # 涉密 is offered so that it is refused with the reason, never stored (公开信息不涉密，涉密信息不公开).
    classification = forms.ChoiceField(
        label=_("Classification"), choices=[*Classification.choices, ("classified", _("Classified (涉密)"))]
    )
    unit = forms.TypedChoiceField(label=_("Published by"), coerce=int)


class RequestForm(forms.Form):
    station = forms.TypedChoiceField(label=_("Station"), coerce=int)
    topic = ModelChoiceField(label=_("Or a topic"), queryset=Topic.objects.all(), required=False)
    name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    phone = forms.CharField(label=_("Telephone"), max_length=20, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class AddItemForm(forms.Form):
    resource = forms.TypedChoiceField(label=_("Library item"), coerce=int)


class ReportForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=forms.DateInput(attrs={"type": "date"}))
    minutes = forms.IntegerField(label=_("Length in minutes"), min_value=1, max_value=720)
    attendance = forms.IntegerField(label=_("Attendance"), min_value=0, max_value=10000)
    played = forms.TypedMultipleChoiceField(label=_("Items played"), coerce=int, widget=forms.CheckboxSelectMultiple)
    attendees = forms.TypedMultipleChoiceField(
        label=_("Members checked in"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    discussion = forms.CharField(
        label=_("Discussion after the class"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )


class ReportFileForm(forms.Form):
    file = forms.FileField(label=_("Report file (report.json from the offline package)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_REPORT_FILE:
            raise forms.ValidationError(_("A report file is at most 1 MB."))
        return f


class AnswerForm(forms.Form):
    """The answers to an attempt's questions: a field `q<question id>` per question, its choices the question's
    options. Keys for questions not in the attempt, and options not of their question, are refused here and again
    by actions.submit_attempt, which grades on the server."""

    PREFIX = "q"

    def __init__(self, answers, data=None, *, required: bool = True):
        super().__init__(data)
        self.answers = answers
        for a in answers:
            question = a.question
            plain = question.kind == QuestionKind.TRUE_FALSE
            choices = [(o.pk, o.text if plain else f"{o.letter}. {o.text}") for o in question.options.all()]
            messages = {
                "required": _("Choose an answer to question %(n)s.") % {"n": a.order},
                "invalid_choice": _("The answer to question %(n)s is not one of its options.") % {"n": a.order},
                "invalid_list": _("The answer to question %(n)s is not one of its options.") % {"n": a.order},
            }
            kwargs = {"label": question.text, "choices": choices, "required": required, "error_messages": messages}
            if question.kind == QuestionKind.MULTIPLE:
                field = forms.TypedMultipleChoiceField(coerce=int, widget=forms.CheckboxSelectMultiple, **kwargs)
            else:
                field = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, empty_value=None, **kwargs)
            self.fields[f"{self.PREFIX}{question.pk}"] = field

    def clean(self):
        data = super().clean()
        sent = {k for k in self.data if k.startswith(self.PREFIX) and k[1:].isdigit()}
        if sent - set(self.fields):
            raise forms.ValidationError(_("The answers do not match the questions of this attempt; reload the page."))
        getlist = getattr(self.data, "getlist", None)
        for a in self.answers if getlist else ():
            name = f"{self.PREFIX}{a.question_id}"
            if a.question.kind != QuestionKind.MULTIPLE and len(getlist(name)) > 1:
                self.add_error(name, _("Question %(n)s takes one answer.") % {"n": a.order})
        return data

    def answer_map(self) -> dict[int, list[int]]:
        """question id -> chosen option ids, from the cleaned data."""
        found = {}
        for name, value in self.cleaned_data.items():
            if value in (None, "", []):
                continue
            found[int(name[len(self.PREFIX) :])] = list(value) if isinstance(value, list) else [value]
        return found

    def rows(self):
        """(answer, bound field) in the attempt's order, for the template's fieldsets."""
        return [(a, self[f"{self.PREFIX}{a.question_id}"]) for a in self.answers]


class ImportQuestionsForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet of questions (.xlsx or .csv)"),
        help_text=_("Columns: 题型 (单选, 多选, 判断), 题干, 选项A to 选项F, 答案 (e.g. B, ACD, 对), 解析."),
    )

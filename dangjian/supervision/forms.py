"""Forms of the supervision supermarket: they only read input; the actions validate the rules and store."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dangjian.core.forms import ModelChoiceField, ModelMultipleChoiceField
from dangjian.core.models import Unit, UnitKind
from dangjian.supervision import actions
from dangjian.supervision.models import Category, DueKind, RatingValue


def add_action_errors(form: forms.Form, exc: ValidationError) -> None:
    """An action's refusal shown on the form: per field where the action named one, else for the whole form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class LetterForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=actions.TITLE_MAX)
    body = forms.CharField(
        label=_("Your letter"), widget=forms.Textarea(attrs={"rows": 10}), max_length=actions.BODY_MAX
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, initial=Category.OTHER)
    # Built once with the class (a queryset is lazy; each form works on its own copy), not on every request.
    area = ModelChoiceField(
        label=_("Township"),
        queryset=Unit.objects.filter(kind=UnitKind.TOWNSHIP, is_active=True).order_by("code"),
        required=False,
        empty_label=_("(county-wide or unknown)"),
    )
    anonymous = forms.BooleanField(
        label=_("Write anonymously"),
        required=False,
        help_text=_("Nothing that names you is kept. Keep your receipt: it is the only way to follow the letter."),
    )
    contact_name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Telephone"), max_length=20, required=False)
    contact_email = forms.EmailField(label=_("E-mail"), required=False)
    is_public = forms.BooleanField(
        label=_("The answer may be published (personal data masked)"), required=False, initial=True
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("Up to 5 files: PDF, images, Word, Excel or text; 10 MB each."),
    )
    #: A field people never see (hidden by CSS and from assistive technology); robots fill it in.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def __init__(self, *args, channel=None, **kwargs):
        super().__init__(*args, **kwargs)
        if channel is not None and not channel.accepts_anonymous:
            del self.fields["anonymous"]


class ReceiptForm(forms.Form):
    receipt = forms.CharField(label=_("Receipt"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "off"}))


class RatingForm(ReceiptForm):
    value = forms.ChoiceField(
        label=_("How satisfied are you with the answer?"), choices=RatingValue.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    receipt = forms.CharField(widget=forms.HiddenInput, max_length=64)


class ReopenForm(ReceiptForm):
    reason = forms.CharField(
        label=_("Why the answer did not solve the problem"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    receipt = forms.CharField(widget=forms.HiddenInput, max_length=64)


class DescribedForm(forms.Form):
    """A staff form whose invalid fields say so to assistive technology (aria-invalid, described by the message)."""

    def add_error(self, field, error) -> None:
        # Django's own cleaning reports through add_error too, so this covers the fields' checks and an action's.
        super().add_error(field, error)
        for name in self._errors or {}:
            if name not in self.fields:
                continue
            bound, widget = self[name], self.fields[name].widget
            ids = [f"{bound.auto_id}_error"] + ([f"{bound.auto_id}_helptext"] if self.fields[name].help_text else [])
            widget.attrs.update({"aria-invalid": "true", "aria-describedby": " ".join(ids)})


class TextForm(DescribedForm):
    body = forms.CharField(label=_("Text"), max_length=actions.BODY_MAX, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, label=None, **kwargs):
        kwargs.setdefault("label_suffix", "")  # the label is the box's whole name, as on the page before
        super().__init__(*args, **kwargs)
        if label is not None:
            self.fields["body"].label = label


class DispatchForm(DescribedForm):
    unit = ModelChoiceField(label=_("Lead unit"), queryset=Unit.objects.none())
    co_units = ModelMultipleChoiceField(label=_("Co-units"), queryset=Unit.objects.none(), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = Unit.objects.filter(kind__in=(UnitKind.TOWNSHIP, UnitKind.DEPARTMENT), is_active=True).order_by("code")
        self.fields["unit"].queryset = units
        self.fields["co_units"].queryset = units


class TransferForm(DescribedForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    suggested_unit = ModelChoiceField(
        label=_("Suggested unit"),
        queryset=Unit.objects.filter(kind__in=(UnitKind.TOWNSHIP, UnitKind.DEPARTMENT)),
        required=False,
    )


class ExtensionForm(DescribedForm):
    which = forms.ChoiceField(label=_("Deadline"), choices=DueKind.choices)
    workdays = forms.IntegerField(label=_("More working days"), min_value=1, max_value=30)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class QuestionForm(forms.Form):
    asker = forms.CharField(label=_("Your name or a pen name (optional)"), max_length=50, required=False)
    body = forms.CharField(label=_("Your question"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(forms.Form):
    guest = forms.CharField(label=_("Guest"), max_length=100)
    answer = forms.CharField(label=_("Answer"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker; the value is read in the county's time (TIME_ZONE, Asia/Shanghai)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class InterviewForm(DescribedForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    topic = forms.CharField(label=_("Topic"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    guests = forms.CharField(label=_("Guests"), max_length=300, help_text=_("Names and posts, e.g. 县发改委主任 张三."))
    unit = ModelChoiceField(label=_("Organising unit"), queryset=Unit.objects.none())
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=LocalDateTimeInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"), widget=LocalDateTimeInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the units the user's office role covers: a unit outside them is "not one of the available choices".
        self.fields["unit"].queryset = units if units is not None else Unit.objects.none()

    def clean(self) -> dict:
        from dangjian.supervision.interviews import times_problems

        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at:
            for name, message in times_problems(starts_at, ends_at).items():
                self.add_error(name, message)
        return data


class BulletinDraftForm(DescribedForm):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text=_("The month whose missed deadlines the bulletin lists (YYYY-MM)."),
        error_messages={"invalid": _("Enter a month as YYYY-MM, e.g. 2025-03.")},
    )


class RedactForm(DescribedForm):
    phrases = forms.CharField(
        label=_("Phrases to mask"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One a line: each is replaced by ＊＊＊ wherever it appears in the public view."),
    )


class UnredactForm(DescribedForm):
    phrase = forms.CharField(label=_("Phrase"), max_length=5000)

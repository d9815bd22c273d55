"""Forms of the encrypted mail pages: they validate input; the actions decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.core.forms import ModelChoiceField, ModelMultipleChoiceField
from dangjian.services.securemail import queries
from dangjian.services.securemail.models import Category


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class PassphraseForm(forms.Form):
    passphrase = forms.CharField(label=_("Mail passphrase"), widget=forms.PasswordInput(attrs={"autocomplete": "off"}))


class EnrolForm(forms.Form):
    passphrase = forms.CharField(
        label=_("New mail passphrase"),
        min_length=10,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters. It cannot be recovered: without it your officer key cannot be opened."),
    )  # fmt: skip
    confirm = forms.CharField(
        label=_("Repeat the passphrase"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("passphrase") and data.get("passphrase") != data.get("confirm"):
            raise forms.ValidationError(_("The two passphrases differ."))
        return data


class UnitChoices(ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ComposeForm(forms.Form):
    sender_unit = ModelChoiceField(label=_("Send as"), queryset=None, empty_label=None)
    recipients = UnitChoices(label=_("To units"), queryset=None, widget=forms.CheckboxSelectMultiple)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    doc_number = forms.CharField(label=_("Document number"), max_length=64, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}), required=False)
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    forwardable = forms.BooleanField(label=_("Recipients may forward it"), required=False, initial=True)
    expires_in_days = forms.IntegerField(
        label=_("Destroy after (days)"), min_value=1, max_value=3650, required=False,
        help_text=_("Leave empty to keep it until every unit deletes it."),
    )  # fmt: skip
    confirm_not_appointment = forms.BooleanField(
        label=_("I confirm this is not cadre appointment (干部任免) material"), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = queries.my_units(user)
        self.fields["sender_unit"].queryset = queries.reachable_units().filter(pk__in=[u.pk for u in units])
        self.fields["recipients"].queryset = queries.reachable_units()


class ForwardForm(forms.Form):
    recipients = UnitChoices(label=_("To units"), queryset=None, widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    confirm_not_appointment = ComposeForm.base_fields["confirm_not_appointment"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = queries.reachable_units()


class ArchiveForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=[("", _("Any")), *Category.choices[:-1]], required=False)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    sender = forms.CharField(label=_("Sender"), max_length=100, required=False)
    doc_number = forms.CharField(label=_("Document number"), max_length=64, required=False)
    sent_from = forms.DateField(label=_("Sent from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sent_to = forms.DateField(label=_("Sent until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class RefileForm(forms.Form):
    category = forms.ChoiceField(label=_("File under"), choices=Category.choices[:-1])


class GrantForm(forms.Form):
    officer = ModelChoiceField(label=_("Officer"), queryset=None)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = candidates

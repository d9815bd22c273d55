"""Forms of the public site: an objection (反映) to a notice."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class ObjectionForm(forms.Form):
    title = forms.CharField(label=_("Subject"), max_length=100)
    body = forms.CharField(
        label=_("What you want to report"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000
    )
    anonymous = forms.BooleanField(label=_("Report anonymously"), required=False)
    contact_name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Telephone"), max_length=20, required=False)
    contact_email = forms.EmailField(label=_("E-mail"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("anonymous") and not data.get("contact_name"):
            raise ValidationError(_("Give your name, or choose to report anonymously."))
        if not data.get("anonymous") and not (data.get("contact_phone") or data.get("contact_email")):
            raise ValidationError(_("Give a telephone number or an e-mail address so that we can reply."))
        return data

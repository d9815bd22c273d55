"""Forms of the core: the second login step and TOTP enrolment; the admin's unit form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.core.actions import ALLOWED_CHILDREN
from dangjian.core.models import Unit, UnitKind


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Verification code"),
        max_length=16,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip().replace(" ", "")


class UnitAdminForm(forms.ModelForm):
    """The admin's form for a new unit: the tree's rules checked before `actions.create_unit` runs."""

    class Meta:
        model = Unit
        fields = ["code", "name", "kind", "parent", "is_active", "email", "phone"]

    def clean(self):
        cleaned = super().clean()
        kind, parent = cleaned.get("kind"), cleaned.get("parent")
        if self.instance.pk is not None or not kind:
            return cleaned
        if parent is None and kind != UnitKind.COUNTY:
            raise forms.ValidationError(_("Only the county stands at the top of the tree."))
        if parent is not None and kind not in ALLOWED_CHILDREN[parent.kind]:
            raise forms.ValidationError(
                _("A %(child)s cannot stand under a %(parent)s.")
                % {"child": UnitKind(kind).label, "parent": UnitKind(parent.kind).label}
            )
        return cleaned

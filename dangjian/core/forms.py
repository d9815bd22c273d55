"""Forms of the core: the second login step and TOTP enrolment; the admin's unit form; a choice field for all."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
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


#: What an integer key may be: SQLite's INTEGER and PostgreSQL's bigint are signed 64-bit
#: (https://www.sqlite.org/datatype3.html, https://www.postgresql.org/docs/current/datatype-numeric.html).
KEY_RANGE = range(-(2**63), 2**63)


def fits_key(queryset, to_field_name: str | None, value) -> bool:
    """Whether `value` can be looked up as the queryset's key: False for a number no integer key can hold."""
    # A model form's foreign key names its target field (the key, for most); a child model's key is its parent's
    # (a Wagtail page type's page_ptr).
    key = queryset.model._meta.get_field(to_field_name) if to_field_name else queryset.model._meta.pk
    while key.is_relation:
        key = key.target_field
    if not isinstance(key, models.IntegerField):
        return True
    text = str(value).strip()
    if not text.lstrip("+-").isdigit():
        return True  # not a number at all: the lookup refuses it as Django does
    try:
        return int(text) in KEY_RANGE
    except ValueError:  # more digits than Python converts
        return False


class ModelChoiceField(forms.ModelChoiceField):
    """Django's, refusing a number no integer key can hold as an invalid choice before any query: the lookup fails
    on it (SQLite's driver raises OverflowError), a server error for a crafted form."""

    def to_python(self, value):
        crafted = value not in self.empty_values and not isinstance(value, self.queryset.model)
        if crafted and not fits_key(self.queryset, self.to_field_name, value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, refusing a number no integer key can hold as an invalid choice before any query: the `IN (...)`
    that checks the choices fails on it (SQLite's driver raises OverflowError, PostgreSQL an out-of-range error),
    a server error for a crafted form."""

    def _check_values(self, value):
        for pk in value if isinstance(value, list | tuple) else []:
            if not fits_key(self.queryset, self.to_field_name, pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": str(pk)[:20]}
                )
        return super()._check_values(value)


def formfield_for(db_field, **kwargs):
    """A model form's field for a model field (`Meta.formfield_callback`): relations get the choice fields above."""
    if isinstance(db_field, models.ForeignKey):
        kwargs.setdefault("form_class", ModelChoiceField)
    elif isinstance(db_field, models.ManyToManyField):
        kwargs.setdefault("form_class", ModelMultipleChoiceField)
    return db_field.formfield(**kwargs)


class UnitAdminForm(forms.ModelForm):
    """The admin's form for a new unit: the tree's rules checked before `actions.create_unit` runs."""

    class Meta:
        model = Unit
        fields = ["code", "name", "kind", "parent", "is_active", "email", "phone"]
        formfield_callback = formfield_for

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

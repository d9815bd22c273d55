"""Hypothesis against every form of the platform: each form class any app defines, and each staff page that shows a
form, given arbitrary data.

- **Every form class**: the modules of the project that define forms are imported and every `Form` and `ModelForm`
  subclass of the project is collected (a form an app adds is fuzzed the day it lands; one whose constructor needs
  an argument this file does not know fails the test). For each, Hypothesis builds data for its fields: text with
  odd Unicode, huge values, numbers out of range, dates that do not exist, wrong types, lists where one value is
  expected, and the valid choices too (so the form's own `clean` methods are reached). `is_valid()` never raises,
  an invalid form says why, and validation writes nothing to the database, valid or not.
- **Every page with a form**: every address without parameters (read from the URL configuration as the
  authorisation matrix reads it; not the two admins, whose forms are Django's and Wagtail's: the Django admin's
  add pages are fuzzed apart, below), opened by a user holding every staff role at the county (second factor
  verified, mail key unlocked); each page whose answer carries a form gets fuzzed POSTs of that form's fields.
  Never a 5xx.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
from pathlib import Path

import pytest
from django import forms
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dangjian
from dangjian.core.models import RoleKind, User
from tests.core.otp import login_verified
from tests.security.test_authorization_matrix import _routes
from tests.security.test_object_matrix import OBJECTS, _url, world  # noqa: F401 (world is a fixture)

pytestmark = pytest.mark.django_db
#: Examples per form and per page; DANGJIAN_FUZZ_EXAMPLES=200 for a deeper run than the suite's two minutes allow.
DEPTH = int(os.environ.get("DANGJIAN_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=DEPTH or 15, deadline=None, suppress_health_check=list(HealthCheck))
STAFF_KINDS = [k for k in RoleKind.values if k != RoleKind.MEMBER]
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _form_modules() -> list[str]:
    """Every module of the project whose source defines a form (forms.py and the few views that keep one)."""
    root = Path(dangjian.__file__).parent
    found = []
    for info in pkgutil.walk_packages([str(root)], prefix="dangjian."):
        if ".migrations" in info.name or info.ispkg:
            continue
        path = root.joinpath(*info.name.split(".")[1:]).with_suffix(".py")
        source = path.read_text(encoding="utf-8") if path.exists() else ""
        if "(forms.Form)" in source or "(forms.ModelForm)" in source:
            found.append(info.name)
    return sorted(found)


def _project_forms() -> list[type[forms.BaseForm]]:
    for name in _form_modules():
        importlib.import_module(name)
    seen: dict[str, type] = {}
    stack = [forms.Form, forms.ModelForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("dangjian.") and ".migrations" not in sub.__module__:
                seen[f"{sub.__module__}.{sub.__qualname__}"] = sub
    # A ModelForm without a model is a base for others (the registry's record tabs), not a form anyone fills in.
    return [c for k, c in sorted(seen.items()) if not (issubclass(c, forms.ModelForm) and c._meta.model is None)]


FORMS = _project_forms()

#: Hostile values of any field.
HOSTILE = [
    "", " ", "\x00", "\x00" * 10, "0", "-1", "-0", "1e309", "NaN", "inf", "9" * 400, "１２３", "2026-02-30",
    "0000-00-00", "9999-12-31T99:99", "99999999999999999999", "-9223372036854775809", "<script>alert(1)</script>",
    "' OR 1=1 --", "\u202e\u200b\ufeff", "𠮷" * 60, "on", "true", "[]", "{}", "None", "../../etc/passwd", "a@b",
    "x" * 100_000,
]  # fmt: skip
text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
value = st.one_of(text, st.sampled_from(HOSTILE), st.integers().map(str), st.floats().map(str))


def _choices(field: forms.Field) -> list[str]:
    """Valid values of a choice field, so the fuzzing reaches what the form checks after its choices."""
    if isinstance(field, forms.ModelChoiceField):
        if field.queryset is None:
            return []
        return [str(pk) for pk in field.queryset.values_list("pk", flat=True)[:5]]
    if isinstance(field, forms.ChoiceField):
        flat = []
        for key, label in field.choices:
            flat += [k for k, _l in label] if isinstance(label, list | tuple) else [key]
        return [str(c) for c in flat[:10]]
    return []


def _field_values(field: forms.Field) -> st.SearchStrategy:
    choices = _choices(field)
    one = st.one_of(value, st.sampled_from(choices)) if choices else value
    many = isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField) or isinstance(
        field.widget, forms.MultiWidget
    )
    return st.lists(one, min_size=1, max_size=4 if many else 2)


def _file_values() -> st.SearchStrategy:
    """Any bytes under a plain name (hostile names and contents are the corpus's: test_hostile_uploads.py)."""
    name = st.tuples(
        st.text(alphabet="abc党建_-", min_size=1, max_size=20), st.sampled_from(["pdf", "xlsx", "csv", "json"])
    )
    return st.tuples(name.map(".".join), st.binary(max_size=1024))


def form_data(fields: dict[str, forms.Field]) -> st.SearchStrategy:
    """(data, files) for the fields: each field absent or given one or more values; unknown keys now and then."""
    plain = {n: f for n, f in fields.items() if not isinstance(f, forms.FileField)}
    uploads = [n for n, f in fields.items() if isinstance(f, forms.FileField)]
    data = st.fixed_dictionaries(
        {}, optional={**{n: _field_values(f) for n, f in plain.items()}, "x-extra": st.lists(value, max_size=2)}
    )
    files = st.fixed_dictionaries({}, optional={n: _file_values() for n in uploads})
    return st.tuples(data, files)


def _querydict(values: dict[str, list[str]]) -> QueryDict:
    q = QueryDict(mutable=True)
    for key, items in values.items():
        q.setlist(key, items)
    return q


def _uploads(files: dict) -> dict:
    return {k: SimpleUploadedFile(name, data) for k, (name, data) in files.items()}


@pytest.fixture
def staff(tree, make_user, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_user("everything", *[(kind, tree["county"]) for kind in STAFF_KINDS])


def _build(cls, data, files, user: User):
    """The form as its views build it; the constructor's keyword arguments from their names."""
    known = {"user": user, "channel": None, "today": None, "label": None, "units": None,
             "candidates": User.objects.all(), "required": True}  # fmt: skip
    kwargs = {}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name in ("self", "data", "files", "args", "kwargs", "answers") or param.kind == param.VAR_KEYWORD:
            continue
        if name in known:
            kwargs[name] = known[name]
        elif param.default is param.empty:
            pytest.fail(f"{cls.__qualname__} needs {name!r}: say in _build what its views pass")
    if "answers" in inspect.signature(cls.__init__).parameters:
        return cls([], data, **kwargs)
    if "files" in inspect.signature(cls.__init__).parameters or "args" in inspect.signature(cls.__init__).parameters:
        return cls(data, files, **kwargs)
    return cls(data, **kwargs)


def test_every_form_of_the_project_is_found():
    names = {c.__name__ for c in FORMS}
    assert {"LetterForm", "ImportForm", "ComposeForm", "ResourceForm", "ObjectionForm", "PeriodForm"} <= names
    assert len(FORMS) >= 40, sorted(names)


@pytest.mark.parametrize("cls", FORMS, ids=[f"{c.__module__.rsplit('.', 2)[-2]}.{c.__name__}" for c in FORMS])
def test_any_data_validates_without_error_and_writes_nothing(cls, staff):
    fields = _build(cls, None, None, staff).fields

    @FUZZ
    @given(sample=form_data(fields))
    def check(sample):
        data, files = sample
        form = _build(cls, _querydict(data), _uploads(files), staff)
        with CaptureQueriesContext(connection) as queries:
            valid = form.is_valid()
        writes = [q["sql"][:80] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
        assert not writes, f"validation wrote to the database: {writes}"
        if form.is_bound and not valid:  # a form given empty data may choose to stay unbound (its defaults)
            assert form.errors, "an invalid form must say why"

    check()


def test_a_key_beyond_64_bits_is_an_invalid_choice_not_a_server_error(staff):
    """SQLite's driver raised OverflowError (a 500) on such a number in a choice of objects: the first run of the
    page fuzzing below found it on the library, mail and station forms (several choices), a later one on the
    appointment record's notice (one choice, a model form's foreign key)."""
    checked = {"one": 0, "many": 0}
    for cls in FORMS:
        for name, field in _build(cls, None, None, staff).fields.items():
            if isinstance(field, forms.ModelChoiceField):  # the multiple choice field is one too
                many = isinstance(field, forms.ModelMultipleChoiceField)
                for big in ("99999999999999999999", "-9223372036854775809", "9" * 5000):
                    form = _build(cls, _querydict({name: [big]}), {}, staff)
                    assert not form.is_valid() and name in form.errors, f"{cls.__name__}.{name} took {big[:20]}"
                checked["many" if many else "one"] += 1
    assert checked["many"] >= 4 and checked["one"] >= 15


def test_a_key_beyond_64_bits_is_refused_for_a_page_type_whose_key_is_its_parents(staff):
    """The appointment record's notice is a Wagtail page type, keyed by its parent row (bodypage_ptr)."""
    from dangjian.services.registry.forms import AppointmentForm

    form = _build(AppointmentForm, _querydict({"notice": ["99999999999999999999"]}), {}, staff)
    assert not form.is_valid() and "notice" in form.errors


# --- the pages ---------------------------------------------------------------------------------------------------


#: Addresses not fuzzed, with the reason.
NOT_FUZZED = {
    "/accounts/logout/": "ends the session the other pages need",
}


@pytest.fixture
def signed_in(client, staff, tree, settings, tmp_path):
    """The client as the all-roles user, second factor verified and mail key unlocked."""
    from dangjian.services.securemail import actions as mail

    settings.MEDIA_ROOT = tmp_path / "media"
    mail.enrol_officer(actor=staff, passphrase="correct-mail-passphrase")
    mail.create_unit_key(actor=staff, unit=tree["county"])
    login_verified(client, staff)
    client.post("/work/mail/unlock/", {"passphrase": "correct-mail-passphrase", "next": "/"})
    return client


def _fields_of(response) -> dict[str, forms.Field]:
    """The fields of every form the page was rendered with (a page may carry several, some in a dict)."""
    fields: dict[str, forms.Field] = {}
    for context in response.context or []:
        for value in context.flatten().values() if hasattr(context, "flatten") else []:
            for item in value.values() if isinstance(value, dict) else [value]:
                if isinstance(item, forms.BaseForm):
                    fields.update(item.fields)
    return fields


def test_fuzzed_posts_to_every_page_with_a_form_never_give_a_server_error(signed_in):
    pages = {}
    for url in sorted(set(_routes(get_resolver().url_patterns))):
        if url in NOT_FUZZED or url.startswith(("/cms/", "/admin/")):
            continue
        response = signed_in.get(url)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        fields = _fields_of(response) if response.status_code == 200 else {}
        if fields:
            pages[url] = fields
    assert len(pages) >= 10, sorted(pages)
    failures = []
    for url, fields in pages.items():
        try:
            _fuzz_page(signed_in, url, fields)
        except Exception as exc:  # the test client raises the view's exception: a 500 in production
            failures.append(f"{url}: {type(exc).__name__}: {exc}"[:2000])
    assert not failures, "\n".join(failures)


def _fuzz_page(client, url: str, fields, examples: int = 6) -> None:
    @settings(max_examples=DEPTH or examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(sample=form_data(fields))
    def post(sample):
        cache.clear()  # rate limits
        data, files = sample
        payload = {**data, **_uploads(files)}
        response = client.post(url, payload)
        assert response.status_code < 500, f"POST {url} {payload!r:.300}: {response.status_code}"

    post()


def test_fuzzed_posts_to_every_page_of_an_object_never_give_a_server_error(client, world):  # noqa: F811
    """The addresses with an object in them (the authorisation matrix's world of the second township), as the
    officer holding every staff role there: each page's forms, and each form target, get fuzzed POSTs of the
    fields of every form those pages show."""
    login_verified(client, world["owner"])
    client.post("/work/mail/unlock/", {"passphrase": "passphrase-of-the-test", "next": "/"})
    # The world's campaign is made without the action that checks its audience; give it one, as that action would.
    world["campaign"].audience = {"unit": world["t2"].pk}
    world["campaign"].save(update_fields=["audience"])
    fields: dict[str, forms.Field] = {}
    for name, (kind, _kwargs) in OBJECTS.items():
        if kind in ("page", "key"):
            fields.update(_fields_of(client.get(_url(world, name))))
    assert len(fields) >= 20, sorted(fields)
    failures = []
    for name, (kind, _kwargs) in OBJECTS.items():
        if kind == "file":
            continue
        try:
            _fuzz_page(client, _url(world, name), fields, examples=4)
        except Exception as exc:  # the test client raises the view's exception: a 500 in production
            failures.append(f"{name}: {type(exc).__name__}: {exc}"[:2000])
    assert not failures, "\n".join(failures)


# --- the Django admin -------------------------------------------------------------------------------------------


def _admin_form_fields(response) -> dict[str, forms.Field]:
    """The fields of an admin change form (its `adminform`) and of its inlines, under the names the page posts."""
    fields: dict[str, forms.Field] = {}
    context = response.context
    if context is None or "adminform" not in context:
        return fields
    fields.update(context["adminform"].form.fields)
    for inline in context.get("inline_admin_formsets") or []:
        formset = inline.formset
        fields.update({f"{formset.prefix}-0-{n}": f for n, f in formset.empty_form.fields.items()})
        fields[f"{formset.prefix}-TOTAL_FORMS"] = forms.IntegerField()
        fields[f"{formset.prefix}-INITIAL_FORMS"] = forms.IntegerField()
    return fields


def test_fuzzed_posts_to_every_add_page_of_the_django_admin_never_give_a_server_error(client, staff):
    """The admin's forms are Django's, but their fields, choices and `clean` methods are the project's: each model's
    add page, as a superuser with a verified second factor, gets fuzzed POSTs of its fields. Never a 5xx."""
    from django.contrib import admin

    staff.is_staff = staff.is_superuser = True
    staff.save()
    login_verified(client, staff)
    pages = {}
    for model in admin.site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/add/"
        response = client.get(url)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        if response.status_code == 200 and (fields := _admin_form_fields(response)):
            pages[url] = fields
    assert len(pages) >= 10, sorted(pages)
    failures = []
    for url, fields in sorted(pages.items()):
        try:
            _fuzz_page(client, url, fields, examples=5)
        except Exception as exc:  # the test client raises the view's exception: a 500 in production
            failures.append(f"{url}: {type(exc).__name__}: {exc}"[:2000])
    assert not failures, "\n".join(failures)

"""Education fixtures: media in a temporary folder, the seeded library, an editor, resources added through actions."""

from __future__ import annotations

import io

import pytest

from dangjian.core.models import RoleKind
from dangjian.education import actions, samples
from dangjian.education.models import Category, Kind, Topic


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def editor(tree, make_user):
    return make_user("editor", (RoleKind.EDITOR, tree["county"]))


@pytest.fixture
def category(db):
    return Category.objects.get(slug="lectures-party")


@pytest.fixture
def add(editor, tree, category):
    """Add a resource through the real action; defaults make a public PDF owned by the county."""

    def make(title="党史学习教育专题党课", data=None, kind=Kind.DOCUMENT, **kwargs):
        if data is None and kind == Kind.DOCUMENT:
            data = samples.pdf([title, "学习党的历史，传承红色基因。"])
        kwargs.setdefault("unit", tree["county"])
        kwargs.setdefault("category", category)
        stream = io.BytesIO(data) if data is not None else None
        return actions.add_resource(actor=editor, title=title, kind=kind, stream=stream, **kwargs)

    return make


@pytest.fixture
def topic(db):
    return Topic.objects.get(slug="technology")

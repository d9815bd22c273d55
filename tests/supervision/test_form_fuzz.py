"""Hostile input to the public letter form: any field values and any uploaded bytes give a page (200 with the
receipt, or 400 with the messages), never a 500, and a refused letter stores nothing."""

from __future__ import annotations

import os

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.supervision.models import Attachment, Letter
from tests.supervision.conftest import solved

FIELDS = ["title", "body", "category", "area", "anonymous", "contact_name", "contact_phone", "contact_email",
          "is_public", "website"]  # fmt: skip
values = st.text(alphabet=st.characters(codec="utf-8"), max_size=400) | st.sampled_from(
    ["on", "1", "", "complaint", "\x00", "<script>alert(1)</script>", "' OR 1=1 --", "9" * 40, "a@b", "文武坝镇"]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.dictionaries(st.sampled_from(FIELDS), values),
    upload=st.none() | st.tuples(st.text(max_size=80), st.binary(max_size=2048)),
    channel=st.sampled_from(["voice", "supervision"]),
)
def test_any_form_input_gives_a_page_and_a_refused_letter_stores_nothing(client, channels, data, upload, channel):
    cache.clear()
    before = (Letter.objects.count(), Attachment.objects.count())
    payload: dict = {**data, **solved()}
    if upload is not None:
        # The client cannot build a file whose name has no last part ("", ".", "..", "a/"): Django refuses it
        # before anything is sent, as a browser never sends one.
        name = upload[0] if os.path.basename(upload[0]) not in ("", ".", "..") else "x"
        payload["attachments"] = SimpleUploadedFile(name, upload[1])
    response = client.post(reverse("supervision:write", args=[channel]), payload)
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert (Letter.objects.count(), Attachment.objects.count()) == before
    else:
        assert Letter.objects.count() == before[0] + 1 and "receipt" in response.content.decode().lower()

"""An index update that cannot be queued (the task queue away) never makes the save fail: the page is indexed at
once instead, and found."""

from __future__ import annotations

import logging

import modelsearch.signal_handlers as handlers
import pytest
from django.contrib.auth.models import AnonymousUser

from dangjian.search.indexing import QueuedOrInline
from dangjian.search.queries import search
from tests.search.conftest import add_page


class QueueAway:
    def enqueue(self, *args):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_the_save_handler_is_wrapped():
    assert isinstance(handlers.insert_or_update_object_task, QueuedOrInline)


def test_without_the_wrapper_the_queue_away_fails_the_save(site, monkeypatch):
    monkeypatch.setattr(handlers, "insert_or_update_object_task", QueueAway())
    with pytest.raises(ConnectionError):
        add_page(site["news"], title="脐橙黄龙病防治现场会")


def test_a_page_saved_while_the_queue_is_away_is_saved_and_found(site, monkeypatch, caplog):
    monkeypatch.setattr(handlers.insert_or_update_object_task, "task", QueueAway())
    with caplog.at_level(logging.WARNING, logger="dangjian.search.indexing"):
        page = add_page(site["news"], title="脐橙黄龙病防治现场会", body="<p>果农学习脐橙黄龙病防治技术。</p>")
    assert page.live and "could not queue the index update" in caplog.text
    assert page.pk in [hit.obj.pk for hit in search(AnonymousUser(), "黄龙病")]

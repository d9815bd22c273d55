"""Wagtail's database search (modelsearch) with Chinese word segmentation, on SQLite FTS5 and PostgreSQL.

Neither FTS5's unicode61 tokenizer nor PostgreSQL's default parser splits Chinese into words: a run of Chinese
characters becomes one token, so 党建 never matches 会昌县党建工作. We segment with jieba on both sides:

- index time: every value a SearchField or AutocompleteField yields is normalised and segmented
  (`text.segment_for_index`) before modelsearch stores it, so the engine indexes space-separated words;
- query time: a plain-text query is segmented (`text.segment_query`) and its words are ANDed.

The segmentation wraps the model's declared search fields, so every app's `search_fields` is segmented without
the app doing anything. Settings: WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "dangjian.search.backends"}}.
For Elasticsearch/OpenSearch use their own backend with an IK or smartcn analyser instead (docs/publicity.md).
"""

from __future__ import annotations

from django.db import connection
from modelsearch.backends.database.postgres.postgres import (
    PostgresAutocompleteQueryCompiler,
    PostgresIndex,
    PostgresSearchBackend,
    PostgresSearchQueryCompiler,
)
from modelsearch.index import AutocompleteField, RelatedFields, SearchField
from modelsearch.query import PlainText

from dangjian.search.text import segment_for_index, segment_query


def _flatten(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(_flatten(v) for v in value)
    if isinstance(value, dict):
        return " ".join(_flatten(v) for v in value.values())
    return str(value)


class SegmentedSearchField(SearchField):
    def __init__(self, inner: SearchField):
        super().__init__(inner.field_name, boost=inner.boost, **inner.kwargs)
        self.inner = inner

    def get_value(self, obj):
        return segment_for_index(_flatten(self.inner.get_value(obj)))


class SegmentedAutocompleteField(AutocompleteField):
    def __init__(self, inner: AutocompleteField):
        super().__init__(inner.field_name, **inner.kwargs)
        self.inner = inner

    def get_value(self, obj):
        return segment_for_index(_flatten(self.inner.get_value(obj)))


def segmented(fields) -> list:
    """The model's search fields with every text-yielding field segmented (related fields recursively)."""
    out = []
    for field in fields:
        if isinstance(field, SearchField):
            out.append(SegmentedSearchField(field))
        elif isinstance(field, AutocompleteField):
            out.append(SegmentedAutocompleteField(field))
        elif isinstance(field, RelatedFields):
            out.append(RelatedFields(field.field_name, segmented(field.fields)))
        else:
            out.append(field)
    return out


class SegmentingIndexMixin:
    def add_items(self, model, objs):
        objs = list(objs)
        fields = segmented(model.get_search_fields())
        # modelsearch's indexer reads `obj.get_search_fields()`: an instance attribute shadows the classmethod
        # for the duration of this call only, so the stored text is the segmented one.
        for obj in objs:
            obj.get_search_fields = lambda fields=fields: fields
        try:
            super().add_items(model, objs)
        finally:
            for obj in objs:
                vars(obj).pop("get_search_fields", None)


def _segment_plain_text(query):
    if isinstance(query, PlainText):
        words = segment_query(query.query_string)
        return PlainText(words or query.query_string, operator=query.operator, boost=query.boost)
    return query


class SQLFiltersMixin:
    """The database backends apply the searched queryset's filters as SQL (`queryset.filter(pk__in=matches)`), so
    any filter the ORM can express is allowed: a source's `visible(user)` need not declare FilterFields."""

    def _get_filters_from_queryset(self, check_only=False):
        if check_only:
            return None
        return super()._get_filters_from_queryset(check_only=check_only)


class PostgresQueryCompiler(SQLFiltersMixin, PostgresSearchQueryCompiler):
    def build_tsquery_content(self, query, config=None, invert=False):
        return super().build_tsquery_content(_segment_plain_text(query), config=config, invert=invert)


class PostgresAutocompleteCompiler(SQLFiltersMixin, PostgresAutocompleteQueryCompiler):
    def build_tsquery_content(self, query, config=None, invert=False):
        return super().build_tsquery_content(_segment_plain_text(query), config=config, invert=invert)


class PostgresIndexSegmented(SegmentingIndexMixin, PostgresIndex):
    pass


class ChinesePostgresSearchBackend(PostgresSearchBackend):
    query_compiler_class = PostgresQueryCompiler
    autocomplete_query_compiler_class = PostgresAutocompleteCompiler
    index_class = PostgresIndexSegmented

    def __init__(self, params):
        # "simple": no English stemming or stop words, which would also drop pinyin and abbreviations.
        super().__init__({"SEARCH_CONFIG": "simple", **params})


def _sqlite_backend(params):
    # Imported only on SQLite: modelsearch's SQLite module looks up its FTS5 model, which exists only there.
    from modelsearch.backends.database.sqlite.sqlite import (
        SQLiteAutocompleteQueryCompiler,
        SQLiteIndex,
        SQLiteSearchBackend,
        SQLiteSearchQueryCompiler,
    )

    class SQLiteQueryCompiler(SQLFiltersMixin, SQLiteSearchQueryCompiler):
        def build_search_query_content(self, query, config=None):
            return super().build_search_query_content(_segment_plain_text(query), config=config)

    class SQLiteAutocompleteCompiler(SQLFiltersMixin, SQLiteAutocompleteQueryCompiler):
        def build_search_query_content(self, query, config=None):
            return super().build_search_query_content(_segment_plain_text(query), config=config)

    class SQLiteIndexSegmented(SegmentingIndexMixin, SQLiteIndex):
        pass

    class ChineseSQLiteSearchBackend(SQLiteSearchBackend):
        query_compiler_class = SQLiteQueryCompiler
        autocomplete_query_compiler_class = SQLiteAutocompleteCompiler
        index_class = SQLiteIndexSegmented

    return ChineseSQLiteSearchBackend(params)


def SearchBackend(params):
    if connection.vendor == "postgresql":
        return ChinesePostgresSearchBackend(params)
    if connection.vendor == "sqlite":
        return _sqlite_backend(params)
    raise NotImplementedError("dangjian.search.backends supports SQLite and PostgreSQL; use Elasticsearch otherwise")

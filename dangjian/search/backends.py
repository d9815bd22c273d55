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

from django.db import connection, models
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from modelsearch.backends.database.postgres.postgres import (
    PostgresAutocompleteQueryCompiler,
    PostgresIndex,
    PostgresSearchBackend,
    PostgresSearchQueryCompiler,
)
from modelsearch.index import AutocompleteField, RelatedFields, SearchField
from modelsearch.query import PlainText
from modelsearch.utils import get_descendants_content_types_pks

from dangjian.search.text import segment_for_index, segment_query

#: A query is ranked over its POOL most recently indexed visible matches at most. Ranking every match costs time in
#: proportion to the matches: a word in half of 100,000 documents took 126 ms of bm25 alone on SQLite
#: (docs/publicity.md, Search). A query matching fewer visible objects than this is ranked over all of them.
POOL = 500
#: PostgreSQL reads a query's matches this many at a time (ChinesePostgresSearchBackend.ranked).
CHUNK = POOL + POOL // 5
#: A list of keys as one array parameter, by the key's field type.
_UNNEST = {
    kind: f"SELECT unnest(%s::{sql}[])"
    for kind, sql in {"AutoField": "integer", "BigAutoField": "bigint", "IntegerField": "integer"}.items()
}

#: Per source key, (primary key, score) pairs, best first.
Ranked = dict[str, list[tuple[object, float]]]


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


def _key_type(model) -> models.Field:
    field = model._meta.pk
    while field.is_relation:  # a page's key is its parent's (multi-table inheritance)
        field = field.target_field
    return field


def _visible(queryset: QuerySet, object_id: str) -> Q:
    """The index entry is of the queryset's model and its object is in the visitor's queryset, tested per entry by
    primary key (a correlated EXISTS: the visible set of a large site is never built whole)."""
    if isinstance(_key_type(queryset.model), models.IntegerField):
        key = Cast(OuterRef(object_id), output_field=models.BigIntegerField())
        same = queryset.order_by().filter(pk=key)
    else:
        same = queryset.order_by().annotate(_key=Cast("pk", models.TextField())).filter(_key=OuterRef(object_id))
    kinds = get_descendants_content_types_pks(queryset.model)
    return Q(**{f"{object_id.rpartition('object_id')[0]}content_type_id__in": kinds}) & Q(Exists(same.values("pk")))


class _Sources:
    """The sources of one search by the content types of their index entries, with their key fields."""

    def __init__(self, querysets: dict[str, QuerySet]):
        self.of_kind: dict[int, str] = {}
        for key, queryset in querysets.items():
            for kind in get_descendants_content_types_pks(queryset.model):
                self.of_kind.setdefault(kind, key)
        self.fields = {key: _key_type(queryset.model) for key, queryset in querysets.items()}

    def key(self, kind: int, object_id: str) -> tuple[str, object]:
        """The source of an index entry and its object's primary key."""
        source = self.of_kind[kind]
        return source, self.fields[source].to_python(object_id)


def _best(sources: _Sources, scored, limit: int) -> Ranked:
    """Per source, the primary keys and scores of its `limit` best (content type, object id, score) rows, best
    first; rows of equal score stay in the order given (newest first)."""
    rows: dict[str, list[tuple[object, float]]] = {key: [] for key in sources.fields}
    for kind, object_id, score in scored:
        if kind in sources.of_kind:
            source, pk = sources.key(kind, object_id)
            rows[source].append((pk, score))
    return {key: sorted(pairs, key=lambda pair: -pair[1])[:limit] for key, pairs in rows.items()}


def _any(conditions: list[Q]) -> Q:
    either = Q()
    for condition in conditions:
        either |= condition
    return either


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

    def ranked(self, querysets: dict[str, QuerySet], query: str, limit: int) -> Ranked:
        """Per source (a visitor's queryset of one model), the keys and scores of its `limit` best objects matching
        every word of `query`, best first (higher is better), ranked over its POOL most recently indexed visible
        matches at most.

        The matches are read newest first a CHUNK at a time with their scores (the planner takes them from the
        newest entries down for a common word, from the text's GIN index for a rare one: migration 0001); then each
        source's queryset says which of its keys in the chunk the visitor may see, by a list of keys. Tested in the
        same statement, per entry, the planner would rather hash every visible object of the site first (100,000
        pages: 165-250 ms) than look up a thousand keys."""
        from modelsearch.backends.database.postgres.postgres import IndexEntry

        compiler = self.query_compiler_class(next(iter(querysets.values())), query, operator="and")
        config = compiler.get_config(self)
        tsquery = compiler.build_tsquery(compiler.query, config=config)
        title = compiler.build_tsrank(F("title"), compiler.query, config=config)
        body = compiler.build_tsrank(F("body"), compiler.query, config=config)
        sources = _Sources(querysets)
        matches = (
            IndexEntry._default_manager.annotate(_vector=F("title")._combine(F("body"), "||", False))
            .filter(_vector=tsquery, content_type_id__in=list(sources.of_kind))
            .annotate(score=title * F("title_norm") + body)
            .order_by("-pk")
        )
        scored: list[tuple[int, str, float]] = []
        below = None
        while len(scored) < POOL:
            chunk = matches if below is None else matches.filter(pk__lt=below)
            rows = list(chunk.values_list("pk", "content_type_id", "object_id", "score")[:CHUNK])
            entries = [(sources.key(kind, object_id), kind, object_id, score) for _, kind, object_id, score in rows]
            keys: dict[str, set] = {}
            for (source, pk), *_ in entries:
                keys.setdefault(source, set()).add(pk)
            # The keys as one array parameter: a parameter per key cost more to send than the lookup itself.
            seen = {
                key: set(
                    querysets[key]
                    .filter(
                        pk__in=RawSQL(_UNNEST[sources.fields[key].get_internal_type()], [list(wanted)])  # noqa: S611 (a constant)
                    )
                    .order_by()
                    .values_list("pk", flat=True)
                )
                for key, wanted in keys.items()
            }
            scored += [(kind, oid, score) for (source, pk), kind, oid, score in entries if pk in seen[source]]
            if len(rows) < CHUNK:
                break
            below = rows[-1][0]
        return _best(sources, scored[:POOL], limit)


def _sqlite_backend(params):
    # Imported only on SQLite: modelsearch's SQLite module looks up its FTS5 model, which exists only there.
    from modelsearch.backends.database.sqlite.query import BM25, MatchExpression, normalize
    from modelsearch.backends.database.sqlite.sqlite import (
        SQLiteAutocompleteQueryCompiler,
        SQLiteFTSIndexEntry,
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

        def ranked(self, querysets: dict[str, QuerySet], query: str, limit: int) -> Ranked:
            """As ChinesePostgresSearchBackend.ranked. FTS5 reads its matches in rowid order (newest first with
            DESC), so the pass stops at its POOL visible matches; bm25 is worked out for those alone."""
            compiler = self.query_compiler_class(next(iter(querysets.values())), query, operator="and")
            match = MatchExpression(compiler.FTS_TABLE_FIELDS, compiler.build_search_query(normalize(compiler.query)))
            # bm25 is negative, lower is better (FTS5); the title weighted as modelsearch weights it.
            score = BM25() * (F("index_entry__title_norm") + 1.0) * -1.0
            matches = (
                SQLiteFTSIndexEntry._default_manager.filter(match)
                .filter(_any([_visible(queryset, "index_entry__object_id") for queryset in querysets.values()]))
                .annotate(score=score)
                .order_by("-pk")
                .values_list("index_entry__content_type_id", "index_entry__object_id", "score")[:POOL]
            )
            return _best(_Sources(querysets), matches, limit)

    return ChineseSQLiteSearchBackend(params)


def SearchBackend(params):
    if connection.vendor == "postgresql":
        return ChinesePostgresSearchBackend(params)
    if connection.vendor == "sqlite":
        return _sqlite_backend(params)
    raise NotImplementedError("dangjian.search.backends supports SQLite and PostgreSQL; use Elasticsearch otherwise")

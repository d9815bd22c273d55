"""The `descendant_of` lookup: a materialised-path subtree as one indexed query on every database."""

from __future__ import annotations

from django.db.models import CharField, Lookup


@CharField.register_lookup
class DescendantOf(Lookup):
    """`path__descendant_of=p`: paths that start with `p` (the node itself and everything below it).

    Paths are digits only, so the prefix is the half-open range [p, p + ':') in byte order (':' follows '9').
    PostgreSQL gets `LIKE p || '%'`, which its `varchar_pattern_ops` index (made by Django for an indexed
    CharField) serves whatever the database collation; SQLite gets the range, served by the plain index.
    """

    lookup_name = "descendant_of"

    def get_db_prep_lookup(self, value, connection):
        if not isinstance(value, str) or not value.isdigit():
            raise ValueError("descendant_of needs a non-empty path of digits")
        return super().get_db_prep_lookup(value, connection)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        (prefix,) = rhs_params
        return f"({lhs} >= {rhs} AND {lhs} < {rhs})", [*lhs_params, prefix, *lhs_params, prefix + ":"]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        (prefix,) = rhs_params
        return f"{lhs} LIKE {rhs}", [*lhs_params, prefix + "%"]

"""Orders whose current report version matches: an EXISTS over the order's report versions,
so the database can either walk the orders in the worklist's sort order and test each one
(common words: the first page comes at once) or start from the text index (rare words)."""

from __future__ import annotations

from django.db.models import BooleanField, Exists, F, Func, OuterRef


class VersionTextMatches(Func):
    """A condition on report versions, written by an engine: `sql(version_id_column)`."""

    output_field = BooleanField()

    def __init__(self, sql, text: str):
        super().__init__(F("pk"))
        self.sql, self.text = sql, text

    def as_sql(self, compiler, connection, **extra):
        id_column, params = compiler.compile(self.source_expressions[0])
        return self.sql(id_column), [*params, self.text]


def current_version_matches(condition: VersionTextMatches) -> Exists:
    from ..models import ReportVersion

    newer = ReportVersion.objects.filter(report=OuterRef("report"), number__gt=OuterRef("number"))
    return Exists(
        ReportVersion.objects.filter(condition, report__order=OuterRef("pk"))
        .exclude(Exists(newer))
    )

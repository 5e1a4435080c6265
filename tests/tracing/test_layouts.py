"""The SQLAlchemy-free column layouts (``tracing._schema``) the SQLite writer inserts with and
``fit_row`` trims by are the sqlmodel tables', column for column."""

from __future__ import annotations

from typing import Any

from agentcore.tracing import _schema
from agentcore.tracing.calllog import CALLS, MODEL_USAGE, SPANS


def _text_size(sql_type: Any) -> int:
    from sqlalchemy import String

    # SQLModel's AutoString decorates a String
    string = sql_type if isinstance(sql_type, String) else getattr(sql_type, "impl_instance", None)
    return (string.length or 0) if isinstance(string, String) else -1


def _default(column: Any) -> Any:
    return column.default.arg if column.default is not None else None


def test_the_layouts_match_the_tables() -> None:
    for table, name, layout in (
        (CALLS, _schema.CALLS_TABLE, _schema.CALLS),
        (MODEL_USAGE, _schema.MODEL_USAGE_TABLE, _schema.MODEL_USAGE),
        (SPANS, _schema.SPANS_TABLE, _schema.SPANS),
    ):
        columns: list[Any] = list(table.columns)
        derived = tuple((c.name, _default(c), _text_size(c.type)) for c in columns)
        assert (table.name, derived) == (name, layout)

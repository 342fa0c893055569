"""SQL that Django compiles once and runs again with new values: a one-row lookup, an insert.

Building and compiling a query with a join, deferred columns and an `Exists` annotation cost
several times more than running it (the sign-in's account lookup: issue 27). `PreparedLookup`
keeps what Django's compiler produced the first time (the SQL, its parameters, the column map)
and, on each call, swaps the one parameter that changes, runs the SQL, and builds the instances
as `QuerySet.first()` would: converters, `select_related` objects and annotations included.

`Model.objects.create()` builds an instance and compiles its INSERT on every call: on authorize
that cost more than the write itself. `insert_row` prepares each value as `save()` does (the
field's `get_db_prep_save`: encryption, datetime adaptation) and runs SQL made once per database
and model; the row is as durable as a saved one. It is for rows whose id the caller does not
need; a model with save signals connected is created the usual way, so no receiver is skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.signals import post_save, pre_save

# Stand for the looked-up value while the query is compiled; found again in the parameters.
INT_PLACEHOLDER = -2_000_000_017  # within the range of every integer column (32-bit keys too)
STR_PLACEHOLDER = "prepared-lookup-placeholder-7355608"


@dataclass(frozen=True)
class _Compiled:
    compiler: Any
    sql: str
    params: tuple
    slot: int
    init_list: list[str]
    fields: slice
    populators: list
    annotations: dict[str, int]
    fetch_mode: Any
    converters: dict


class PreparedLookup:
    """`first(value)` is `build(value).first()`, compiled once per thread and database
    (Django's connections are per thread, and so is the compiler). `placeholder`: a value of
    the looked-up field's type that no real one equals (an integer by default)."""

    def __init__(self, build: Callable[[Any], QuerySet], *,
                 placeholder: int | str = INT_PLACEHOLDER) -> None:
        self._build = build
        self._placeholder = placeholder
        self._local = threading.local()

    def first(self, value: int | str, *, using: str = "default") -> Model | None:
        connection = connections[using]
        compiled_by_alias = self._local.__dict__.setdefault("compiled", {})
        compiled = compiled_by_alias.get(using)
        if compiled is None or compiled.compiler.connection is not connection:
            compiled = compiled_by_alias[using] = self._compile(using)
        params = list(compiled.params)
        params[compiled.slot] = value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled.converters:
            row = next(compiled.compiler.apply_converters([row], compiled.converters))
        obj = compiled.compiler.query.model.from_db(using, compiled.init_list,
                                                    row[compiled.fields],
                                                    fetch_mode=compiled.fetch_mode)
        for populator in compiled.populators:
            populator.populate(row, obj)
        for name, position in compiled.annotations.items():
            setattr(obj, name, row[position])
        return obj

    def _compile(self, using: str) -> _Compiled:
        queryset = self._build(self._placeholder).order_by("pk")[:1]
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()  # also fills select, klass_info, annotation_col_map
        if list(params).count(self._placeholder) != 1:
            raise ValueError("the value must appear exactly once among the query's parameters")
        klass_info, select = compiler.klass_info, compiler.select
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return _Compiled(
            compiler=compiler, sql=sql, params=tuple(params),
            slot=list(params).index(self._placeholder),
            init_list=[column[0].target.attname for column in select[first:last]],
            fields=slice(first, last),
            populators=get_related_populators(klass_info, select, using,
                                              queryset._fetch_mode),
            annotations=dict(compiler.annotation_col_map or {}),
            fetch_mode=queryset._fetch_mode,
            # The backend's converters (datetimes, booleans, decrypting fields), found once.
            converters=compiler.get_converters(
                [column[0] for column in select[:compiler.col_count]]),
        )


@cache
def _insert_plan(alias: str, model: type[Model]) -> tuple[str, tuple]:
    """The INSERT of every concrete column but the automatic primary key, and their fields.
    Identifiers from the model, quoted by the backend; the values are parameters."""
    fields = tuple(field for field in model._meta.concrete_fields if not field.primary_key)
    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    return sql, fields


def insert_row(model: type[Model], **values) -> None:
    """Insert one row of `model` from `values` (by attname: `user_id`, not `user`); a field not
    given takes its default. `auto_now(_add)` fields must be given: nothing here sets them."""
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        model._default_manager.create(**values)
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    sql, fields = _insert_plan(alias, model)
    params = []
    for field in fields:
        if field.attname in values:
            value = values.pop(field.attname)
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            raise TypeError(f"insert_row() needs {field.attname} ({model.__name__})")
        else:
            value = field.get_default()
        params.append(field.get_db_prep_save(value, connection))
    if values:
        raise TypeError(f"insert_row() got unknown fields for {model.__name__}: {sorted(values)}")
    with transaction.mark_for_rollback_on_error(alias), connection.cursor() as cursor:
        cursor.execute(sql, params)

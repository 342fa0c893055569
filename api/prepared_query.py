"""A one-row model query compiled once per thread, then run with a new key each time.

Compiling a queryset with a join, an `Exists` annotation and deferred columns costs several
times what running it does (the session user, on every request). `PreparedQuery` compiles the
queryset once per thread (each thread has its own connection), keeps the SQL and the row's
layout, and per call swaps in the key and builds the instances the way Django's ModelIterable
does: same columns, converters, `select_related` objects and annotations.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import _get_from_db, get_related_populators

# A key no row has: found among the compiled parameters, it marks where each call's key goes.
_PLACEHOLDER = -2_000_000_017  # within every integer key column's range


class PreparedQuery:
    """`build(key)` returns the queryset for one key; `get(key)` runs it: the instance or None."""

    def __init__(self, build: Callable[[int], QuerySet]) -> None:
        self._build = build
        self._local = threading.local()

    def get(self, key: int):
        plan = self._plan()
        params = list(plan.params)
        params[plan.key_index] = int(key)
        with connections[plan.alias].cursor() as cursor:
            cursor.execute(plan.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if plan.converters:
            row = next(plan.compiler.apply_converters([row], plan.converters))
        return plan.instance(row)

    def _plan(self) -> _Plan:
        plan = getattr(self._local, "plan", None)
        if plan is None:
            plan = self._local.plan = _Plan(self._build(_PLACEHOLDER))
        return plan


class _Plan:
    """What ModelIterable works out from a compiled query, worked out once."""

    def __init__(self, queryset: QuerySet) -> None:
        self.alias = queryset.db
        self.compiler = compiler = queryset.query.get_compiler(using=self.alias)
        self.sql, params = compiler.as_sql()
        if list(params).count(_PLACEHOLDER) != 1:
            raise ValueError("the queryset must name its key exactly once")
        self.params = tuple(params)
        self.key_index = self.params.index(_PLACEHOLDER)
        self.converters = compiler.get_converters(
            [column[0] for column in compiler.select[:compiler.col_count]])
        fetch_mode = queryset._fetch_mode
        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        self.model_slice = slice(fields[0], fields[-1] + 1)
        self.init_list = [column[0].target.attname for column in select[self.model_slice]]
        self.from_db = _get_from_db(klass_info["model"], fetch_mode)
        self.track_peers = fetch_mode.track_peers
        self.related = get_related_populators(klass_info, select, self.alias, fetch_mode)
        self.annotations = tuple((compiler.annotation_col_map or {}).items())

    def instance(self, row):
        obj = self.from_db(self.alias, self.init_list, row[self.model_slice])
        if self.track_peers:
            obj._state.peers = [weakref.ref(obj)]
        for populator in self.related:
            populator.populate(row, obj)
        for name, position in self.annotations:
            setattr(obj, name, row[position])
        return obj

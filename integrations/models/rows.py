"""One INSERT per row, with SQL made once per database and model.

`Model.objects.create()` builds an instance and compiles its INSERT (SQLInsertCompiler) on
every call: on authorize that cost more than the write itself. `insert_row` prepares each value
as `save()` does (the field's `get_db_prep_save`: encryption, datetime adaptation) and runs the
cached SQL; the row is as durable as a saved one. It is for rows whose id the caller does not
need; a model with save signals connected is created the usual way, so no receiver is skipped.
"""

from functools import cache

from django.db import connections, router, transaction
from django.db.models import Model
from django.db.models.signals import post_save, pre_save


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

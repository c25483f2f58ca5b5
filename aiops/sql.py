"""Hot-path reads and writes without the ORM's per-call query compilation.

`QuerySet.update()` and `.first()` compile their statement on every call; on the request paths
that update one row by primary key (feedback, a prediction's outcome, a version's status, a
deployment's end) or read one by a unique key (the version a model action names) that took
longer than PostgreSQL took to run it. These build the statement once per model and set of
fields and run it with the values prepared as the ORM prepares them. Like `update()`,
`update_by_pk` sends no signals and touches no auto_now field.
"""

import functools

from django.db import connection


@functools.cache
def _update_sql(model, names: tuple[str, ...]) -> tuple[str, tuple]:
    quote = connection.ops.quote_name
    fields = tuple(model._meta.get_field(name) for name in names)
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"
    return sql, tuple(zip(names, fields, strict=True))


def update_by_pk_statement(model, pk, **values) -> tuple[str, list]:
    """update_by_pk's statement and its parameters, to run or to embed in a larger one."""
    sql, fields = _update_sql(model, tuple(values))
    params = [field.get_db_prep_save(values[name], connection) for name, field in fields]
    return sql, [*params, pk]


def update_by_pk(model, pk, **values) -> int:
    """UPDATE the row of `model` with this primary key; returns the rows updated (0 or 1).
    Fields are named as in `update()`, a foreign key by its attname (`category_id=3`)."""
    with connection.cursor() as cursor:
        cursor.execute(*update_by_pk_statement(model, pk, **values))
        return cursor.rowcount


@functools.cache
def _select_sql(model, names: tuple[str, ...]) -> tuple[str, tuple]:
    quote = connection.ops.quote_name
    meta = model._meta
    fields = tuple(meta.pk if name == "pk" else meta.get_field(name) for name in names)
    columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
    where = " AND ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {where} LIMIT 1"
    return sql, tuple(zip(names, fields, strict=True))


def get_one(model, **where):
    """The row of `model` whose fields equal these values (named as in `filter()`, a foreign
    key by its attname, `pk` as such), or None; for keys that are unique."""
    sql, fields = _select_sql(model, tuple(where))
    params = [field.get_db_prep_value(where[name], connection) for name, field in fields]
    return next(iter(model.objects.raw(sql, params)), None)


@functools.cache
def _insert_sql(model) -> tuple[str, tuple]:
    quote = connection.ops.quote_name
    meta = model._meta
    if not meta.pk.db_returning:
        raise TypeError(f"{model.__name__}: insert() needs a primary key the database makes.")
    fields = tuple(field for field in meta.concrete_fields if field is not meta.pk)
    columns = ", ".join(quote(field.column) for field in fields)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(meta.pk.column)}"
    )
    return sql, fields


def insert(instance):
    """Save a new `instance` with one INSERT built once per model, its primary key made by the
    database; values are prepared as save() prepares them (auto_now_add included). Like
    bulk_create, it sends no signals. Returns the instance, saved."""
    sql, fields = _insert_sql(type(instance))
    params = [f.get_db_prep_save(f.pre_save(instance, add=True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding, instance._state.db = False, connection.alias
    return instance

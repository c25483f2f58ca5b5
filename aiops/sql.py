"""Hot-path reads and writes without the ORM's per-call query compilation.

`QuerySet.update()`, `.first()` and `.create()` compile their statement on every call; on the
request paths that update one row by primary key (feedback, a prediction's outcome, a
version's status, a deployment's end), read one by a unique key (the version a model action
names) or insert one (a prediction's log and record, a deployment and its event) that took
longer than PostgreSQL took to run it. These build the statement once per model and set of
fields and run it with the values prepared as the ORM prepares them. Like `update()` and
`bulk_create()`, they send no signals; `update_by_pk` touches no auto_now field.

Reads (`get_one`, `fetch` of a `select_from` statement) build instances straight from the
cursor's rows with the ORM's converters: `Model.objects.raw()` cost more in per-call set-up
than the one-row reads it ran. `pipelined()` sends a run of writes without waiting for each.
"""

import functools
from contextlib import contextmanager, nullcontext

from django.db import connection, transaction


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
def select_from(model) -> str:
    """`SELECT <every concrete column, in _meta order> FROM <table>`: the start of a read
    whose rows `fetch` turns into instances."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in model._meta.concrete_fields)
    return f"SELECT {columns} FROM {quote(model._meta.db_table)}"


def fetch(model, sql: str, params) -> list:
    """The instances of `model` that `sql` (a `select_from(model)` read) gives, each value
    converted as the ORM converts it; no RawQuerySet set-up per call."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_from_row(model, row) for row in cursor.fetchall()]


@functools.cache
def _select_sql(model, names: tuple[str, ...]) -> tuple[str, tuple]:
    quote = connection.ops.quote_name
    meta = model._meta
    fields = tuple(meta.pk if name == "pk" else meta.get_field(name) for name in names)
    where = " AND ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"{select_from(model)} WHERE {where} LIMIT 1"
    return sql, tuple(zip(names, fields, strict=True))


@functools.cache
def _integer_range(field) -> tuple[int | None, int | None] | None:
    """The column's (low, high) for an integer field or a key to one; None for others."""
    target = field.target_field if field.is_relation else field
    try:
        return connection.ops.integer_field_range(target.get_internal_type())
    except KeyError:
        return None


def _fits(field, value: int) -> bool:
    limits = _integer_range(field)
    if limits is None:
        return True
    low, high = limits
    return (low is None or value >= low) and (high is None or value <= high)


def get_one(model, **where):
    """The row of `model` whose fields equal these values (named as in `filter()`, a foreign
    key by its attname, `pk` as such), or None; for keys that are unique. As with `filter()`,
    a value its field cannot hold raises TypeError or ValueError (a number's field given "x"),
    and an integer beyond its column's range matches nothing."""
    sql, fields = _select_sql(model, tuple(where))
    params = [field.get_db_prep_value(where[name], connection) for name, field in fields]
    for (_, field), value in zip(fields, params, strict=True):
        if isinstance(value, int) and not _fits(field, value):
            return None
    found = fetch(model, sql, params)
    return found[0] if found else None


@functools.cache
def _converters(model) -> tuple[tuple[int, tuple], ...]:
    """Per concrete field that has any, (position, converters) as the ORM's compiler finds
    them: the backend's, then the field's."""
    found = []
    for position, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            found.append((position, tuple((f, column) for f in functions)))
    return tuple(found)


def _from_row(model, row) -> object:
    """An instance of `model` from a row of its concrete fields' columns in `_meta` order
    (as `select_from` selects them), each value converted as the ORM converts it."""
    values = list(row)
    for position, functions in _converters(model):
        value = values[position]
        for function, column in functions:
            value = function(value, column, connection)
        values[position] = value
    return model.from_db(connection.alias, None, values)


@functools.cache
def _insert_into(model) -> tuple[str, tuple]:
    """`INSERT INTO table (columns)` of every concrete field but the key, and those fields."""
    quote = connection.ops.quote_name
    meta = model._meta
    if not meta.pk.db_returning:
        raise TypeError(f"{model.__name__}: insert() needs a primary key the database makes.")
    fields = tuple(field for field in meta.concrete_fields if field is not meta.pk)
    columns = ", ".join(quote(field.column) for field in fields)
    return f"INSERT INTO {quote(meta.db_table)} ({columns})", fields


@functools.cache
def _insert_sql(model) -> tuple[str, tuple]:
    into, fields = _insert_into(model)
    returning = connection.ops.quote_name(model._meta.pk.column)
    return f"{into} VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {returning}", fields


def insert_params(instance, fields) -> list:
    """The values of `fields` of a new `instance`, prepared as save() prepares them."""
    return [f.get_db_prep_save(f.pre_save(instance, add=True), connection) for f in fields]


def mark_saved(instance, pk):
    """`instance` as if saved (or loaded) with this primary key; returns it."""
    instance.pk = pk
    instance._state.adding, instance._state.db = False, connection.alias
    return instance


def insert(instance):
    """Save a new `instance` with one INSERT built once per model, its primary key made by the
    database; values are prepared as save() prepares them (auto_now_add included). Like
    bulk_create, it sends no signals. Returns the instance, saved."""
    sql, fields = _insert_sql(type(instance))
    with connection.cursor() as cursor:
        cursor.execute(sql, insert_params(instance, fields))
        return mark_saved(instance, cursor.fetchone()[0])


def one_statement():
    """Around a statement that must be all or nothing: alone it is its own transaction, so
    nothing; inside a caller's transaction a savepoint, so that its failure does not abort
    that transaction."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


@contextmanager
def pipelined():
    """Writes inside go to PostgreSQL without waiting for each one's answer (psycopg's
    pipeline mode): they run in order, and their answers come back together at the end, or
    where a result is read (an INSERT's RETURNING). For writes only: a statement's rowcount
    is unknown until then, and a failure surfaces there, not at its own execute(). Reads
    through the ORM do not work inside. Elsewhere than on PostgreSQL, nothing changes."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    # A failure found when the pipeline ends is raised as Django's error (IntegrityError...),
    # as it would be from the statement's own execute().
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


@functools.cache
def _insert_linked_sql(parent_model, child_model, link: str) -> tuple[str, tuple]:
    quote = connection.ops.quote_name
    parent_sql, _ = _insert_sql(parent_model)
    into, child_fields = _insert_into(child_model)
    link_field = child_model._meta.get_field(link)
    values = ", ".join(
        f"p.{quote(parent_model._meta.pk.column)}" if f is link_field else "%s"
        for f in child_fields
    )
    returning = f"{quote(child_model._meta.pk.column)}, {quote(link_field.column)}"
    sql = f"WITH p AS ({parent_sql}) {into} SELECT {values} FROM p RETURNING {returning}"
    return sql, tuple(f for f in child_fields if f is not link_field)


def insert_linked(parent, child, link: str):
    """Insert `parent`, then `child`, whose foreign key `link` points at it, all or nothing:
    on PostgreSQL one statement (the child's INSERT selects the parent's new key), elsewhere
    two in one transaction. Returns `child`, both saved."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            setattr(child, link, insert(parent))
            return insert(child)
    sql, child_fields = _insert_linked_sql(type(parent), type(child), link)
    params = insert_params(parent, _insert_into(type(parent))[1])
    params += insert_params(child, child_fields)
    with one_statement(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        child_pk, parent_pk = cursor.fetchone()
    setattr(child, link, mark_saved(parent, parent_pk))
    return mark_saved(child, child_pk)

"""Serializer fields shared by request bodies."""

from rest_framework import serializers

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class IdField(serializers.IntegerField):
    """A row id: 1 to the largest 64-bit key, so an id no column can hold is a 400 here rather
    than an OverflowError (SQLite) or a numeric comparison (PostgreSQL) in the query."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", INT64_MAX)
        super().__init__(**kwargs)


class IdListField(serializers.ListField):
    """A non-empty list of ids, at most `max_length` of them."""

    def __init__(self, *, max_length: int = 1000, **kwargs):
        super().__init__(child=IdField(), min_length=1, max_length=max_length, **kwargs)

"""The strict filtering every list endpoint uses: query parameters in camelCase (as the schema
shows them) or snake_case, and a value a filter cannot use is a 400 with the field's message,
never ignored (the whole list) and never passed on to the database (a 500).

Every FilterSet of every app derives from `FilterSet` here; the backend also builds the
`filterset_fields` ones on it."""

import re
from datetime import UTC

from django import forms
from django.db import models
from django.http import QueryDict
from django_filters import filters
from django_filters import rest_framework as drf_filters
from django_filters.rest_framework.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from djangorestframework_camel_case.util import camel_to_underscore
from drf_spectacular.utils import extend_schema_field

from aiops.api.fields import INT64_MAX, INT64_MIN

_INTEGER = re.compile(r"[+-]?\d+")
# Django's own bounds for each integer column type (the same on SQLite and PostgreSQL).
_COLUMN_RANGES = {
    "SmallIntegerField": (-(2**15), 2**15 - 1),
    "IntegerField": (-(2**31), 2**31 - 1),
    "PositiveSmallIntegerField": (0, 2**15 - 1),
    "PositiveIntegerField": (0, 2**31 - 1),
    "PositiveBigIntegerField": (0, INT64_MAX),
    "SmallAutoField": (-(2**15), 2**15 - 1),
    "AutoField": (-(2**31), 2**31 - 1),
}


def column_range(field: models.Field) -> tuple[int, int]:
    """The values an integer column (or the key a foreign key points at) can hold."""
    if field.is_relation:
        field = field.target_field
    return _COLUMN_RANGES.get(field.get_internal_type(), (INT64_MIN, INT64_MAX))


class IntegerField(forms.Field):
    """Digits only: no '2.0', '1e3' or '-3.4e+38'; within [min_value, max_value]."""

    default_error_messages = {
        "invalid": "Enter a whole number.",
        "range": "Enter a whole number from %(min)s to %(max)s.",
    }

    def __init__(self, *, min_value: int = INT64_MIN, max_value: int = INT64_MAX, **kwargs):
        self.min_value, self.max_value = min_value, max_value
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not _INTEGER.fullmatch(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        # No 64-bit column holds more than 19 digits: don't make int() parse a megabyte.
        number = int(text) if len(text) <= 20 else None
        if number is None or not self.min_value <= number <= self.max_value:
            raise forms.ValidationError(
                self.error_messages["range"],
                code="range",
                params={"min": self.min_value, "max": self.max_value},
            )
        return number


class BooleanField(forms.Field):
    """true / false (or 1 / 0), any case; anything else is an error, not 'no filter'."""

    default_error_messages = {"invalid": "Enter true or false."}
    _VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self._VALUES[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class DateTimeField(filters.IsoDateTimeField):
    """ISO 8601, and a moment both databases can store: in UTC, years 1 to 9999 (a year-1
    time with a positive offset, or a year-9999 one with a negative offset, is not)."""

    default_error_messages = {"range": "Enter a date and time from year 1 to 9999 in UTC."}

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise forms.ValidationError(self.error_messages["range"], code="range") from None
        return value


class IntegerFilter(filters.Filter):
    field_class = IntegerField

    def __init__(self, *args, min_value: int = INT64_MIN, max_value: int = INT64_MAX, **kwargs):
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)
        schema = {"type": "integer", "format": "int64", "minimum": min_value, "maximum": max_value}
        extend_schema_field(schema)(self)


class IdFilter(IntegerFilter):
    """A row id or a foreign key: any 64-bit value (one that matches nothing finds nothing)."""


class FloatFilter(filters.Filter):
    """A finite float (forms.FloatField refuses inf and nan), not NumberFilter's Decimal."""

    field_class = forms.FloatField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        extend_schema_field({"type": "number", "format": "double"})(self)


@extend_schema_field({"type": "boolean"})
class BooleanFilter(filters.Filter):
    field_class = BooleanField


@extend_schema_field({"type": "string", "format": "date-time"})
class DateTimeFilter(filters.Filter):
    field_class = DateTimeField


def _integer_filter(field: models.Field) -> dict:
    low, high = column_range(field)
    return {"min_value": low, "max_value": high}


_INTEGER_DEFAULTS = {"filter_class": IntegerFilter, "extra": _integer_filter}
_RELATION_DEFAULTS = {"filter_class": IdFilter, "extra": _integer_filter}

STRICT_FILTER_DEFAULTS = {
    **FILTER_FOR_DBFIELD_DEFAULTS,
    models.AutoField: _INTEGER_DEFAULTS,
    models.BigAutoField: _INTEGER_DEFAULTS,
    models.SmallIntegerField: _INTEGER_DEFAULTS,
    models.IntegerField: _INTEGER_DEFAULTS,
    models.BigIntegerField: _INTEGER_DEFAULTS,
    models.PositiveIntegerField: _INTEGER_DEFAULTS,
    models.PositiveSmallIntegerField: _INTEGER_DEFAULTS,
    models.PositiveBigIntegerField: _INTEGER_DEFAULTS,
    models.FloatField: {"filter_class": FloatFilter},
    models.BooleanField: {"filter_class": BooleanFilter},
    models.DateTimeField: {"filter_class": DateTimeFilter},
    # By id, not ModelChoiceFilter: that would look the id up in every organization's rows
    # (an existence oracle across tenants, and one more query).
    models.ForeignKey: _RELATION_DEFAULTS,
    models.OneToOneField: _RELATION_DEFAULTS,
}


class FilterSet(drf_filters.FilterSet):
    FILTER_DEFAULTS = STRICT_FILTER_DEFAULTS


class CamelCaseFilterBackend(drf_filters.DjangoFilterBackend):
    """Filter parameter names in camelCase (customerRef, wasAccepted) or snake_case."""

    filterset_base = FilterSet

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        data = QueryDict(mutable=True)
        for key, values in request.query_params.lists():
            for value in values:
                data.appendlist(camel_to_underscore(key), value)
        kwargs["data"] = data
        return kwargs

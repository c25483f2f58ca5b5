"""Fields built once per serializer class: every instance still gets its own fields, bound to
it, with its own context, and the same output as DRF's per-instance build."""

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from aiops.api.serializer_base import FieldsBuiltOnce, Serializer
from aiops.api.serializers import TicketSerializer
from aiops.models import Category
from models_registry.api.serializers import ModelActionSerializer, ModelVersionSerializer
from tests.models_registry.support import register


class Who(Serializer):
    who = serializers.SerializerMethodField()

    def get_who(self, _):
        return self.context["who"]


class Outer(Serializer):
    name = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField(max_length=3))
    inner = Who(source="*")
    many = Who(source="items", many=True)


def test_each_instance_gets_its_own_fields_bound_to_it():
    first, second = Outer(data={}), Outer(data={})
    for name in ("name", "tags", "inner", "many"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    assert first.fields["tags"].child is not second.fields["tags"].child
    assert first.fields["tags"].child.parent is first.fields["tags"]
    assert first.fields["tags"].child.root is first


def test_nested_fields_see_their_own_instances_context():
    row = {"name": "x", "tags": [], "items": [1, 2]}
    a = Outer(row, context={"who": "a"}).data
    b = Outer(row, context={"who": "b"}).data
    assert (a["inner"], a["many"]) == ({"who": "a"}, [{"who": "a"}] * 2)
    assert (b["inner"], b["many"]) == ({"who": "b"}, [{"who": "b"}] * 2)


def test_a_list_child_still_validates_in_every_instance():
    for _ in range(3):
        given = Outer(data={"name": "x", "tags": ["ok", "long"], "inner": {}, "many": []})
        assert not given.is_valid()
        assert list(given.errors) == ["tags"]


@pytest.mark.django_db
def test_changing_one_instances_field_leaves_the_others(org, other_org):
    """TicketSerializer scopes its category choices to the request's organization."""
    mine = Category.objects.create(organization=org, name="Mine")
    theirs = Category.objects.create(organization=other_org, name="Theirs")
    factory = APIRequestFactory()
    seen = []
    for organization in (org, other_org):
        request = factory.get("/")
        request.auth = type("T", (), {"membership": type("M", (), {"organization": organization})})
        fields = TicketSerializer(context={"request": request}).fields
        seen.append(set(fields["category"].get_queryset()))
    assert seen == [{mine}, {theirs}]


def _drf_built(serializer) -> dict:
    return super(FieldsBuiltOnce, serializer).get_fields()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [ModelVersionSerializer, ModelActionSerializer])
def test_the_same_fields_and_output_as_drfs_own_build(org, kind):
    version = register(org, "1.0.0")
    body = {"action": "deploy", "task": "category", "version": "v1.0.0", "steps": [5, 50]}
    for _ in range(2):  # the first instance builds, the second copies
        serializer = kind(version) if kind is ModelVersionSerializer else kind(data=body)
        drf = _drf_built(serializer)
        assert {n: repr(f) for n, f in serializer.fields.items()} == {
            n: repr(f) for n, f in drf.items()
        }
    assert ModelVersionSerializer(version).data == _plain(ModelVersionSerializer)(version).data
    given, plain = ModelActionSerializer(data=body), _plain(ModelActionSerializer)(data=body)
    assert given.is_valid() and plain.is_valid()
    assert given.validated_data == plain.validated_data


def _plain(kind):
    """The same serializer with DRF's per-instance build."""
    return type(f"Plain{kind.__name__}", (kind,), {"get_fields": _drf_built})

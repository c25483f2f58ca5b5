import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from aiops.models import Category, Membership, Organization, Ticket


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = "agent"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    organization = factory.SubFactory(OrganizationFactory)
    subject = factory.Sequence(lambda n: f"Ticket subject {n}")
    body = "Something does not work."
    created_at = factory.LazyFunction(timezone.now)


def categories(organization, *names: str) -> list[Category]:
    """The organization's categories named `names`, created where missing: a category label
    (of a training example) must be one of them."""
    return [Category.objects.get_or_create(organization=organization, name=n)[0] for n in names]

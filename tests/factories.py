"""factory_boy factories shared by every app's tests."""

from datetime import UTC, datetime

import factory
from factory.django import DjangoModelFactory

from closedloop.accounts.models import Team, User
from closedloop.accounts.roles import Role, TeamKind
from closedloop.crm.models import Account, Contact, Deal
from closedloop.tracking.models import Campaign, Channel, Event, EventType

PASSWORD = "correct horse battery staple"


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    kind = TeamKind.SALES


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.SALES_REP
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def persist(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AccountFactory(DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Company {n}")
    normalized_name = factory.LazyAttribute(lambda a: a.name.lower())


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    channel = Channel.PPC
    utm_campaign = factory.Sequence(lambda n: f"campaign-{n}")


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    email = factory.Sequence(lambda n: f"lead{n}@example.org")
    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Lovelace{n}")
    created_at = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


class DealFactory(DjangoModelFactory):
    class Meta:
        model = Deal

    name = factory.Sequence(lambda n: f"Deal {n}")
    amount = 1000
    created_at = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


class EventFactory(DjangoModelFactory):
    class Meta:
        model = Event

    idempotency_key = factory.Sequence(lambda n: f"evt-{n}")
    type = EventType.PAGE_VIEW
    ts = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

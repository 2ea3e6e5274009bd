from __future__ import annotations

import factory
from django.contrib.auth.models import Group, User

from claims.models import Claim, ClaimStatus, Topic
from claims.services import CONFIRMABLE, claim_update
from sources.models import Document, Source, SourceKind


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    name = factory.Sequence(lambda n: f"Source {n}")
    kind = SourceKind.OUTLET


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    title = factory.Sequence(lambda n: f"Document {n}")
    url = factory.Sequence(lambda n: f"https://news.example.org/{n}")
    publisher = factory.SubFactory(SourceFactory)
    language = "en"


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    text = factory.Sequence(lambda n: f"Claim number {n} is checkable.")
    status = ClaimStatus.PUBLISHED


def publish_over_checklist(claim: Claim, **fields) -> Claim:
    """Publish through the service, confirming whatever its checklist finds: for tests about
    something else than the checklist (what blocks, a claim with no chain, still blocks)."""
    return claim_update(claim=claim, status=ClaimStatus.PUBLISHED, confirm=CONFIRMABLE, **fields)

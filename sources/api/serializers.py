"""JSON shapes of sources and documents. Writes go through sources.services."""

from __future__ import annotations

from django.apps import apps
from rest_framework import serializers

from core.access import viewer_for
from core.validators import parse_id
from core.writes import Gone
from sources import services
from sources.models import Document, Source


def gone_message(pk: object) -> str | None:
    """What to tell a client that names a source id no longer there: that it was merged or
    deleted (the history has it), or None when no source ever had that id."""
    pk = parse_id(pk)
    events = apps.get_model("sources", "SourceEvent").objects
    if pk is None or not events.filter(pgh_obj_id=pk, pgh_label="delete").exists():
        return None
    return Gone(Source(pk=pk), how=services.GONE).messages[0]


class SourceReference(serializers.PrimaryKeyRelatedField):
    """A source by id; one that is gone is said to be gone, not called an invalid id."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            message = gone_message(data)
            if message is None:
                raise
            raise serializers.ValidationError(message) from None


class SourceSerializer(serializers.ModelSerializer):
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=300, allow_blank=True),
        max_length=50,
        required=False,
        help_text="Other names and spellings; searched with the name.",
    )
    parent = SourceReference(
        queryset=Source.objects.all(),
        allow_null=True,
        required=False,
        help_text="The organisation this source belongs to or speaks for.",
    )
    confirm_distinct = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="A name or alias that another source already has is refused (the two would count as two "
        "independent origins); send true to confirm this is a different source.",
    )

    class Meta:
        model = Source
        fields = [
            "id",
            "name",
            "kind",
            "description",
            "aliases",
            "country",
            "url",
            "wikidata_qid",
            "parent",
            "reliability",
            "confidential",
            "public_description",
            "confirm_distinct",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # The service's full_clean checks the constraints (unique QID) with a clear message.
        validators = []

    def to_representation(self, source: Source) -> dict:
        data = super().to_representation(source)
        viewer = viewer_for(getattr(self.context.get("request"), "user", None))
        if source.hidden_from(viewer):
            # Only what everyone may know of a confidential source. Its last change is
            # not shown either: that would tell when something hidden changed.
            data.update(
                name=source.name_for(viewer),
                description=source.public_description,
                aliases=[],
                country="",
                url="",
                wikidata_qid="",
                reliability="",
                parent=None,
                updated_at=data["created_at"],
            )
        return data

    # The services hold the parent or publisher a write names, after their own locks: one
    # merged or deleted meanwhile is refused on its field, saying so.
    def create(self, validated_data: dict) -> Source:
        return services.source_create(**validated_data)

    def update(self, instance: Source, validated_data: dict) -> Source:
        return services.source_update(source=instance, **validated_data)


class DocumentSerializer(serializers.ModelSerializer):
    """A document without its body, as lists show it."""

    publisher = SourceReference(
        queryset=Source.objects.all(),
        allow_null=True,
        required=False,
        help_text="The source that published it; null when the text does not say.",
    )
    publisher_name = serializers.SerializerMethodField(
        help_text="The publisher's name (a placeholder for a confidential source, unless you are an editor or auditor)."
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "kind",
            "url",
            "publisher",
            "publisher_name",
            "published_at",
            "retrieved_at",
            "language",
            "content_hash",
            "archive_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "content_hash", "created_at", "updated_at"]
        validators = []
        # The service says which document has the address, and checks it under a lock.
        extra_kwargs = {"url": {"validators": []}}

    def to_representation(self, document: Document) -> dict:
        data = super().to_representation(document)
        viewer = viewer_for(getattr(self.context.get("request"), "user", None))
        if document.hidden_from(viewer):
            # A confidential source's own document: nothing that would name them.
            data.update(title=document.title_for(viewer), url="", archive_url="", content_hash="")
            data["updated_at"] = data["created_at"]
            if "body" in data:
                data["body"] = ""
        return data

    def get_publisher_name(self, document: Document) -> str | None:
        if document.publisher is None:
            return None
        return document.publisher.name_for(viewer_for(getattr(self.context.get("request"), "user", None)))

    def create(self, validated_data: dict) -> Document:
        return services.document_create(**validated_data)

    def update(self, instance: Document, validated_data: dict) -> Document:
        return services.document_update(document=instance, **validated_data)


class DocumentDetailSerializer(DocumentSerializer):
    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "body"]

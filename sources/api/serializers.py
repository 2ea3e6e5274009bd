"""JSON shapes of sources and documents. Writes go through sources.services."""

from __future__ import annotations

from rest_framework import serializers

from sources import services
from sources.models import Document, Source


class SourceSerializer(serializers.ModelSerializer):
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=300, allow_blank=True),
        max_length=50,
        required=False,
        help_text="Other names and spellings; searched with the name.",
    )
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Source.objects.all(),
        allow_null=True,
        required=False,
        help_text="The organisation this source belongs to or speaks for.",
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
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # The service's full_clean checks the constraints (unique QID) with a clear message.
        validators = []

    def create(self, validated_data: dict) -> Source:
        return services.source_create(**validated_data)

    def update(self, instance: Source, validated_data: dict) -> Source:
        return services.source_update(source=instance, **validated_data)


class DocumentSerializer(serializers.ModelSerializer):
    """A document without its body, as lists show it."""

    publisher = serializers.PrimaryKeyRelatedField(
        queryset=Source.objects.all(),
        allow_null=True,
        required=False,
        help_text="The source that published it; null when the text does not say.",
    )
    publisher_name = serializers.CharField(source="publisher.name", read_only=True, allow_null=True, default=None)

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

    def create(self, validated_data: dict) -> Document:
        return services.document_create(**validated_data)

    def update(self, instance: Document, validated_data: dict) -> Document:
        return services.document_update(document=instance, **validated_data)


class DocumentDetailSerializer(DocumentSerializer):
    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "body"]

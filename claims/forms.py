"""Forms for the claim admin: recording a whole attribution chain from the claim page."""

from __future__ import annotations

import itertools

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from core.admin import AutocompleteSelect, AutocompleteSelectMultiple, add_validation_error
from sources.models import Document, Source

from .models import Claim, Evidence, Relation, Statement, Topic
from .services import HopInput

# Rows shown for hops; chains in the field are rarely longer than ten hops.
HOP_ROWS = 10


class ClaimAdminForm(forms.ModelForm):
    # Claim.topics goes through an explicit (history-tracked) table, which the
    # admin will not put on a form itself; the service sets the topics.
    topic_list = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.all(),
        required=False,
        label="Topics",
        widget=AutocompleteSelectMultiple(Claim._meta.get_field("topics"), admin.site),
    )

    class Meta:
        model = Claim
        fields = [
            "text",
            "language",
            "status",
            "rating",
            "rating_explanation",
            "event_start",
            "event_end",
            "event_approximate",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["topic_list"] = list(self.instance.topics.all())
        # The chain to record lives on the claim's own form: one Save records both, and
        # an error in either shows both again as typed (ClaimAdmin adds it for editors).
        self.chain_form = self.hop_formset = None

    def attach_chain(self) -> None:
        self.chain_form, self.hop_formset = chain_forms(self.data if self.is_bound else None)

    def chain_sent(self) -> bool:
        """Whether this POST carries a chain to record (a document, a quote or a hop)."""
        if self.chain_form is None or not self.is_bound or self.hop_formset.prefix + "-TOTAL_FORMS" not in self.data:
            return False
        return self.chain_form.has_changed() or any(form.has_changed() for form in self.hop_formset.forms)

    def is_valid(self) -> bool:
        claim_valid = super().is_valid()
        if not self.chain_sent():
            return claim_valid
        chain_valid = self.chain_form.is_valid() & self.hop_formset.is_valid()
        return claim_valid and chain_valid

    def chain_input(self) -> dict | None:
        """What ``chain_record`` needs, when a valid chain was sent."""
        if not self.chain_sent():
            return None
        return {
            "document": self.chain_form.cleaned_data["document"],
            "quote": self.chain_form.cleaned_data["quote"],
            "hops": self.hop_formset.hop_inputs(),
        }

    def add_chain_error(self, error: ValidationError) -> None:
        add_chain_error(self.chain_form, self.hop_formset, error)

    @property
    def media(self):
        media = super().media
        if self.chain_form is not None:
            media = media + self.chain_form.media + self.hop_formset.media
        return media


class ChainForm(forms.Form):
    document = forms.ModelChoiceField(
        queryset=Document.objects.all(),
        required=False,
        help_text="Where the reporting end says it. Needed for a quote.",
        widget=AutocompleteSelect(Evidence._meta.get_field("document"), admin.site, attrs={"data-width": "32em"}),
    )
    quote = forms.CharField(
        required=False,
        max_length=5000,
        help_text="The claim as worded in that document, verbatim.",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
    )

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("quote") and not cleaned_data.get("document"):
            self.add_error("document", "A quote needs the document it is quoted from.")
        return cleaned_data


class HopForm(forms.Form):
    source = forms.ModelChoiceField(
        queryset=Source.objects.all(),
        required=False,
        widget=AutocompleteSelect(Statement._meta.get_field("source"), admin.site, attrs={"data-width": "22em"}),
    )
    relation = forms.ChoiceField(
        choices=[("", "—"), *Relation.choices],
        required=False,
        help_text="How this source got the claim from the next hop.",
    )
    quote = forms.CharField(
        required=False, max_length=5000, widget=forms.TextInput(attrs={"size": 40}), help_text="Words evidencing it."
    )
    verified = forms.BooleanField(required=False, help_text="The next hop's statement was located and checked.")

    def clean(self):
        cleaned_data = super().clean()
        if self.has_changed() and not cleaned_data.get("source") and "source" not in self.errors:
            self.add_error("source", "Choose the source of this hop, or clear the row.")
        return cleaned_data


class BaseHopFormSet(forms.BaseFormSet):
    """Hops ordered from the reporting end to the origin; empty rows are skipped."""

    def filled_forms(self) -> list[HopForm]:
        return [form for form in self.forms if form.has_changed()]

    def clean(self):
        if any(self.errors):
            return
        filled = self.filled_forms()
        if not filled:
            raise ValidationError("Give at least one hop: the source that states the claim.")
        for form, next_form in itertools.pairwise(filled):
            if not form.cleaned_data["relation"]:
                name = next_form.cleaned_data["source"].name
                form.add_error("relation", f"Say how {form.cleaned_data['source'].name} got the claim from {name}.")
        origin = filled[-1]
        # The origin states the claim on nobody's authority: whatever is typed
        # about "the next hop" on its row would be dropped, so say so instead.
        if origin.cleaned_data["relation"] or origin.cleaned_data["quote"] or origin.cleaned_data["verified"]:
            origin.add_error(
                None,
                "The last hop is the origin: leave its relation, quote and verified empty, "
                "or add the hop it got the claim from.",
            )

    def hop_inputs(self) -> list[HopInput]:
        return [
            HopInput(
                source=form.cleaned_data["source"],
                relation=form.cleaned_data["relation"] or Relation.ACCORDING_TO,
                quote=form.cleaned_data["quote"],
                verified=form.cleaned_data["verified"],
            )
            for form in self.filled_forms()
        ]

    def add_service_error(self, error: ValidationError) -> dict[str, list]:
        """Put ``hops[i].field`` errors from chain_record on the i-th filled row;
        return the errors that belong to no row."""
        filled = self.filled_forms()
        rest: dict[str, list] = {}
        for key, field_errors in error.error_dict.items():
            index, _, field = key.removeprefix("hops[").partition("].")
            if key.startswith("hops[") and index.isdigit() and int(index) < len(filled):
                form = filled[int(index)]
                form.add_error(field if field in form.fields else None, field_errors)
            else:
                rest[key] = field_errors
        return rest


HopFormSet = forms.formset_factory(
    HopForm, formset=BaseHopFormSet, extra=HOP_ROWS, max_num=HOP_ROWS, absolute_max=HOP_ROWS
)


def chain_forms(data=None) -> tuple[ChainForm, BaseHopFormSet]:
    return ChainForm(data, prefix="chain"), HopFormSet(data, prefix="hop")


def add_chain_error(chain_form: ChainForm, hops: BaseHopFormSet, error: ValidationError) -> None:
    """Show chain_record's refusal on the forms, next to what the editor typed."""
    if hasattr(error, "error_dict"):
        error = ValidationError(hops.add_service_error(error)) if error.error_dict else error
    if not hasattr(error, "error_dict") or error.error_dict:
        add_validation_error(chain_form, error)

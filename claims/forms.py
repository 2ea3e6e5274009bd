"""Forms for the claim admin: recording a whole attribution chain from the claim page."""

from __future__ import annotations

import itertools

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
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

    def attach_chain(self, *, prefill: ChainPrefill | None = None, add_source: bool = False) -> None:
        # A prefill is only what the page opens with: a POST is read as sent, so a
        # prefilled chain the editor leaves as it is still counts as sent.
        data = self.data if self.is_bound else None
        self.chain_form, self.hop_formset = chain_forms(data, prefill=None if self.is_bound else prefill)
        if add_source:
            for form in self.hop_formset.forms:
                form.offer_new_source()

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


class PlaceholderAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that says, while empty, what an empty choice means."""

    def __init__(self, *args, placeholder: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.placeholder = placeholder

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-placeholder"] = self.placeholder  # Django's is "" (still clearable)
        return attrs


class HopForm(forms.Form):
    source = forms.ModelChoiceField(
        queryset=Source.objects.all(),
        required=False,
        widget=AutocompleteSelect(Statement._meta.get_field("source"), admin.site, attrs={"data-width": "100%"}),
    )
    relation = forms.ChoiceField(
        choices=[("", "—"), *Relation.choices],
        required=False,
        help_text="How this source got the claim from the next hop.",
    )
    quote = forms.CharField(
        required=False, max_length=5000, widget=forms.TextInput(attrs={"size": 24}), help_text="Words evidencing it."
    )
    document = forms.ModelChoiceField(
        queryset=Document.objects.all(),
        required=False,
        help_text="Where the quote is; empty: the chain's document.",
        widget=PlaceholderAutocompleteSelect(
            Evidence._meta.get_field("document"),
            admin.site,
            attrs={"data-width": "100%"},
            placeholder="the chain's document",
        ),
    )
    verified = forms.BooleanField(required=False, help_text="The next hop's statement was located and checked.")

    def clean(self):
        cleaned_data = super().clean()
        if self.has_changed() and not cleaned_data.get("source") and "source" not in self.errors:
            self.add_error("source", "Choose the source of this hop, or clear the row.")
        return cleaned_data

    def offer_new_source(self) -> None:
        """The "+" beside the source: Django's popup to add a source missing from the list,
        chosen in this row once saved (admin/js/admin/RelatedObjectLookups.js)."""
        field = self.fields["source"]
        rel = Statement._meta.get_field("source").remote_field
        field.widget = RelatedFieldWidgetWrapper(field.widget, rel, admin.site, can_add_related=True)


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
        if any(origin.cleaned_data[name] for name in ("relation", "quote", "document", "verified")):
            origin.add_error(
                None,
                "The last hop is the origin: leave its relation, quote, document and verified empty, "
                "or add the hop it got the claim from.",
            )

    def hop_inputs(self) -> list[HopInput]:
        return [
            HopInput(
                source=form.cleaned_data["source"],
                relation=form.cleaned_data["relation"] or Relation.ACCORDING_TO,
                quote=form.cleaned_data["quote"],
                document=form.cleaned_data["document"],
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


class ChainPrefill:
    """What the chain form opens with for a claim from a document: the document, the
    sentence as the claim's quote, and the document's publisher as the first hop."""

    def __init__(self, document: Document, quote: str = "") -> None:
        self.document, self.quote = document, quote

    def chain_initial(self) -> dict:
        return {"document": self.document, "quote": self.quote}

    def hop_initial(self) -> list[dict]:
        publisher = self.document.publisher
        return [{"source": publisher}] if publisher is not None else []


def chain_forms(data=None, *, prefill: ChainPrefill | None = None) -> tuple[ChainForm, BaseHopFormSet]:
    if prefill is None:
        return ChainForm(data, prefix="chain"), HopFormSet(data, prefix="hop")
    return (
        ChainForm(data, prefix="chain", initial=prefill.chain_initial()),
        HopFormSet(data, prefix="hop", initial=prefill.hop_initial()),
    )


# --- a document's sentences, to pick a claim from

# A sentence ends at . ! ? or … (a closing quote or bracket may follow) before a space
# and a capital (an opening quote may come first): not after an initial ("J. Smith")
# or a common abbreviation ("Aug. 10", "Gen. Smith"). A line ends one too, unless the
# next goes on in lower case.
_CLOSERS = "\"'”’»)]"
_OPENERS = "\"'“‘«(["
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st gen col lt sgt capt maj adm gov sen rep jr sr no vs etc approx "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k e.g i.e".split()
)
# Sentences listed to pick from; a longer document's later ones are pasted.
MAX_SENTENCES = 400


def _ends_sentence(before: str, after: str) -> bool:
    head = before.rstrip(_CLOSERS)
    if not head or head[-1] not in ".!?…":
        return False
    first = after.lstrip(_OPENERS)[:1]
    if not first.isalpha() or first.islower():
        return False
    if head[-1] == ".":
        word = head.rsplit(None, 1)[-1].rstrip(".").lower()
        if len(word) == 1 or word in _ABBREVIATIONS:
            return False
    return True


def _paragraphs(body: str) -> list[str]:
    """The body's lines, a line that goes on in lower case ("...have held" / "land and
    air...": a text wrapped by hand) joined to the one before."""
    paragraphs: list[str] = []
    for line in body.splitlines():
        line = line.strip()
        if paragraphs and paragraphs[-1] and line[:1].islower() and paragraphs[-1][-1] not in ".!?…:":
            paragraphs[-1] += " " + line
        else:
            paragraphs.append(line)
    return paragraphs


def document_sentences(body: str, limit: int = MAX_SENTENCES) -> list[str]:
    """The body's sentences in order (at most ``limit``), each as written but with its
    runs of spaces made one space."""
    sentences: list[str] = []
    for paragraph in _paragraphs(body):
        words = paragraph.split()
        start = 0
        for i in range(1, len(words)):
            if _ends_sentence(words[i - 1], words[i]):
                sentences.append(" ".join(words[start:i]))
                start = i
        if words:
            sentences.append(" ".join(words[start:]))
        if len(sentences) >= limit:
            return sentences[:limit]
    return sentences


def add_chain_error(chain_form: ChainForm, hops: BaseHopFormSet, error: ValidationError) -> None:
    """Show chain_record's refusal on the forms, next to what the editor typed."""
    if hasattr(error, "error_dict"):
        error = ValidationError(hops.add_service_error(error)) if error.error_dict else error
    if not hasattr(error, "error_dict") or error.error_dict:
        add_validation_error(chain_form, error)

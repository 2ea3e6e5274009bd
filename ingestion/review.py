"""What the admin's review page shows of a document: its text, each sentence that gave
a proposal marked, and in it the words naming sources and the cue words that tie them
("Reuters reported, citing Russia's RIA news agency"). Pure functions over strings."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .extraction import JUNK


def marked(sentence: str, mentions: list[str], cues: list[str]) -> SafeString:
    """``sentence``, HTML-escaped, with each mention and cue in it marked (the longer
    first where two overlap)."""
    spans: list[tuple[int, int, str]] = []
    wanted = [(word, "mention") for word in mentions if word] + [(word, "cue") for word in cues if word]
    for word, kind in sorted(wanted, key=lambda pair: -len(pair[0])):
        start = sentence.find(word)
        while start >= 0:
            end = start + len(word)
            if all(end <= taken_start or start >= taken_end for taken_start, taken_end, _ in spans):
                spans.append((start, end, kind))
            start = sentence.find(word, end)
    html, position = [], 0
    for start, end, kind in sorted(spans):
        html.append(escape(sentence[position:start]))
        html.append(f'<mark class="{kind}">{escape(sentence[start:end])}</mark>')
        position = end
    html.append(escape(sentence[position:]))
    return mark_safe("".join(html))  # noqa: S308 - every piece escaped above


@dataclass(frozen=True)
class Paragraph:
    html: SafeString
    left_out: bool  # the page's furniture: no proposal comes from it


def document_text(body: str, sentences: list[tuple[int, str, SafeString]]) -> list[Paragraph]:
    """The body's paragraphs with each proposal's sentence (proposal id, sentence, its
    marked HTML) linked to the proposal, found in the order of the text."""
    paragraphs, pending = [], list(sentences)
    for line in body.splitlines():
        text = " ".join(line.split())
        if not text:
            continue
        html, position = [], 0
        while pending:
            proposal_id, sentence, sentence_html = pending[0]
            start = text.find(sentence, position)
            if start < 0:
                break
            html.append(escape(text[position:start]))
            html.append(
                f'<a class="proposal-sentence" href="#proposal-{proposal_id}" id="sentence-{proposal_id}">'
                f"{sentence_html}</a>"
            )
            position = start + len(sentence)
            pending.pop(0)
        html.append(escape(text[position:]))
        html = mark_safe("".join(html))  # noqa: S308 - every piece escaped above, the sentences' too
        paragraphs.append(Paragraph(html, left_out=position == 0 and bool(JUNK.search(text))))
    return paragraphs

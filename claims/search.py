"""Full-text search of claims: one home for how a searcher's words become a query.

Searchers type web-search syntax (words, "a phrase", -not, or). PostgreSQL's
``websearch_to_tsquery`` reads it, but some inputs make it fail instead of
matching nothing (a run of hyphens overflows its stack: "tsquery stack too
small", a 500). So the input is first rewritten from its tokens: words, quoted
phrases and their negations, "or" only between terms, at most ``MAX_TERMS``.
"""

from __future__ import annotations

import re

MAX_TERMS = 32


def web_search_text(text: str) -> str:
    """``text`` reduced to what web-search syntax means by it, safe for PostgreSQL:
    ``'---"Ganja   airport" or or F-16!'`` becomes ``'-"Ganja airport" or F-16'``."""
    terms: list[str] = []
    i, n = 0, len(text)
    while i < n and len(terms) < MAX_TERMS * 2:
        if text[i].isspace():
            i += 1
            continue
        negated = False
        while i < n and text[i] == "-":  # a run of minus signs is one "not"
            negated, i = True, i + 1
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end == -1 else end
            words = re.findall(r"\w+", text[i + 1 : end])
            term = '"' + " ".join(words) + '"' if words else ""
            i = end + 1
        else:
            end = i
            while end < n and not text[end].isspace() and text[end] != '"':
                end += 1
            # Words keep their inner hyphens ("F-16"); other punctuation separates words.
            words = [re.sub("-+", "-", w) for w in re.findall(r"\w+(?:-+\w+)*", text[i:end])]
            i = end
            if len(words) == 1 and words[0].lower() == "or" and not negated:
                if terms and terms[-1] != "or":
                    terms.append("or")
                continue
            terms += [("-" if negated else "") + word for word in words]
            continue
        if term:
            terms.append(("-" if negated else "") + term)
    while terms and terms[-1] == "or":
        terms.pop()
    return " ".join(terms)

"""The shapes of the JSON-LD and PROV-JSON we answer with, for the OpenAPI schema, so a
generated client gets typed objects (they are built as plain data by
``claims.interop``; a test holds every answer to these shapes)."""

from __future__ import annotations

_TEXT = {"type": "string"}
_URL = {"type": "string", "format": "uri"}

PARTY = {
    "type": "object",
    "description": "A person or organisation: a source, or the organisation that reviewed the claim.",
    "properties": {
        "@type": {"type": "string", "enum": ["Person", "Organization"]},
        "name": {**_TEXT, "description": "For a confidential source seen without clearance: its placeholder."},
        "url": _URL,
        "sameAs": {**_URL, "description": "Its Wikidata page."},
    },
    "required": ["@type", "name"],
}
CREATIVE_WORK = {
    "type": "object",
    "description": "A document the claim appeared in.",
    "properties": {
        "@type": {"type": "string", "enum": ["CreativeWork"]},
        "headline": _TEXT,
        "url": _URL,
        "datePublished": {"type": "string", "format": "date-time"},
        "author": PARTY,
    },
    "required": ["@type", "headline"],
}
CLAIM_REVIEW = {
    "type": "object",
    "description": "Our review of a claim as schema.org ClaimReview JSON-LD (the markup Google's fact-check "
    "guidelines ask for).",
    "properties": {
        "@context": {"type": "string", "enum": ["https://schema.org"]},
        "@type": {"type": "string", "enum": ["ClaimReview"]},
        "url": {**_URL, "description": "The claim's public address (FACTCHECK_PUBLIC_URL)."},
        "claimReviewed": _TEXT,
        "reviewRating": {
            "type": "object",
            "properties": {
                "@type": {"type": "string", "enum": ["Rating"]},
                "alternateName": {**_TEXT, "description": "The verdict in words; 'Not rated' before there is one."},
                "ratingValue": {"type": "integer", "minimum": 1, "maximum": 5},
                "bestRating": {"type": "integer", "enum": [5]},
                "worstRating": {"type": "integer", "enum": [1]},
            },
            "required": ["@type", "alternateName"],
        },
        "author": {**PARTY, "description": "Who reviewed it: this organisation."},
        "datePublished": {"type": "string", "format": "date"},
        "dateModified": {"type": "string", "format": "date-time"},
        "inLanguage": _TEXT,
        "reviewBody": {**_TEXT, "description": "Why the claim got its rating."},
        "itemReviewed": {
            "type": "object",
            "properties": {
                "@type": {"type": "string", "enum": ["Claim"]},
                "author": {
                    "description": "The claim's origins: one, or a list.",
                    "oneOf": [PARTY, {"type": "array", "items": PARTY}],
                },
                "datePublished": {"type": "string", "format": "date-time"},
                "appearance": {"type": "array", "items": CREATIVE_WORK},
                "firstAppearance": CREATIVE_WORK,
            },
            "required": ["@type"],
        },
    },
    "required": ["@context", "@type", "url", "claimReviewed", "reviewRating", "author", "inLanguage", "itemReviewed"],
}
_RECORDS = {"type": "object", "additionalProperties": {"type": "object"}}
PROV_DOCUMENT = {
    "type": "object",
    "description": "The attribution graph as W3C PROV-JSON: sources are agents, the claim and each statement "
    "of it are entities, each hop is a derivation (a quotation when the relation is quoting). Records are "
    "keyed by identifier (fc:sources/3, fc:claims/7/statements/12).",
    "properties": {
        "prefix": {"type": "object", "additionalProperties": _TEXT},
        "entity": _RECORDS,
        "agent": _RECORDS,
        "wasAttributedTo": _RECORDS,
        "wasDerivedFrom": _RECORDS,
        "specializationOf": _RECORDS,
        "actedOnBehalfOf": _RECORDS,
    },
    "required": ["prefix", "entity"],
}

"""The field's exchange formats: schema.org ClaimReview, W3C PROV, flat exports.

Builders and parsers only: the graph comes from ``claims.provenance`` and every
write goes through the services.
"""

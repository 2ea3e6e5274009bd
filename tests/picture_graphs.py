"""Claims whose graphs the picture tests draw: six converging chains, and twenty sources.

Built through ``chain_record``, as an editor records them, so the statements of the
same source merge and the chains converge on shared nodes."""

from __future__ import annotations

from claims.models import Claim
from claims.services import HopInput, chain_record
from tests.factories import ClaimFactory, SourceFactory

# Sixty characters, cut by nothing: the picture wraps it.
LONG_NAME = "Azerbaijan State News Agency, English-language Service Desks"
assert len(LONG_NAME) == 60
MINISTRY = "Ministry of Defence of Azerbaijan"


def six_converging_chains() -> Claim:
    """Six outlets, six chains, one ministry at the end of five of them: Reuters → RIA
    Novosti → the ministry is shared by two chains, RIA Novosti → the ministry by
    four; the sixth ends at an anonymous source."""
    claim = ClaimFactory(text="Turkish troops are in Azerbaijan for a joint training exercise.")
    s = {
        name: SourceFactory(name=name, kind=kind)
        for name, kind in [
            ("Daily Sabah", "outlet"),
            ("Hürriyet Daily News", "outlet"),
            ("The Moscow Times", "outlet"),
            (LONG_NAME, "news_agency"),
            ("Trend News Agency", "news_agency"),
            ("Caucasian Knot", "outlet"),
            ("Reuters", "news_agency"),
            ("Associated Press", "news_agency"),
            ("RIA Novosti", "news_agency"),
            ("TASS", "news_agency"),
            (MINISTRY, "government"),
            ("a source in the ministry", "anonymous"),
        ]
    }
    for chain in [
        [
            "Daily Sabah",
            "reported",
            "Reuters",
            "citing",
            "RIA Novosti",
            "informed_by",
            "Ministry of Defence of Azerbaijan",
        ],
        ["Hürriyet Daily News", "citing", "Reuters", "citing", "RIA Novosti"],
        ["The Moscow Times", "citing", "Associated Press", "citing", "RIA Novosti"],
        [LONG_NAME, "according_to", "Associated Press"],
        ["Caucasian Knot", "quoting", "RIA Novosti"],
        ["Trend News Agency", "citing", "TASS", "said_to", "a source in the ministry"],
    ]:
        hops = [
            HopInput(source=s[name], relation=chain[i + 1] if i + 1 < len(chain) else "according_to")
            for i, name in enumerate(chain)
            if i % 2 == 0
        ]
        chain_record(claim=claim, hops=hops)
    return claim


TWENTY = [
    ("Outlet Alpha Daily", "outlet"),
    ("Beta Evening Post", "outlet"),
    ("Gamma Times", "outlet"),
    ("Delta Herald Tribune International Edition", "outlet"),
    ("Epsilon News", "outlet"),
    ("Zeta Radio", "outlet"),
    ("Eta Television", "outlet"),
    ("Theta Online", "outlet"),
    ("Iota Weekly", "outlet"),
    ("Kappa Broadcasting Corporation", "outlet"),
    ("Reuters", "news_agency"),
    ("Associated Press", "news_agency"),
    ("Agence France-Presse", "news_agency"),
    ("RIA Novosti", "news_agency"),
    ("TASS", "news_agency"),
    ("Ministry of Defence of Azerbaijan", "government"),
    ("Ministry of Foreign Affairs of Turkey", "government"),
    ("Ministry of Defence of the Russian Federation", "government"),
    ("a source in the ministry", "anonymous"),
    ("Anadolu Agency", "news_agency"),
]
# (downstream, upstream, relation), by index in TWENTY.
TWENTY_HOPS = [
    (0, 10, "reported"),
    (1, 10, "citing"),
    (2, 11, "citing"),
    (3, 11, "according_to"),
    (3, 10, "citing"),
    (4, 12, "citing"),
    (5, 12, "quoting"),
    (6, 19, "citing"),
    (7, 19, "citing"),
    (8, 13, "citing"),
    (9, 14, "citing"),
    (9, 12, "citing"),
    (10, 13, "citing"),
    (11, 13, "citing"),
    (12, 19, "citing"),
    (12, 14, "citing"),
    (19, 16, "informed_by"),
    (19, 15, "informed_by"),
    (13, 15, "informed_by"),
    (14, 17, "informed_by"),
    (13, 17, "according_to"),
    (8, 18, "said_to"),
    (2, 10, "citing"),
    (6, 12, "citing"),
]


def twenty_sources() -> Claim:
    """Twenty sources: ten outlets citing five agencies, which cite three ministries
    (and each other), and an anonymous source; 24 hops, many chains."""
    claim = ClaimFactory(text="Joint drills began on Monday.")
    sources = [SourceFactory(name=name, kind=kind) for name, kind in TWENTY]
    for downstream, upstream, relation in TWENTY_HOPS:
        chain_record(
            claim=claim,
            hops=[HopInput(source=sources[downstream], relation=relation), HopInput(source=sources[upstream])],
        )
    return claim

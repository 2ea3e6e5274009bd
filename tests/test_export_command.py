from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command

from claims.interop.export import CSV_COLUMNS
from claims.models import ClaimStatus, Rating
from claims.provenance import trace
from claims.services import HopInput, chain_record
from tests.factories import ClaimFactory, SourceFactory


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.FACTCHECK_PUBLIC_URL = "https://factcheck.example.org"


@pytest.fixture
def claims(seed_like_chain):
    """The seed chain, a circular pair, an unrated claim without a chain, and a draft."""
    loop = ClaimFactory(text="The dam burst on Monday.", rating=Rating.FALSE)
    a, b = SourceFactory(name="Agency A"), SourceFactory(name="Agency B")
    chain_record(claim=loop, hops=[HopInput(source=a), HopInput(source=b)])
    chain_record(claim=loop, hops=[HopInput(source=b), HopInput(source=a)])
    bare = ClaimFactory(text="Nobody has said this yet.")
    draft = ClaimFactory(text="A draft stays home.", status=ClaimStatus.DRAFT)
    return {"seed": seed_like_chain["claim"], "loop": loop, "bare": bare, "draft": draft}


def run_export(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_json_lines_hold_each_published_claim_with_its_trace(claims):
    out, _ = run_export("--format", "jsonl")

    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["id"] for line in lines] == [claims["seed"].pk, claims["loop"].pk, claims["bare"].pk]
    for line in lines:
        assert line["trace"] == trace(line["id"]).as_dict()
    loop = lines[1]
    assert {k: v for k, v in loop.items() if k != "trace"} == {
        "id": claims["loop"].pk,
        "url": f"https://factcheck.example.org/api/v1/claims/{claims['loop'].pk}/",
        "text": "The dam burst on Monday.",
        "status": "published",
        "rating": "false",
        "rating_value": 1,
        "language": "en",
        "published_at": None,
    }
    assert "circular_reporting" in loop["trace"]["flags"]
    assert out.endswith("\n")


def test_progress_goes_to_stderr_not_into_the_data(claims):
    out, err = run_export("--format", "jsonl")
    assert err == "exported 1/3 claims\nexported 2/3 claims\nexported 3/3 claims\n"
    assert "exported" not in out


def test_csv_has_one_row_per_claim_with_the_trace_flattened(claims):
    out, _ = run_export("--format", "csv")

    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert list(rows[0]) == [
        "id",
        "url",
        "text",
        "status",
        "rating",
        "rating_value",
        "language",
        "published_at",
        "origins",
        "independent_origins",
        "flags",
        "chains_total",
        "chains",
    ]
    seed, loop, bare = rows
    assert (seed["id"], seed["origins"], seed["independent_origins"], seed["flags"], seed["chains"]) == (
        str(claims["seed"].pk),
        "Ministry of Defence of Azerbaijan",
        "1",
        "single_origin unverified_hop",
        "The article's publisher → Reuters → RIA Novosti → Ministry of Defence of Azerbaijan",
    )
    assert (loop["rating"], loop["rating_value"], loop["origins"], loop["independent_origins"], loop["chains"]) == (
        "false",
        "1",
        "",
        "0",
        "Agency A → Agency B → Agency A (loop)",
    )
    assert (bare["rating"], bare["rating_value"], bare["chains"], bare["flags"]) == ("", "", "", "")


def test_csv_joins_several_chains_with_a_bar(db):
    claim = ClaimFactory(text="Two outlets, one origin.")
    first, second, ria = SourceFactory(name="First"), SourceFactory(name="Second"), SourceFactory(name="RIA")
    chain_record(claim=claim, hops=[HopInput(source=first), HopInput(source=ria)])
    chain_record(claim=claim, hops=[HopInput(source=second), HopInput(source=ria)])
    out, _ = run_export("--format", "csv")
    [row] = csv.DictReader(io.StringIO(out, newline=""))
    assert row["chains"] == "First → RIA | Second → RIA"


def test_status_option_exports_drafts_instead(claims):
    out, err = run_export("--format", "jsonl", "--status", "draft")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [claims["draft"].pk]
    assert err == "exported 1/1 claims\n"


def test_output_option_writes_a_file_and_nothing_to_stdout(claims, tmp_path):
    target = tmp_path / "claims.csv"
    out, err = run_export("--format", "csv", "--output", str(target))
    assert out == ""
    with open(target, newline="", encoding="utf-8") as stream:
        assert [row["text"] for row in csv.DictReader(stream)] == [
            "Turkish troops are in Azerbaijan for a joint training exercise.",
            "The dam burst on Monday.",
            "Nobody has said this yet.",
        ]
    assert err.endswith("exported 3/3 claims\n")


def test_an_empty_export_still_reports_its_progress(db):
    out, err = run_export("--format", "csv")
    assert out == ",".join(CSV_COLUMNS) + "\r\n"
    assert CSV_COLUMNS[-2:] == ["chains_total", "chains"]
    assert err == "exported 0/0 claims\n"


def test_export_reads_claims_in_chunks_and_traces_each_chunk_in_one_query(claims, django_assert_num_queries):
    # The count, the chunked read of the claims, and one trace query for the chunk.
    with django_assert_num_queries(1 + 1 + 1):
        run_export("--format", "jsonl")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_progress_is_one_bar_redrawn_in_place(claims):
    err = Terminal()
    call_command("export", "--format", "jsonl", stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == (
        "\r[##########--------------------] 1/3 claims"
        "\r[####################----------] 2/3 claims"
        "\r[##############################] 3/3 claims\n"
    )

"""bench/backlog.py's summary of a sample: partitions as one, nothing that is done."""

from __future__ import annotations

from bench.backlog import Sample, grouped


def test_partitions_are_summed_per_service_and_finished_consumers_left_out() -> None:
    pending = {
        "routing-p0": 3,
        "routing-p1": 0,
        "routing-p2": 5,
        "history-p0": 1,
        "routing-identities": 40,
        "sla-contacts": 0,
    }
    assert grouped(pending) == {
        "routing-identities": 40,
        "routing-inbound": 8,
        "history-inbound": 1,
    }


def test_a_sample_reads_as_one_line() -> None:
    sample = Sample(12.1, {"routing": 0, "history": 15_961}, {"routing-identities": 1_358})
    assert sample.line() == (
        "  12.1s  relay lag: routing=0 history=15,961  |  unfinished: routing-identities=1,358"
    )
    assert Sample(0.0, {}, {}).line() == "   0.0s  relay lag: -  |  unfinished: -"

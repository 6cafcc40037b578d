"""Benchmarks of federation at a tiny size: the inbox, fan-out, a delivery backlog, signatures
and integrity proofs."""

from __future__ import annotations

import pytest

from tests.benchmarks.tiny import run, shows

pytestmark = pytest.mark.processes


def test_inbox() -> None:
    output = run("inbox.py", "--activities", "20", "--concurrency", "2", "--statuses", "2000")
    shows(
        output,
        r"bare Starlette endpoint: \d+ requests/s \(median of 3\), \d+ us of CPU a request",
        r"with 0 finished inbox items kept, 2000 posts stored: idle worker poll [\d.]+ ms",
        r"harbour inbox accepted \(verified, stored\): \d+/s .*; (\d+)/\1 got 202; "
        r"node CPU \d+ us per request accepted = [\d.]+x bare by CPU",
        r"harbour accepted and applied \(posts stored\): \d+/s = [\d.]+x bare end to end; "
        r"20 applied, 20 posts; node CPU \d+ us per item accepted and applied",
    )


def test_fanout() -> None:
    output = run("fanout.py", "--followers", "20", "--servers", "5", "--rounds", "1")
    shows(
        output,
        r"20 followers on 5 servers -> 5 deliveries",
        r"raw RSA-2048 signing: \d+ signatures/s \(median of 3\), on [\d.]+ of a core",
        r"RFC 9421: .*all 5/5 delivered in [\d.]+ s, every one signed RFC 9421",
        r"RFC 9421 fan-out: \d+ deliveries/s = [\d.]+x raw signing",
        r"draft-cavage: .*all 5/5 delivered in [\d.]+ s, every one signed draft-cavage",
        r"draft-cavage fan-out: \d+ deliveries/s = [\d.]+x raw signing",
        r"raw RSA-2048 signing: [\d.]+ CPU-ms a signature",
        r"RFC 9421 fan-out: [\d.]+ CPU-ms a delivery in the node = [\d.]+x raw signing",
        r"draft-cavage fan-out: [\d.]+ CPU-ms a delivery in the node = [\d.]+x raw signing",
        r"RFC 9421 fan-out: the node used [\d.]+ cores",
        r"draft-cavage fan-out: the node used [\d.]+ cores",
        r"RFC 9421 fan-out: the node's threads waited [\d.]+ ms a delivery for a CPU",
        r"draft-cavage fan-out: the node's threads waited [\d.]+ ms a delivery for a CPU",
        r"RFC 9421 fan-out: [\d.]+ CPU-ms a delivery in its signing process",
        r"draft-cavage fan-out: [\d.]+ CPU-ms a delivery in its signing process",
        r"RFC 9421 fan-out: the first delivery arrived \d+ ms after the post, the last \d+ ms",
        r"draft-cavage fan-out: this benchmark took [\d.]+ CPU-ms a delivery beside the node",
        r"RFC 9421 fan-out = [\d.]+x draft-cavage",
    )


def test_signatures_rfc9421() -> None:
    output = run("signatures_rfc9421.py", "--count", "5", "--rounds", "1")
    shows(
        output,
        r"raw RSA-2048 PKCS#1 v1.5 verify: \d+/s",
        r"RFC 9421 verify: \d+/s = [\d.]+x raw",
        r"draft-cavage verify: \d+/s = [\d.]+x raw",
        r"raw RSA-2048 PKCS#1 v1.5 sign: \d+/s",
        r"RFC 9421 sign: \d+/s = [\d.]+x raw",
        r"draft-cavage sign: \d+/s = [\d.]+x raw",
    )


def test_integrity_proofs() -> None:
    output = run("integrity_proofs.py", "--count", "5", "--rounds", "1")
    shows(
        output,
        r"raw Ed25519 sign: \d+/s",
        r"eddsa-jcs-2022 proof made: \d+/s = [\d.]+x raw",
        r"raw Ed25519 verify: \d+/s",
        r"eddsa-jcs-2022 proof checked: \d+/s = [\d.]+x raw",
    )


def test_delivery_backlog() -> None:
    for database, options in (("SQLite", ()), ("PostgreSQL", ("--postgres",))):
        output = run("delivery_backlog.py", "--per-host", "12", "--runs", "1", *options)
        shows(
            output,
            rf"{database}: 96 deliveries to 8 hosts answering in 2 ms, medians of 1: "
            r"[\d.]+ CPU-ms a delivery \(runs: [\d.]+\), [\d.]+ s, \d+ outcome writes",
        )

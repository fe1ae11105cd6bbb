"""Attestation throughput against the raw Ed25519 primitive, measured in the same run.

    .venv/bin/python bench/attest.py [--seconds 1.5]

Prints raw sign/verify rates (cryptography directly), attestation issue and verify rates, and the ratios.
The verifier is measured as a gateway runs it: the park statement and the status list are verified once and
cached as objects (ParkStatement, VerifiedStatusList); each attestation then costs one Ed25519 verification
plus parsing and checks. The goal is a verify rate of at least 50 % of the raw verify rate. The full chain
from three tokens (statement, status list, attestation: three signatures) is shown for comparison.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from alliance.core.attestation import issue_attestation, make_bundle, verify_attestation, verify_bundle
from alliance.core.keys import SigningKey, jwks
from alliance.core.park_statement import issue_park_statement, verify_park_statement
from alliance.core.statuslist import (
    INVALID,
    StatusList,
    sign_status_list_token,
    verify_status_list_token,
)

URI = "https://whdh.park.example/statuslists/1"
GOAL = 0.5


def rate(fn: Callable[[], object], seconds: float, batch: int = 50) -> float:
    """Calls per second of fn, run in batches for about `seconds` (after a short warm-up)."""
    for _ in range(batch):
        fn()
    done, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            fn()
        done += batch
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="time per measurement (6 measurements)")
    args = parser.parse_args()
    t0 = time.perf_counter()

    alliance, park = SigningKey.generate(), SigningKey.generate()
    alliance_keys = {alliance.kid: alliance.public}
    statement_token = issue_park_statement(
        park_id="whdh",
        name="武汉东湖高新区",
        jwks=jwks([park.public]),
        alliance_key=alliance,
        lifetime=6 * 3600,
        accredited=[{"id": "ALLIANCE-CREDIT", "version": "2026.1"}],
        status_list_uri=URI,
    )
    statuses = StatusList(100_000)
    for i in random.Random(7).sample(range(100_000), 1_000):  # 1 % revoked, at random places
        statuses.set(i, INVALID)
    status_token = sign_status_list_token(statuses, park, iss="whdh", sub=URI, ttl=600, lifetime=86400)

    def issue() -> str:
        return issue_attestation(
            park_id="whdh",
            key=park,
            uscc="914403001922038216",
            name="武汉光谷科技有限公司",
            standard_id="ALLIANCE-CREDIT",
            standard_version="2026.1",
            grade="AA",
            score=87.5,
            status_idx=1,
            status_uri=URI,
            validity_seconds=365 * 86400,
            park_statement=statement_token,
        )

    token = issue()
    # What a gateway caches: verified once, reused for every attestation of the park.
    statement = verify_park_statement(statement_token, alliance_keys)
    status = verify_status_list_token(status_token, statement.keys, uri=URI)
    assert verify_attestation(
        token, alliance_keys=alliance_keys, park_statement=statement, status_list=status
    )

    raw_key = Ed25519PrivateKey.generate()
    raw_pub = raw_key.public_key()
    message = token.rsplit(".", 1)[0].encode()  # the same signing input size as an attestation
    raw_sig = raw_key.sign(message)

    s = args.seconds
    raw_sign = rate(lambda: raw_key.sign(message), s)
    raw_verify = rate(lambda: raw_pub.verify(raw_sig, message), s)
    issue_rate = rate(issue, s)
    verify_rate = rate(
        lambda: verify_attestation(
            token, alliance_keys=alliance_keys, park_statement=statement, status_list=status
        ),
        s,
    )
    chain_rate = rate(
        lambda: verify_attestation(
            token, alliance_keys=alliance_keys, park_statement=statement_token, status_list=status_token
        ),
        s / 2,
        batch=10,
    )
    bundle = make_bundle(token, statement_token, status_token)
    bundle_rate = rate(lambda: verify_bundle(bundle, alliance_keys), s / 2, batch=10)

    print(
        f"attestation token {len(token)} B, status list token {len(status_token)} B (100k entries, 1 % set),"
    )
    print(f"bundle {len(bundle)} B")
    print(f"{'raw Ed25519 sign':<44}{raw_sign:>10,.0f} /s")
    print(f"{'raw Ed25519 verify':<44}{raw_verify:>10,.0f} /s")
    print(
        f"{'issue_attestation (schema + sign)':<44}{issue_rate:>10,.0f} /s"
        f"   {issue_rate / raw_sign:6.1%} of raw sign"
    )
    print(
        f"{'verify_attestation (cached statement/list)':<44}{verify_rate:>10,.0f} /s"
        f"   {verify_rate / raw_verify:6.1%} of raw verify"
    )
    print(
        f"{'verify_attestation (three tokens)':<44}{chain_rate:>10,.0f} /s"
        f"   {chain_rate / raw_verify:6.1%} of raw verify (3 signatures)"
    )
    print(f"{'verify_bundle (offline, three tokens)':<44}{bundle_rate:>10,.0f} /s")
    ok = verify_rate / raw_verify >= GOAL
    took = time.perf_counter() - t0
    print(f"goal verify >= {GOAL:.0%} of raw verify: {'met' if ok else 'NOT met'}; run took {took:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

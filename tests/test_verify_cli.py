"""`alliance verify`: every bad input refused with its own reason and exit code, never a stack trace."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from alliance.core import jws
from alliance.core.attestation import issue_attestation, make_bundle
from alliance.core.keys import SigningKey, b64url_encode, jwks
from alliance.core.park_statement import issue_park_statement
from alliance.core.statuslist import INVALID, SUSPENDED, StatusList, sign_status_list_token
from alliance.park import cli
from alliance.web.server import free_port
from tests.park_fixtures import make_uscc

ROOT = Path(__file__).resolve().parents[1]
PARK = "chengdu-hi-tech"
PARK_NAME = "成都高新区"
LIST_URI = "https://cdht.example/statuslists/1"


@dataclass
class Material:
    dir: Path
    alliance_jwks: Path
    statement: Path
    suspended_statement: Path
    rogue_statement: Path
    status_list: Path
    tokens: dict[str, str]
    bundle: str


def _file(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _attest(key: SigningKey, idx: int, **kw: object) -> str:
    args: dict = {
        "park_id": PARK,
        "key": key,
        "uscc": make_uscc(42),
        "name": "成都测试科技有限公司",
        "standard_id": "ACS",
        "standard_version": "2025.1",
        "grade": "AA",
        "score": 86.5,
        "status_idx": idx,
        "status_uri": LIST_URI,
        "validity_seconds": 86400,
    }
    args.update(kw)
    return issue_attestation(**args)


def _with_header(token: str, header: dict) -> str:
    _, payload, signature = token.split(".")
    return f"{b64url_encode(json.dumps(header).encode())}.{payload}.{signature}"


@pytest.fixture(scope="module")
def m(tmp_path_factory: pytest.TempPathFactory) -> Material:
    d = tmp_path_factory.mktemp("verify")
    alliance, park, park_next, other_park = (SigningKey.generate() for _ in range(4))
    common = {
        "park_id": PARK,
        "name": PARK_NAME,
        "lifetime": 3600,
        "accredited": [{"id": "ACS", "version": "2025.1"}],
        "status_list_uri": LIST_URI,
        "jwks": [park.public, park_next.public],
    }
    statement = issue_park_statement(alliance_key=alliance, **common)
    suspended = issue_park_statement(alliance_key=alliance, status="suspended", **common)
    rogue = issue_park_statement(alliance_key=other_park, **common)  # not signed by the alliance
    lst = StatusList(64, bits=2)
    lst.set(2, INVALID)
    lst.set(3, SUSPENDED)
    status = sign_status_list_token(lst, park, iss=PARK, sub=LIST_URI, ttl=300, lifetime=3600)

    valid = _attest(park, 1)
    header, payload, signature = valid.split(".")
    claims = jws.unverified_claims(valid)
    forged_payload = b64url_encode(json.dumps({**claims, "grade": "AAA"}).encode())
    hs_header = b64url_encode(
        json.dumps({"alg": "HS256", "typ": "rating-attestation+jwt", "kid": park.kid}).encode()
    )
    hs_signature = b64url_encode(
        hmac.new(park.public.raw, f"{hs_header}.{payload}".encode(), hashlib.sha256).digest()
    )
    tokens = {
        "valid": valid,
        "revoked": _attest(park, 2),
        "suspended": _attest(park, 3),
        "tampered": f"{header}.{forged_payload}.{signature}",
        "swapped kid": _with_header(
            valid, {"alg": "EdDSA", "typ": "rating-attestation+jwt", "kid": park_next.kid}
        ),
        "other park": _attest(other_park, 1),
        "alg none": _with_header(
            valid, {"alg": "none", "typ": "rating-attestation+jwt", "kid": park.kid}
        ).rsplit(".", 1)[0]
        + ".",
        "hs256": f"{hs_header}.{payload}.{hs_signature}",
        "expired": _attest(park, 1, now=time.time() - 2 * 86400),
        "not accredited": _attest(park, 1, standard_version="2026.1"),
        "truncated": valid[:-21],  # 65 signature characters: never valid base64url
        "huge": "eyJ" + "A" * (1 << 20),
    }
    return Material(
        dir=d,
        alliance_jwks=_file(d, "alliance-jwks.json", json.dumps(jwks([alliance.public]))),
        statement=_file(d, "statement.jwt", statement),
        suspended_statement=_file(d, "suspended.jwt", suspended),
        rogue_statement=_file(d, "rogue.jwt", rogue),
        status_list=_file(d, "statuslist.jwt", status),
        tokens=tokens,
        bundle=make_bundle(valid, statement, status),
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def verify_json(
    capsys: pytest.CaptureFixture[str], m: Material, token: str, *extra: str, statement: Path | None = None
) -> tuple[int, dict]:
    code, out, _ = run(
        capsys,
        "verify",
        token,
        "--alliance-jwks",
        str(m.alliance_jwks),
        "--statement",
        str(statement or m.statement),
        "--status-list",
        str(m.status_list),
        "--json",
        *extra,
    )
    return code, json.loads(out)


def test_a_valid_attestation(capsys: pytest.CaptureFixture[str], m: Material) -> None:
    code, out, _ = run(
        capsys,
        "verify",
        m.tokens["valid"],
        "--alliance-jwks",
        str(m.alliance_jwks),
        "--statement",
        str(m.statement),
        "--status-list",
        str(m.status_list),
    )
    assert code == 0
    assert f"VALID: valid: grade AA from {PARK_NAME} under ACS 2025.1" in out
    assert "成都测试科技有限公司" in out and make_uscc(42) in out


@pytest.mark.parametrize(
    ("case", "status", "words"),
    [
        ("revoked", "REVOKED", f"revoked by {PARK_NAME}"),
        ("suspended", "SUSPENDED", f"suspended by {PARK_NAME}"),
        ("tampered", "FORGED", "signature does not verify"),
        ("swapped kid", "FORGED", "signature does not verify"),
        ("other park", "UNKNOWN_KEY", "not a key of park"),
        ("alg none", "FORGED", "alg none is not accepted"),
        ("hs256", "FORGED", "alg HS256 (HMAC) is not accepted"),
        ("expired", "EXPIRED", "expired 24 hours ago"),
        ("not accredited", "NOT_ACCREDITED", "not accredited for standard ACS version 2026.1"),
        ("truncated", "MALFORMED", "truncated or altered"),
        ("huge", "MALFORMED", "too large"),
    ],
)
def test_each_bad_token_is_refused_with_its_reason(
    capsys: pytest.CaptureFixture[str], m: Material, case: str, status: str, words: str
) -> None:
    code, verdict = verify_json(capsys, m, m.tokens[case])
    assert code == 1
    assert (verdict["valid"], verdict["status"]) == (False, status)
    assert words in verdict["reason"]


def test_refusals_in_human_form(capsys: pytest.CaptureFixture[str], m: Material) -> None:
    code, out, _ = run(
        capsys,
        "verify",
        m.tokens["revoked"],
        "--alliance-jwks",
        str(m.alliance_jwks),
        "--statement",
        str(m.statement),
        "--status-list",
        str(m.status_list),
    )
    assert code == 1 and out.strip() == f"REFUSED (REVOKED): revoked by {PARK_NAME}"


def test_a_suspended_park_and_a_statement_not_from_the_alliance(
    capsys: pytest.CaptureFixture[str], m: Material
) -> None:
    code, verdict = verify_json(capsys, m, m.tokens["valid"], statement=m.suspended_statement)
    assert (
        code == 1
        and verdict["status"] == "PARK_SUSPENDED"
        and "suspended in the alliance" in verdict["reason"]
    )
    code, verdict = verify_json(capsys, m, m.tokens["valid"], statement=m.rogue_statement)
    assert (
        code == 1
        and verdict["status"] == "PARK_STATEMENT_INVALID"
        and "not an alliance key" in verdict["reason"]
    )


def test_without_a_status_list_the_status_is_unknown(capsys: pytest.CaptureFixture[str], m: Material) -> None:
    code, out, _ = run(
        capsys,
        "verify",
        m.tokens["valid"],
        "--alliance-jwks",
        str(m.alliance_jwks),
        "--statement",
        str(m.statement),
    )
    assert code == 1 and "STATUS_UNKNOWN" in out and "--online" in out


def test_a_bundle_verifies_with_the_alliance_keys_alone(
    capsys: pytest.CaptureFixture[str], m: Material
) -> None:
    # No statement, no status list, and a status URL nobody serves: a bundle needs no network.
    code, out, _ = run(capsys, "verify", m.bundle, "--alliance-jwks", str(m.alliance_jwks), "--online")
    assert code == 0 and "VALID" in out
    damaged = m.bundle[:-12] + ("A" * 12 if not m.bundle.endswith("A" * 12) else "B" * 12)
    code, out, _ = run(capsys, "verify", damaged, "--alliance-jwks", str(m.alliance_jwks), "--json")
    assert code == 1 and json.loads(out)["status"] == "MALFORMED"


def test_tokens_from_stdin_and_files(
    capsys: pytest.CaptureFixture[str], m: Material, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(m.tokens["valid"] + "\n"))
    code, _ = verify_json(capsys, m, "-")
    assert code == 0
    path = _file(m.dir, "token.txt", m.tokens["huge"])
    code, verdict = verify_json(capsys, m, f"@{path}")
    assert code == 1 and "too large" in verdict["reason"]


def test_what_cannot_be_checked_exits_2_with_the_reason(
    capsys: pytest.CaptureFixture[str], m: Material
) -> None:
    code, _, err = run(capsys, "verify", m.tokens["valid"], "--statement", str(m.statement))
    assert code == 2 and "--alliance-jwks" in err
    code, _, err = run(
        capsys,
        "verify",
        m.tokens["valid"],
        "--alliance-jwks",
        str(m.dir / "missing.json"),
        "--statement",
        str(m.statement),
    )
    assert code == 2 and "cannot read" in err and "missing.json" in err
    dead = f"http://127.0.0.1:{free_port()}"
    code, _, err = run(capsys, "verify", m.tokens["valid"], "--alliance", dead, "--timeout", "2")
    assert code == 2 and "cannot reach" in err
    code, _, err = run(
        capsys,
        "verify",
        m.tokens["valid"],
        "--alliance-jwks",
        str(m.statement),
        "--statement",
        str(m.statement),
    )
    assert code == 2 and "is not JSON" in err
    code, _, err = run(
        capsys, "verify", "@" + str(m.dir / "nope.txt"), "--alliance-jwks", str(m.alliance_jwks)
    )
    assert code == 2 and "cannot read the token" in err


def test_as_a_real_process(m: Material) -> None:
    """The command line as a user runs it: a 1 MB token on stdin, then a valid bundle."""
    base = [sys.executable, "-m", "alliance.park.cli", "verify"]
    files = [
        "--alliance-jwks",
        str(m.alliance_jwks),
        "--statement",
        str(m.statement),
        "--status-list",
        str(m.status_list),
    ]
    huge = subprocess.run(
        [*base, "-", *files], input=m.tokens["huge"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert huge.returncode == 1, huge.stderr
    assert "REFUSED (MALFORMED): token too large" in huge.stdout and "Traceback" not in huge.stderr
    ok = subprocess.run(
        [*base, m.bundle, "--alliance-jwks", str(m.alliance_jwks)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("VALID"), ok.stdout + ok.stderr

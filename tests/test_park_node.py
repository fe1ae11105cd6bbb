"""The park node's service layer, and two park nodes verifying each other over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event

from alliance.core import jws
from alliance.core.attestation import Code, issue_attestation
from alliance.core.keys import SigningKey
from alliance.core.records import EnterpriseRecord
from alliance.core.scoring import score
from alliance.core.standard import demo_standard_path, load_standard_file
from alliance.core.statuslist import INVALID, SUSPENDED, VALID, verify_status_list_token
from alliance.errors import Conflict, Forbidden, InvalidInput, LimitExceeded, NotFound, Unauthenticated
from alliance.park import cli
from alliance.park.config import load_park_config, parse_config
from alliance.park.keyring import Keyring
from alliance.park.node import ParkNode, Unavailable
from alliance.services.auth import ADMIN, ENTERPRISE, PARK_OPERATOR, Principal
from tests.conftest import need
from tests.park_fixtures import GOOD, FakeAlliance, make_records, make_uscc, running_park, write_park_config
from tests.storage_fixtures import postgres_schema

PARK_NAME = "成都高新区"


@pytest.fixture(scope="module")
def alliance() -> Iterator[FakeAlliance]:
    with FakeAlliance().running() as fake:
        yield fake


@pytest.fixture(params=["sqlite", "postgresql"])
async def park(
    request: pytest.FixtureRequest, alliance: FakeAlliance, tmp_path: Path
) -> AsyncIterator[ParkNode]:
    """A park node on SQLite, and the same on PostgreSQL (in a schema of its own) when it is configured."""
    cfg = write_park_config(
        tmp_path, f"cd-{uuid.uuid4().hex[:8]}", PARK_NAME, alliance_url=alliance.url, ttl=1
    )
    alliance.register_config(cfg)
    if request.param == "sqlite":
        node = await ParkNode.open(cfg)
        yield node
        await node.close()
        return
    url = os.environ.get("ALLIANCE_TEST_DATABASE_URL", "")
    need(bool(url), "PostgreSQL is not configured: install it and set ALLIANCE_TEST_DATABASE_URL")
    async with postgres_schema(url) as schema:
        node = await ParkNode.open(replace(cfg, database_url=url), schema=schema)
        assert node.db.engine.dialect.name == "postgresql"
        yield node
        await node.close()


def operator(node: ParkNode, park_id: str | None = None) -> Principal:
    return Principal("op@park", PARK_OPERATOR, park_id=park_id or node.id)


async def status_of(node: ParkNode, token: str) -> int:
    """The entry of an attestation in the park's signed status list."""
    idx = jws.unverified_claims(token)["status"]["status_list"]["idx"]
    keys = {k.kid: k for k in node.keyring.public_keys()}
    lst = verify_status_list_token(await node.status_list_token(), keys, now=node.now())
    return lst.status_list.get(idx)


# ---------------------------------------------------------------------------------------------- import


async def test_import_scores_signs_and_verifies(park: ParkNode) -> None:
    records = make_records(30)
    summary = await park.import_records(records)
    assert (summary.new, summary.changed, summary.unchanged, summary.issued) == (30, 0, 0, 30)
    assert summary.problems == ()
    standard = load_standard_file(demo_standard_path("2025.1"))
    for record in records[:5]:
        view = await park.rating(record.uscc)
        expected = score(standard, record.indicators)
        assert view.found and view.name == record.name and view.status == "VALID"
        assert (view.grade, view.score) == (expected.grade, expected.score)
        assert view.breakdown == expected.to_dict()
        claims = jws.unverified_claims(view.attestation)
        assert (
            claims["iss"] == park.id
            and claims["sub"] == record.uscc
            and claims["std"] == {"id": "ACS", "version": "2025.1"}
        )
        assert claims["status"]["status_list"]["uri"] == park.config.status_list_uri
        assert "acc" in claims  # the node held its park statement when it signed
        verdict = await park.verify_foreign(view.attestation)
        assert verdict, verdict.reason
        assert PARK_NAME in verdict.reason
    # Indices are drawn at random and never shared.
    idxs = {
        jws.unverified_claims((await park.rating(r.uscc)).attestation)["status"]["status_list"]["idx"]
        for r in records
    }
    assert len(idxs) == 30


async def test_reimport_issues_only_what_changed(park: ParkNode) -> None:
    records = make_records(10)
    await park.import_records(records)
    before = {r.uscc: (await park.rating(r.uscc)).attestation for r in records}

    again = await park.import_records(records)
    assert (again.new, again.changed, again.unchanged, again.issued) == (0, 0, 10, 0)

    worse = EnterpriseRecord(records[0].uscc, records[0].name, {**records[0].indicators, "TAX_CREDIT": "D"})
    renamed = EnterpriseRecord(records[1].uscc, records[1].name + "（新）", records[1].indicators)
    same_rating = EnterpriseRecord(
        records[2].uscc,
        records[2].name,
        {**records[2].indicators, "ADMIN_PENALTY": records[2].indicators["ADMIN_PENALTY"]},
    )
    summary = await park.import_records([worse, renamed, same_rating])
    assert (summary.changed, summary.unchanged, summary.issued) == (2, 1, 2)

    new_view = await park.rating(worse.uscc)
    assert new_view.grade == "D" and new_view.attestation != before[worse.uscc]  # veto: 纳税信用D级
    # The superseded attestation is INVALID in the status list, so it cannot be shown instead of the new one.
    assert await status_of(park, before[worse.uscc]) == INVALID
    old = await park.verify_foreign(before[worse.uscc])
    assert not old and old.status == Code.REVOKED
    assert (await park.rating(records[2].uscc)).attestation == before[records[2].uscc]


async def test_data_change_with_the_same_rating_keeps_the_attestation(park: ParkNode) -> None:
    [base] = make_records(1)
    record = EnterpriseRecord(base.uscc, base.name, {**base.indicators, "RD_INTENSITY": 5})
    await park.import_records([record])
    before = (await park.rating(record.uscc)).attestation
    # RD_INTENSITY is clamped at 10 (linear 0-10), so 12 and 11 score the same.
    first = EnterpriseRecord(record.uscc, record.name, {**record.indicators, "RD_INTENSITY": 12})
    second = EnterpriseRecord(record.uscc, record.name, {**record.indicators, "RD_INTENSITY": 11})
    await park.import_records([first])
    after_first = (await park.rating(record.uscc)).attestation
    summary = await park.import_records([second])
    assert (summary.changed, summary.issued) == (1, 0)
    assert (await park.rating(record.uscc)).attestation == after_first != before


async def test_bad_records_are_reported_and_the_rest_imported(park: ParkNode) -> None:
    good = make_records(3)
    bad = [
        EnterpriseRecord("91510100000000011X", "坏代码", dict(GOOD), origin="row 4"),
        EnterpriseRecord(make_uscc(900), "  ", dict(GOOD), origin="row 5"),
        EnterpriseRecord(make_uscc(901), "未知指标", {**GOOD, "NO_SUCH": 1}, origin="row 6"),
        EnterpriseRecord(make_uscc(902), "错误等级", {**GOOD, "TAX_CREDIT": "Z"}, origin="row 7"),
        EnterpriseRecord(good[0].uscc, "重复", dict(GOOD), origin="row 8"),
    ]
    summary = await park.import_records([*good, *bad])
    assert (summary.new, summary.issued) == (3, 3)
    problems = "\n".join(summary.problems)
    assert len(summary.problems) == 5
    for origin in ("row 4", "row 5", "row 6", "row 7", "row 8"):
        assert origin in problems
    assert (
        "check character" in problems
        and "NO_SUCH" in problems
        and "'Z'" in problems
        and "appears again" in problems
    )
    assert not (await park.rating(make_uscc(901))).found


async def test_dry_run_writes_nothing(park: ParkNode) -> None:
    records = make_records(5)
    summary = await park.import_records(records, dry_run=True)
    assert (summary.new, summary.issued, summary.dry_run) == (5, 5, True)
    assert not (await park.rating(records[0].uscc)).found
    assert (await park.info()).enterprises == 0


async def test_without_a_standard_the_node_says_why(alliance: FakeAlliance, tmp_path: Path) -> None:
    cfg = write_park_config(tmp_path, "no-std", PARK_NAME, alliance_url=alliance.url)
    cfg = replace(cfg, standard_file=None, standard_version="")
    alliance.standard = None
    node = await ParkNode.open(cfg)
    try:
        with pytest.raises(Unavailable, match="no evaluation standard"):
            await node.import_records(make_records(1))
    finally:
        await node.close()


# ---------------------------------------------------------------------------------------------- standards


async def test_standard_change_rescores_everything(alliance: FakeAlliance, tmp_path: Path) -> None:
    std_file = tmp_path / "standard.json"
    std_file.write_text(demo_standard_path("2025.1").read_text(encoding="utf-8"), encoding="utf-8")
    cfg = write_park_config(
        tmp_path, "std-change", PARK_NAME, alliance_url=alliance.url, standard_file=std_file
    )
    alliance.register_config(
        cfg, accredited=[{"id": "ACS", "version": "2025.1"}, {"id": "ACS", "version": "2026.1"}]
    )
    node = await ParkNode.open(cfg)
    try:
        records = make_records(8)
        await node.import_records(records)
        old = (await node.rating(records[0].uscc)).attestation
        assert await node.refresh(full=True) == 0  # nothing is due

        std_file.write_text(demo_standard_path("2026.1").read_text(encoding="utf-8"), encoding="utf-8")
        assert await node.refresh() == 8
        view = await node.rating(records[0].uscc)
        assert jws.unverified_claims(view.attestation)["std"]["version"] == "2026.1"
        assert (await node.info()).standard.version == "2026.1"
        assert await status_of(node, old) == INVALID
        assert await node.verify_foreign(view.attestation)
    finally:
        await node.close()


async def test_standard_from_the_alliance_is_signature_checked(
    alliance: FakeAlliance, tmp_path: Path
) -> None:
    cfg = write_park_config(tmp_path, "std-remote", PARK_NAME, alliance_url=alliance.url)
    cfg = replace(cfg, standard_file=None)
    alliance.register_config(cfg)
    published = alliance.publish_standard("2025.1")
    node = await ParkNode.open(cfg)
    try:
        assert node.standard.key == "ACS 2025.1"
        assert (await node.import_records(make_records(2))).issued == 2
        # A document altered after signing is refused, and the node keeps the standard it had.
        forged = json.loads(json.dumps(published["document"]))
        forged["indicators"][0]["weight"] = 0.5
        alliance.standard = {**published, "document": forged}
        with pytest.raises(InvalidInput, match="refused: the signature does not verify"):
            await node.load_standard()
        assert node.standard.key == "ACS 2025.1"
    finally:
        alliance.standard = None
        await node.close()
    # Offline restart: the standard cached after verification is used when the alliance does not have one.
    node = await ParkNode.open(cfg)
    try:
        assert node.standard.key == "ACS 2025.1"
    finally:
        await node.close()


# ---------------------------------------------------------------------------------------------- reading


async def test_ratings_batch_in_one_query(park: ParkNode) -> None:
    records = make_records(60)
    await park.import_records(records)
    await park.list_enterprise(
        operator(park),
        uscc=records[3].uscc,
        kind="red",
        reason="纳税A级连续三年",
        legal_basis="园区守信激励办法第5条",
        since="2025-01-01",
    )
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    asked = [r.uscc for r in records[:50]] + ["NOT-A-CODE", make_uscc(5000), records[0].uscc]
    event.listen(park.db.engine.sync_engine, "before_cursor_execute", count)
    try:
        views = await park.ratings(asked)
    finally:
        event.remove(park.db.engine.sync_engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert [v.uscc for v in views] == asked
    assert all(v.found for v in views[:50]) and views[-1].found
    assert views[50].error and "invalid USCC" in views[50].error and not views[50].found
    assert not views[51].found and views[51].error is None
    assert [lst.kind for lst in views[3].listings] == ["red"] and views[3].listings[0].active
    with pytest.raises(LimitExceeded, match="at most 500"):
        await park.ratings([records[0].uscc] * 501)


async def test_rating_of_an_invalid_code_names_the_problem(park: ParkNode) -> None:
    with pytest.raises(InvalidInput, match="has 18 characters"):
        await park.rating("9151")


async def test_search_by_name_and_prefix(park: ParkNode) -> None:
    records = make_records(12)
    await park.import_records(records)
    by_name = await park.search("企业0003")
    assert [e.uscc for e in by_name] == [records[2].uscc] and by_name[0].grade
    by_prefix = await park.search(records[0].uscc[:10], first=5)
    assert len(by_prefix) == 5
    assert await park.search("100%_") == []  # wildcards are literal
    with pytest.raises(InvalidInput):
        await park.search("  ")


# ---------------------------------------------------------------------------------------------- operators


async def test_revoke_suspend_reinstate(park: ParkNode) -> None:
    records = make_records(3)
    await park.import_records(records)
    a, b = await park.rating(records[0].uscc), await park.rating(records[1].uscc)
    op = operator(park)

    assert (await park.suspend(op, b.jti, "核查中")).status == "SUSPENDED"
    assert await status_of(park, b.attestation) == SUSPENDED
    verdict = await park.verify_foreign(b.attestation)
    assert not verdict and verdict.status == Code.SUSPENDED and verdict.reason == f"suspended by {PARK_NAME}"
    with pytest.raises(Conflict, match="already suspended"):
        await park.suspend(op, b.jti, "again")
    assert (await park.reinstate(op, b.jti)).status == "VALID"
    assert await status_of(park, b.attestation) == VALID

    assert (await park.revoke(op, a.jti, "提供虚假材料")).status == "INVALID"
    verdict = await park.verify_foreign(a.attestation)
    assert not verdict and verdict.status == Code.REVOKED and verdict.reason == f"revoked by {PARK_NAME}"
    with pytest.raises(Conflict, match="revocation is final"):
        await park.reinstate(op, a.jti)
    with pytest.raises(Conflict, match="revocation is final"):
        await park.suspend(op, a.jti, "x")
    with pytest.raises(NotFound, match=park.id):
        await park.revoke(op, "no-such-jti-0000", "x")

    # A refusal changes nothing, and it is in the audit trail.
    token_before = await park.status_list_token()
    with pytest.raises(InvalidInput, match="reason is required"):
        await park.revoke(op, b.jti, "   ")
    with pytest.raises(Forbidden, match=f"operators of {PARK_NAME}"):
        await park.revoke(operator(park, "wuhan-east-lake"), b.jti, "not mine")
    with pytest.raises(Forbidden):
        await park.revoke(Principal("admin", ADMIN), b.jti, "admins are not operators")
    with pytest.raises(Unauthenticated):
        await park.revoke(Principal("anonymous", "anonymous"), b.jti, "who?")
    with pytest.raises(Forbidden):
        await park.revoke(Principal("e", ENTERPRISE, uscc=records[1].uscc), b.jti, "mine")
    assert await park.status_list_token() == token_before
    assert await status_of(park, b.attestation) == VALID
    trail = await park.audit.entries(limit=20)
    assert [e.outcome for e in trail[:5]] == ["refused"] * 5
    assert any(e.action == "revokeAttestation" and e.outcome == "ok" for e in trail)


async def test_operator_tokens_are_checked_with_the_alliance_key(
    alliance: FakeAlliance, park: ParkNode
) -> None:
    principal = await park.authenticate(alliance.operator_token(park.id))
    assert principal.role == PARK_OPERATOR and principal.park_id == park.id
    rogue = SigningKey.generate()
    forged = jws.sign(
        {
            "iss": "alliance",
            "sub": "x",
            "role": PARK_OPERATOR,
            "park": park.id,
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        rogue,
        "at+jwt",
    )
    with pytest.raises(Unauthenticated, match="unknown kid"):
        await park.authenticate(forged)


async def test_black_list_suspends_and_delisting_restores(park: ParkNode) -> None:
    records = make_records(3)
    await park.import_records(records)
    target = records[0]
    view = await park.rating(target.uscc)
    op = operator(park)

    listing = await park.list_enterprise(
        op,
        uscc=target.uscc,
        kind="black",
        reason="拖欠农民工工资",
        legal_basis="《保障农民工工资支付条例》第48条",
        since="2025-03-01",
    )
    assert listing.kind == "black" and listing.active
    assert await status_of(park, view.attestation) == SUSPENDED
    with pytest.raises(Conflict, match="black list"):
        await park.reinstate(op, view.jti)
    with pytest.raises(Conflict, match="already on the black list"):
        await park.list_enterprise(
            op, uscc=target.uscc, kind="black", reason="x", legal_basis="y", since="2025-03-01"
        )
    # New data while listed: the new attestation starts suspended too.
    changed = EnterpriseRecord(target.uscc, target.name, {**target.indicators, "ADMIN_PENALTY": 3})
    assert (await park.import_records([changed])).issued == 1
    listed_view = await park.rating(target.uscc)
    assert listed_view.status == "SUSPENDED" and [x.id for x in listed_view.listings] == [listing.id]

    off = await park.delist(op, listing.id, "已整改并完成信用修复")
    assert not off.active
    assert await status_of(park, listed_view.attestation) == VALID
    assert await park.verify_foreign(listed_view.attestation)
    with pytest.raises(Conflict, match="already taken off"):
        await park.delist(op, listing.id, "again")

    # A red listing does not touch statuses.
    await park.list_enterprise(
        op, uscc=records[1].uscc, kind="red", reason="守信", legal_basis="办法", since="2025-01-01"
    )
    assert (await park.rating(records[1].uscc)).status == "VALID"


async def test_bad_listing_input_lists_every_problem_and_writes_nothing(park: ParkNode) -> None:
    records = make_records(1)
    await park.import_records(records)
    op = operator(park)
    with pytest.raises(InvalidInput) as exc:
        await park.list_enterprise(
            op, uscc="123", kind="grey", reason="", legal_basis=" ", since="2025-13-01"
        )
    assert len(exc.value.problems) == 5
    with pytest.raises(InvalidInput, match="before since"):
        await park.list_enterprise(
            op,
            uscc=records[0].uscc,
            kind="black",
            reason="r",
            legal_basis="b",
            since="2025-05-01",
            until="2025-04-01",
        )
    with pytest.raises(NotFound, match="not an enterprise of"):
        await park.list_enterprise(
            op, uscc=make_uscc(777, "420100"), kind="black", reason="r", legal_basis="b", since="2025-05-01"
        )
    with pytest.raises(InvalidInput, match="not a number"):
        await park.delist(op, "abc", "r")
    with pytest.raises(NotFound):
        await park.delist(op, "999", "r")
    view = await park.rating(records[0].uscc)
    assert view.listings == [] and view.status == "VALID"


async def test_a_black_listing_that_ends_restores_the_rating(park: ParkNode) -> None:
    records = make_records(1)
    await park.import_records(records)
    view = await park.rating(records[0].uscc)
    await park.list_enterprise(
        operator(park),
        uscc=records[0].uscc,
        kind="black",
        reason="r",
        legal_basis="b",
        since="2025-01-01",
        until="2025-01-31",
    )
    assert await status_of(park, view.attestation) == VALID  # that period is over
    today = park.today().isoformat()
    await park.list_enterprise(
        operator(park),
        uscc=records[0].uscc,
        kind="black",
        reason="r",
        legal_basis="b",
        since=today,
        until=today,
    )
    assert await status_of(park, view.attestation) == SUSPENDED
    park.clock = lambda: time.time() + 86400 * 2  # two days later the listing has run out
    await park.refresh()
    assert await status_of(park, view.attestation) == VALID


# ---------------------------------------------------------------------------------------------- keys


async def test_key_rotation_keeps_old_attestations_verifiable(park: ParkNode) -> None:
    records = make_records(2)
    await park.import_records(records[:1])
    old = await park.rating(records[0].uscc)
    old_kid = jws.unverified_header(old.attestation)["kid"]

    staged = Keyring.open(park.config.keys_dir).stage()  # as `alliance park rotate-key --stage` does
    assert {k["kid"] for k in park.jwks()["keys"]} == {old_kid, staged.kid}
    Keyring.open(park.config.keys_dir).rotate("superseded")  # …and then `alliance park rotate-key`

    await park.import_records(records[1:])
    new = await park.rating(records[1].uscc)
    assert jws.unverified_header(new.attestation)["kid"] == staged.kid
    assert [k["kid"] for k in park.jwks()["keys"]] == [staged.kid]
    assert park.park_keys()["historical_keys"][0]["reason"] == "superseded"
    park.link.forget_statement(park.id)
    for token in (old.attestation, new.attestation):  # the status list is now signed with the new key
        verdict = await park.verify_foreign(token)
        assert verdict, verdict.reason
    assert (await park.verify_foreign(old.attestation)).details["key"] == "superseded"


async def test_a_compromised_key_gets_its_attestations_reissued(park: ParkNode) -> None:
    records = make_records(3)
    await park.import_records(records)
    before = await park.rating(records[0].uscc)
    Keyring.open(park.config.keys_dir).rotate("compromised")
    assert await park.refresh() == 3
    after = await park.rating(records[0].uscc)
    assert jws.unverified_header(after.attestation)["kid"] == park.keyring.current.kid
    assert await status_of(park, before.attestation) == INVALID
    park.link.forget_statement(park.id)
    assert await park.verify_foreign(after.attestation)


# ---------------------------------------------------------------------------------------------- verifying


async def test_verify_foreign_refuses_each_bad_input_with_its_reason(
    alliance: FakeAlliance, park: ParkNode
) -> None:
    records = make_records(1)
    await park.import_records(records)
    token = (await park.rating(records[0].uscc)).attestation
    header, payload, signature = token.split(".")
    claims = jws.unverified_claims(token)
    key = park.keyring.current

    def sign(changes: dict, **kw) -> str:
        return issue_attestation(
            park_id=park.id,
            key=kw.get("key", key),
            uscc=claims["sub"],
            name=claims["name"],
            standard_id=claims["std"]["id"],
            standard_version=kw.get("version", claims["std"]["version"]),
            grade=changes.get("grade", claims["grade"]),
            score=claims["score"],
            status_idx=claims["status"]["status_list"]["idx"],
            status_uri=claims["status"]["status_list"]["uri"],
            validity_seconds=3600,
            now=kw.get("now"),
        )

    tampered = jws.b64url_encode(json.dumps({**claims, "grade": "AAA+"}).encode())
    other_park_key = SigningKey.generate()
    staged = park.keyring.stage()  # a second key of this very park: the signature cannot match it
    park.link.forget_statement(park.id)
    swapped_kid = jws.b64url_encode(
        json.dumps({"alg": "EdDSA", "typ": "rating-attestation+jwt", "kid": staged.kid}).encode()
    )
    alg_none = jws.b64url_encode(
        json.dumps({"alg": "none", "typ": "rating-attestation+jwt", "kid": key.kid}).encode()
    )
    hs256 = jws.b64url_encode(
        json.dumps({"alg": "HS256", "typ": "rating-attestation+jwt", "kid": key.kid}).encode()
    )
    cases = {
        "tampered": (f"{header}.{tampered}.{signature}", Code.FORGED, "signature does not verify"),
        "kid": (f"{swapped_kid}.{payload}.{signature}", Code.FORGED, "signature does not verify"),
        "foreign key": (sign({}, key=other_park_key), Code.UNKNOWN_KEY, "not a key of park"),
        "none": (f"{alg_none}.{payload}.", Code.FORGED, "alg none"),
        "hs256": (f"{hs256}.{payload}.{signature}", Code.FORGED, "HMAC"),
        "expired": (sign({}, now=time.time() - 7200), Code.EXPIRED, "expired"),
        "truncated": (
            token[: len(token) - 9],
            Code.MALFORMED,
            "truncated or altered",
        ),  # 77 chars: never base64url
        "cut": (token[: len(token) // 2], Code.MALFORMED, "not"),
        "huge": ("A" * (1 << 20), Code.MALFORMED, "too large"),
        "garbage": ("not a token", Code.MALFORMED, "compact JWS"),
    }
    for name, (bad, code, words) in cases.items():
        verdict = await park.verify_foreign(bad)
        assert not verdict, name
        assert verdict.status == code, (name, verdict.status, verdict.reason)
        assert words in verdict.reason, (name, verdict.reason)

    # Not accredited for 2026.1, then the park suspended in the alliance.
    entry = alliance.parks[park.id]
    park.link.forget_statement(park.id)
    verdict = await park.verify_foreign(sign({}, version="2026.1"))
    assert (
        verdict.status == Code.NOT_ACCREDITED
        and "not accredited for standard ACS version 2026.1" in verdict.reason
    )
    entry.status = "suspended"
    park.link.forget_statement(park.id)
    try:
        verdict = await park.verify_foreign(token)
        assert verdict.status == Code.PARK_SUSPENDED and "suspended in the alliance" in verdict.reason
    finally:
        entry.status = "active"
        park.link.forget_statement(park.id)
    unknown = jws.sign({**claims, "iss": "no-such-park"}, key, "rating-attestation+jwt")
    verdict = await park.verify_foreign(unknown)
    assert verdict.status == Code.PARK_STATEMENT_INVALID and "HTTP 404" in verdict.reason


# ---------------------------------------------------------------------------------------------- config


def test_config_lists_every_problem(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_config(
            {
                "id": "bad id/",
                "port": 70000,
                "public_url": "ftp://x",
                "bogus": 1,
                "status_list": {"ttl": 10, "lifetime": 5},
            },
            tmp_path,
        )
    text = exc.value.message
    for words in (
        "id 'bad id/'",
        "name is required",
        "not a TCP port",
        "public_url",
        "bogus",
        "needs url",
        "[standard] needs file",
        "lifetime must be at least 60",
    ):
        assert words in text, words
    (tmp_path / "park.toml").write_text("id = [", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid TOML"):
        load_park_config(tmp_path / "park.toml")


def test_config_defaults(tmp_path: Path) -> None:
    cfg = parse_config(
        {
            "id": "cd",
            "name": "成都高新区",
            "alliance": {"url": "http://a.example/"},
            "source": {"kind": "csv"},
            "mapping": {"uscc": "代码"},
        },
        tmp_path,
    )
    assert cfg.statement_location() == "http://a.example/parks/cd/statement"
    assert cfg.statement_location("wh") == "http://a.example/parks/wh/statement"
    assert cfg.jwks_location == "http://a.example/.well-known/jwks.json"
    assert cfg.status_list_uri == "http://127.0.0.1:8100/statuslists/1"
    assert cfg.import_tables == {"source": {"kind": "csv"}, "mapping": {"uscc": "代码"}}
    assert cfg.data_dir == tmp_path / ".park"


# ---------------------------------------------------------------------------------------------- two parks


async def test_two_park_nodes_verify_each_other_and_see_revocation(
    alliance: FakeAlliance, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg_a = write_park_config(
        tmp_path / "a", "chengdu-hi-tech", PARK_NAME, alliance_url=alliance.url, ttl=1, city="成都"
    )
    cfg_b = write_park_config(
        tmp_path / "b", "wuhan-east-lake", "武汉东湖高新区", alliance_url=alliance.url, ttl=1, city="武汉"
    )
    for cfg in (cfg_a, cfg_b):
        alliance.register_config(cfg)
    records = make_records(5)
    # Import before the servers start: the apps then open their own nodes on the same databases.
    node = await ParkNode.open(cfg_a)
    try:
        await node.import_records(records)
    finally:
        await node.close()

    target = records[0].uscc
    query = {
        "query": "query($u: String!) { rating(uscc: $u) { found grade attestation } }",
        "variables": {"u": target},
    }
    with running_park(cfg_a) as park_a, running_park(cfg_b) as park_b:
        async with httpx.AsyncClient(timeout=10) as http:
            answer = (await http.post(f"{park_a.url}/graphql", json=query)).json()
            rating = answer["data"]["rating"]
            assert rating["found"], answer
            token = rating["attestation"]
            jti = jws.unverified_claims(token)["jti"]

            # Park B verifies: A's statement from the alliance, A's status list from A.
            verdict = (await http.post(f"{park_b.url}/verify", content=token)).json()
            assert verdict["valid"] and verdict["status"] == "VALID", verdict
            assert verdict["claims"]["iss"] == cfg_a.id and PARK_NAME in verdict["reason"]

            cli_args = ["verify", token, "--alliance", alliance.url, "--online"]
            assert await asyncio.to_thread(cli.main, cli_args) == 0
            assert "VALID" in capsys.readouterr().out

            # B's operator may not touch A's attestations; A's operator may.
            mutation = {
                "query": 'mutation($j: String!) { revokeAttestation(jti: $j, reason: "虚假申报") '
                "{ status } }",
                "variables": {"j": jti},
            }
            refused = (
                await http.post(
                    f"{park_a.url}/graphql",
                    json=mutation,
                    headers={"Authorization": f"Bearer {alliance.operator_token(cfg_b.id)}"},
                )
            ).json()
            assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            assert cfg_b.id in refused["errors"][0]["message"]
            done = (
                await http.post(
                    f"{park_a.url}/graphql",
                    json=mutation,
                    headers={"Authorization": f"Bearer {alliance.operator_token(cfg_a.id)}"},
                )
            ).json()
            assert done["data"]["revokeAttestation"]["status"] == "INVALID", done

            # Once the status list's ttl (1 s) has passed, B sees the revocation.
            await asyncio.sleep(1.2)
            verdict = (await http.post(f"{park_b.url}/verify", content=token)).json()
            assert not verdict["valid"] and verdict["status"] == "REVOKED"
            assert verdict["reason"] == f"revoked by {PARK_NAME}"

            assert await asyncio.to_thread(cli.main, cli_args) == 1
            captured = capsys.readouterr()
            assert (
                f"revoked by {PARK_NAME}" in captured.out and "Traceback" not in captured.out + captured.err
            )


# ---------------------------------------------------------------------------------------------- park commands

CSV_MAPPING = """
[source]
kind = "csv"
path = "enterprises.csv"

[mapping]
uscc = "统一社会信用代码"
name = "企业名称"

[mapping.indicators.TAX_CREDIT]
field = "纳税信用等级"
type = "label"

[mapping.indicators.ADMIN_PENALTY]
field = "行政处罚次数"
type = "int"
default = 0

[mapping.indicators.DISHONEST_DEBTOR]
field = "失信被执行人"
type = "bool"
"""


async def test_park_import_command_reads_through_the_adapters(
    alliance: FakeAlliance, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_park_config(tmp_path, "csv-park", PARK_NAME, alliance_url=alliance.url, extra=CSV_MAPPING)
    alliance.register_config(cfg)
    rows = [
        "统一社会信用代码,企业名称,纳税信用等级,行政处罚次数,失信被执行人",
        f"{make_uscc(1)},成都甲科技有限公司,A,0,否",
        f"{make_uscc(2)},成都乙科技有限公司,B,2,否",
        "91510100000000011X,坏代码公司,A,0,否",
        f"{make_uscc(3)},成都丙科技有限公司,M,,是",
    ]
    (tmp_path / "enterprises.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = str(tmp_path / "park.toml")

    assert await asyncio.to_thread(cli.main, ["park", "import", "--config", config, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would issue 3 attestation(s) under ACS 2025.1" in out and "row 4" in out
    assert await asyncio.to_thread(cli.main, ["park", "import", "--config", config]) == 0
    assert "issued 3 attestation(s)" in capsys.readouterr().out

    node = await ParkNode.open(cfg)
    try:
        views = await node.ratings([make_uscc(1), make_uscc(2), make_uscc(3)])
        assert [v.found for v in views] == [True, True, True]
        assert views[2].grade == "D"  # 失信被执行人: 一票否决
        assert await node.verify_foreign(views[0].attestation)
    finally:
        await node.close()

    (tmp_path / "park.toml").write_text(
        (tmp_path / "park.toml")
        .read_text(encoding="utf-8")
        .replace('path = "enterprises.csv"', 'path = "gone.csv"'),
        encoding="utf-8",
    )
    assert await asyncio.to_thread(cli.main, ["park", "import", "--config", config]) != 0
    captured = capsys.readouterr()
    assert "gone.csv" in captured.out + captured.err and "Traceback" not in captured.out + captured.err


def test_rotate_key_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_park_config(tmp_path, "rotating", PARK_NAME, alliance_url="http://127.0.0.1:9")
    config = str(tmp_path / "park.toml")
    first = Keyring.open(cfg.keys_dir).current.kid
    assert cli.main(["park", "rotate-key", "--config", config, "--stage"]) == 0
    staged = Keyring.open(cfg.keys_dir).next
    assert staged is not None and staged.kid in capsys.readouterr().out
    assert cli.main(["park", "rotate-key", "--config", config]) == 0
    ring = Keyring.open(cfg.keys_dir)
    assert ring.current.kid == staged.kid and ring.next is None
    assert [(h.key.kid, h.reason) for h in ring.history] == [(first, "superseded")]
    assert cli.main(["park", "rotate-key", "--config", config, "--compromised", "--since", "1700000000"]) == 0
    ring = Keyring.open(cfg.keys_dir)
    assert ring.history[-1].reason == "compromised" and ring.history[-1].revoked_at == 1700000000
    assert (cfg.keys_dir / "keyring.json").stat().st_mode & 0o777 == 0o600
    capsys.readouterr()
    assert cli.main(["park", "rotate-key", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read park configuration" in capsys.readouterr().err


async def test_status_list_cannot_shrink_below_issued_indices(alliance: FakeAlliance, tmp_path: Path) -> None:
    cfg = write_park_config(tmp_path, "shrink", PARK_NAME, alliance_url=alliance.url)
    alliance.register_config(cfg)
    node = await ParkNode.open(cfg)
    try:
        await node.import_records(make_records(20))
    finally:
        await node.close()
    with pytest.raises(InvalidInput, match="can grow but never shrink"):
        await ParkNode.open(replace(cfg, status_size=16))


async def test_migration_0002_matches_the_park_models(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from alliance.storage.db import Database
    from alliance.storage.models import Base
    from alliance.storage.park_models import EnterpriseRow

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await db.migrate()
        async with db.engine.connect() as conn:
            diffs = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await db.close()

    mine = ("park_enterprises", "park_attestations", "park_listings")
    assert EnterpriseRow.__tablename__ in mine
    assert [d for d in diffs if any(f"'{name}'" in repr(d) or f"<{name}>" in repr(d) for name in mine)] == []


def test_the_documented_park_toml_loads(tmp_path: Path) -> None:
    import re
    import tomllib

    from adapters.config import load_import
    from alliance.park import config as config_module

    example = re.search(r"```toml\n(.*?)```", config_module.__doc__ or "", re.S)
    assert example is not None
    cfg = parse_config(tomllib.loads(example.group(1)), tmp_path)
    assert (cfg.id, cfg.name, cfg.port, cfg.status_ttl) == ("chengdu-hi-tech", "成都高新区", 8101, 300)
    assert cfg.status_list_uri == "https://credit.cdht.example/statuslists/1"
    assert (
        cfg.statement_location("wuhan-east-lake")
        == "https://alliance.example/parks/wuhan-east-lake/statement"
    )
    (tmp_path / "enterprises.csv").write_text("统一社会信用代码,企业名称\n", encoding="utf-8")
    plan = load_import(cfg.import_tables, cfg.base_dir)
    assert "enterprises.csv" in plan.source.describe()

"""RFC 9162 Merkle trees: every transparency-dev/merkle proof vector, plus proofs we build ourselves."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.core import merkle
from tests.conftest import VECTORS

MERKLE = VECTORS / "merkle"


def _b(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def _cases(kind: str) -> list[Any]:
    files = sorted((MERKLE / kind).rglob("*.json")) if (MERKLE / kind).is_dir() else []
    if not files:
        return [pytest.param(None, id="vectors-absent")]
    return [pytest.param(p, id=str(p.relative_to(MERKLE / kind))) for p in files]


@pytest.mark.vectors
def test_vector_counts(vectors_dir: Path) -> None:
    assert len(list((vectors_dir / "merkle" / "inclusion").rglob("*.json"))) == 98
    assert len(list((vectors_dir / "merkle" / "consistency").rglob("*.json"))) == 98


@pytest.mark.vectors
@pytest.mark.parametrize("path", _cases("inclusion"))
def test_inclusion_vectors(vectors_dir: Path, path: Path | None) -> None:
    assert path is not None, f"vectors appeared in {vectors_dir} after collection"
    case = json.loads(path.read_text(encoding="utf-8"))
    verdict = merkle.verify_inclusion(
        _b(case["leafHash"]),
        case["leafIdx"],
        case["treeSize"],
        [_b(p) for p in case["proof"] or []],
        _b(case["root"]),
    )
    assert bool(verdict) is not case["wantErr"], f"{case['desc']}: {verdict.reason}"
    assert verdict.reason


@pytest.mark.vectors
@pytest.mark.parametrize("path", _cases("consistency"))
def test_consistency_vectors(vectors_dir: Path, path: Path | None) -> None:
    assert path is not None, f"vectors appeared in {vectors_dir} after collection"
    case = json.loads(path.read_text(encoding="utf-8"))
    verdict = merkle.verify_consistency(
        case["size1"],
        case["size2"],
        [_b(p) for p in case["proof"] or []],
        _b(case["root1"]),
        _b(case["root2"]),
    )
    assert bool(verdict) is not case["wantErr"], f"{case['desc']}: {verdict.reason}"


# The eight leaves of transparency-dev/merkle testonly/constants.go; their root is in the research notes.
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]


def test_known_roots() -> None:
    assert merkle.root([]) == hashlib.sha256(b"").digest()
    assert merkle.root(LEAVES).hex().startswith("5dc9da79")
    assert merkle.root(LEAVES).hex().endswith("f4604328")
    assert merkle.root(LEAVES[:1]) == merkle.leaf_hash(b"")


def test_own_proofs_for_every_size() -> None:
    leaves = [f"event {i}".encode() for i in range(33)]
    for n in range(1, len(leaves) + 1):
        root = merkle.root(leaves[:n])
        for i in range(n):
            proof = merkle.inclusion_proof(leaves[:n], i)
            assert merkle.verify_inclusion(merkle.leaf_hash(leaves[i]), i, n, proof, root)
            assert not merkle.verify_inclusion(merkle.leaf_hash(b"other"), i, n, proof, root)
        for m in range(1, n + 1):
            proof = merkle.consistency_proof(leaves[:n], m)
            assert merkle.verify_consistency(m, n, proof, merkle.root(leaves[:m]), root)


def test_refusal_reasons() -> None:
    leaves = [bytes([i]) for i in range(5)]
    root = merkle.root(leaves)
    proof = merkle.inclusion_proof(leaves, 2)
    leaf = merkle.leaf_hash(leaves[2])
    assert merkle.verify_inclusion(leaf, 5, 5, proof, root).reason.startswith("inclusion proof: leaf index 5")
    assert merkle.verify_inclusion(leaf, 2, 5, proof[:-1], root).reason == (
        "inclusion proof is shorter than the tree is deep"
    )
    assert merkle.verify_inclusion(leaf, 2, 5, [*proof, root], root).reason == (
        "inclusion proof is longer than the tree is deep"
    )
    assert "32 bytes" in merkle.verify_inclusion(leaf, 2, 5, [b"x"], root).reason
    assert (
        merkle.verify_inclusion(leaf, 2, 5, proof, bytes(32)).reason
        == "inclusion proof does not lead to the root"
    )
    r3 = merkle.root(leaves[:3])
    good = merkle.consistency_proof(leaves, 3)
    assert merkle.verify_consistency(3, 5, good, r3, root)
    assert not merkle.verify_consistency(3, 5, good, root, root)
    assert merkle.verify_consistency(5, 3, good, r3, root).reason.startswith(
        "consistency proof: size 3 is smaller"
    )
    assert merkle.verify_consistency(3, 5, [], r3, root).reason == "consistency proof is empty"
    assert merkle.verify_consistency(0, 5, [], merkle.root([]), root).reason.startswith(
        "consistency from the empty"
    )
    with pytest.raises(IndexError):
        merkle.inclusion_proof(leaves, 5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=40), st.data())
def test_random_trees(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    i = data.draw(st.integers(0, n - 1))
    m = data.draw(st.integers(1, n))
    root = merkle.root(leaves)
    assert merkle.verify_inclusion(merkle.leaf_hash(leaves[i]), i, n, merkle.inclusion_proof(leaves, i), root)
    proof = merkle.consistency_proof(leaves, m)
    assert merkle.verify_consistency(m, n, proof, merkle.root(leaves[:m]), root)
    if proof:
        flipped = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
        assert not merkle.verify_consistency(m, n, flipped, merkle.root(leaves[:m]), root)

"""Ed25519 keys as JWKs (RFC 8037), with RFC 7638 thumbprints as key ids.

A `SigningKey` is a park's (or the alliance's) private key; a `PublicKey` is what verifiers hold. Only
OKP/Ed25519 keys exist here: a verifier that can only ever build Ed25519 keys cannot be tricked into
algorithm confusion (RSA/HMAC/EC keys are refused when a JWK is read, not later).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from alliance.errors import InvalidInput

__all__ = [
    "PublicKey",
    "SigningKey",
    "b64url_decode",
    "b64url_encode",
    "jwks",
    "keys_from_jwks",
    "thumbprint",
]

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_B64_VALUE = {ch: i for i, ch in enumerate(_ALPHABET)}
_TO_STANDARD = str.maketrans({"-": "+", "_": "/", "+": "!", "/": "!", "=": "!"})


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding: refuses padding, other alphabets and non-canonical encodings.

    Canonical only, so that one byte string has exactly one textual form (a token's hash then names it).
    """
    if not isinstance(text, str) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    rest = len(text) % 4
    # '+', '/' and '=' become '!', which strict mode refuses; '-' and '_' become the standard alphabet.
    std = text.translate(_TO_STANDARD) + "=" * (-len(text) % 4)
    try:
        data = binascii.a2b_base64(std, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc
    # Canonical: the unused low bits of the last character must be zero.
    if rest and _B64_VALUE[text[-1]] & (0x0F if rest == 2 else 0x03):
        raise ValueError("non-canonical base64url")
    return data


# RFC 7638 §3.2: the required members per key type, in lexicographic order.
_THUMBPRINT_MEMBERS = {
    "OKP": ("crv", "kty", "x"),
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "oct": ("k", "kty"),
}


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url)."""
    members = _THUMBPRINT_MEMBERS.get(jwk.get("kty"))  # type: ignore[arg-type]
    if members is None:
        raise InvalidInput(f"cannot compute a thumbprint: unknown kty {jwk.get('kty')!r}")
    missing = [m for m in members if not isinstance(jwk.get(m), str)]
    if missing:
        raise InvalidInput("cannot compute a thumbprint", [f"member {m!r} is missing" for m in missing])
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def _okp_member(jwk: Mapping[str, Any], member: str, what: str) -> bytes:
    value = jwk.get(member)
    if not isinstance(value, str):
        raise InvalidInput(f"{what}: member {member!r} is missing")
    try:
        raw = b64url_decode(value)
    except ValueError:
        raise InvalidInput(f"{what}: member {member!r} is not base64url") from None
    if len(raw) != 32:
        raise InvalidInput(f"{what}: member {member!r} must be 32 bytes for Ed25519, got {len(raw)}")
    return raw


def _check_okp(jwk: Any, what: str) -> None:
    if not isinstance(jwk, Mapping):
        raise InvalidInput(f"{what}: a JWK must be a JSON object")
    if jwk.get("kty") != "OKP":
        raise InvalidInput(f"{what}: only kty OKP (Ed25519) keys are accepted, got kty {jwk.get('kty')!r}")
    if jwk.get("crv") != "Ed25519":
        raise InvalidInput(f"{what}: only crv Ed25519 is accepted, got crv {jwk.get('crv')!r}")
    if "alg" in jwk and jwk["alg"] not in ("EdDSA", "Ed25519"):
        raise InvalidInput(f"{what}: alg {jwk['alg']!r} does not fit an Ed25519 key")
    if "use" in jwk and jwk["use"] != "sig":
        raise InvalidInput(f"{what}: use {jwk['use']!r} is not 'sig'")


class PublicKey:
    """An Ed25519 public key; its `kid` is always its RFC 7638 thumbprint."""

    __slots__ = ("_key", "_raw", "kid")

    def __init__(self, raw: bytes) -> None:
        if len(raw) != 32:
            raise InvalidInput(f"an Ed25519 public key is 32 bytes, got {len(raw)}")
        self._raw = bytes(raw)
        try:
            self._key = Ed25519PublicKey.from_public_bytes(self._raw)
        except ValueError as exc:
            raise InvalidInput(f"not an Ed25519 public key: {exc}") from None
        self.kid = thumbprint({"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(self._raw)})

    @classmethod
    def from_raw(cls, raw: bytes) -> PublicKey:
        return cls(raw)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PublicKey:
        """Read a public JWK; refuses non-Ed25519 keys, private members, a kid that is not the thumbprint."""
        what = "public JWK"
        _check_okp(jwk, what)
        if "d" in jwk:
            # A private key where a public one is expected is a leak waiting to happen: refuse loudly.
            raise InvalidInput(f"{what}: carries the private member 'd'; publish only the public part")
        key = cls(_okp_member(jwk, "x", what))
        kid = jwk.get("kid")
        if kid is not None and kid != key.kid:
            raise InvalidInput(f"{what}: kid {kid!r} is not the key's RFC 7638 thumbprint {key.kid}")
        return key

    @property
    def raw(self) -> bytes:
        return self._raw

    @property
    def cryptography_key(self) -> Ed25519PublicKey:
        return self._key

    def jwk(self) -> dict[str, str]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url_encode(self._raw),
            "kid": self.kid,
            "use": "sig",
            "alg": "EdDSA",
        }

    def verify(self, signature: bytes, data: bytes) -> bool:
        try:
            self._key.verify(signature, data)
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        return f"PublicKey(kid={self.kid!r})"


class SigningKey:
    """An Ed25519 private key. Never log it; `repr` shows only the kid."""

    __slots__ = ("_key", "public")

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._key = private
        self.public = PublicKey(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_jwk(cls, jwk: Mapping[str, Any]) -> SigningKey:
        what = "private JWK"
        _check_okp(jwk, what)
        d = _okp_member(jwk, "d", what)
        key = cls(Ed25519PrivateKey.from_private_bytes(d))
        if "x" in jwk and jwk["x"] != b64url_encode(key.public.raw):
            raise InvalidInput(f"{what}: member 'x' does not match the private key 'd'")
        if jwk.get("kid") is not None and jwk["kid"] != key.kid:
            raise InvalidInput(f"{what}: kid {jwk['kid']!r} is not the key's RFC 7638 thumbprint {key.kid}")
        return key

    @property
    def kid(self) -> str:
        return self.public.kid

    @property
    def cryptography_key(self) -> Ed25519PrivateKey:
        return self._key

    def private_jwk(self) -> dict[str, str]:
        d = self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url_encode(self.public.raw),
            "d": b64url_encode(d),
            "kid": self.kid,
        }

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def save(self, path: Path | str) -> None:
        """Write the private JWK with mode 0600, atomically (a crash never leaves half a key)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # O_CREAT's mode is filtered by umask and ignored for an existing file
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.private_jwk(), fh)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path | str) -> SigningKey:
        path = Path(path)
        try:
            jwk = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InvalidInput(f"no key file at {path}") from None
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput(f"key file {path} is not a JSON JWK") from None
        return cls.from_private_jwk(jwk)

    @classmethod
    def load_or_create(cls, path: Path | str) -> SigningKey:
        path = Path(path)
        if path.exists():
            return cls.load(path)
        key = cls.generate()
        tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
        key.save(tmp)
        # link() refuses an existing name: two processes starting at once end up with the same key,
        # and nobody ever reads a half-written file.
        try:
            os.link(tmp, path)
        except FileExistsError:
            return cls.load(path)
        finally:
            tmp.unlink(missing_ok=True)
        return key

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"


def jwks(keys: Iterable[PublicKey]) -> dict[str, list[dict[str, str]]]:
    return {"keys": [k.jwk() for k in keys]}


def keys_from_jwks(doc: Mapping[str, Any]) -> dict[str, PublicKey]:
    """Read a JWKS into {kid: key}; every member must be a valid Ed25519 public key with a unique kid."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("keys"), list):
        raise InvalidInput("a JWKS must be an object with a 'keys' array")
    out: dict[str, PublicKey] = {}
    problems: list[str] = []
    for i, jwk in enumerate(doc["keys"]):
        try:
            key = PublicKey.from_jwk(jwk)
        except InvalidInput as exc:
            problems.append(f"keys[{i}]: {exc.message}")
            continue
        if key.kid in out:
            problems.append(f"keys[{i}]: duplicate kid {key.kid}")
        out[key.kid] = key
    if problems:
        raise InvalidInput("invalid JWKS", problems)
    return out

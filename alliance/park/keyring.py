"""The park's signing keys: the current key, an optional staged next key, and the retired ones with reasons.

One file, `keys/keyring.json` (mode 0600), replaced atomically: a crash during a rotation leaves either the
old ring or the new one, never half of each. Retired keys keep only their public half; they stay listed so
the alliance can carry them in the park statement's `historical_keys` and verifiers can still check what they
signed (`superseded`), or void what was signed after a compromise (`compromised`).

Rotation in the OpenID Federation manner: `stage()` adds the next key, published in the JWKS but not used yet,
so the alliance can put it in the park statement first; `rotate()` then switches to it. Rotating without a
staged key works too; verifiers then refuse the new signatures until the statement lists the new key.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alliance.core.keys import PublicKey, SigningKey, jwks
from alliance.errors import InvalidInput

REASONS = ("superseded", "compromised")
FILE_NAME = "keyring.json"


@dataclass(frozen=True)
class RetiredKey:
    key: PublicKey
    reason: str
    revoked_at: int

    def statement_entry(self) -> dict[str, Any]:
        """The form park_statement.issue_park_statement takes in `historical_keys`."""
        return {"jwk": self.key.jwk(), "reason": self.reason, "revoked_at": self.revoked_at}


class Keyring:
    def __init__(
        self, path: Path, current: SigningKey, next_key: SigningKey | None, history: list[RetiredKey]
    ) -> None:
        self.path = path
        self.current = current
        self.next = next_key
        self.history = history
        self._stamp = self._file_stamp()

    # ------------------------------------------------------------------------------------------ files

    @classmethod
    def open(cls, keys_dir: Path) -> Keyring:
        """Load the ring, creating it with a fresh key on first start."""
        path = Path(keys_dir) / FILE_NAME
        if path.exists():
            return cls._read(path)
        ring = cls(path, SigningKey.generate(), None, [])
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: two processes starting at once must not each create a different key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return cls._read(path)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(ring._document(), fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        ring._stamp = ring._file_stamp()
        return ring

    @classmethod
    def _read(cls, path: Path) -> Keyring:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"key ring {path} cannot be read: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("current"), dict):
            raise InvalidInput(f"key ring {path} has no current key")
        try:
            current = SigningKey.from_private_jwk(doc["current"])
            next_key = SigningKey.from_private_jwk(doc["next"]) if doc.get("next") else None
            history = [_retired(entry) for entry in doc.get("history") or []]
        except InvalidInput as exc:
            raise InvalidInput(f"key ring {path}: {exc.message}") from None
        return cls(path, current, next_key, history)

    def _document(self) -> dict[str, Any]:
        return {
            "current": self.current.private_jwk(),
            "next": self.next.private_jwk() if self.next else None,
            "history": [h.statement_entry() for h in self.history],
        }

    def _write(self) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self._document(), fh, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._stamp = self._file_stamp()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_ino

    def reload_if_changed(self) -> bool:
        """Pick up a rotation done by another process (`alliance park rotate-key` next to a running node)."""
        stamp = self._file_stamp()
        if stamp is None or stamp == self._stamp:
            return False
        fresh = self._read(self.path)
        self.current, self.next, self.history, self._stamp = fresh.current, fresh.next, fresh.history, stamp
        return True

    # ------------------------------------------------------------------------------------------ keys

    def public_keys(self) -> list[PublicKey]:
        """What the park publishes as its JWKS: the current key and a staged next key."""
        return [self.current.public] + ([self.next.public] if self.next else [])

    def jwks(self) -> dict[str, Any]:
        return jwks(self.public_keys())

    def historical_keys(self) -> list[dict[str, Any]]:
        return [h.statement_entry() for h in self.history]

    def retired(self, kid: str) -> RetiredKey | None:
        return next((h for h in self.history if h.key.kid == kid), None)

    def stage(self) -> SigningKey:
        """Add a next key (published, not yet used); the same one when already staged."""
        if self.next is None:
            self.next = SigningKey.generate()
            self._write()
        return self.next

    def rotate(self, reason: str = "superseded", *, at: int | None = None) -> tuple[str, str]:
        """Switch to the staged key (or a fresh one); the old key joins the history.

        Returns the old and the new kid."""
        if reason not in REASONS:
            raise InvalidInput(f"a retired key's reason is superseded or compromised, not {reason!r}")
        revoked_at = int(time.time()) if at is None else int(at)
        old = self.current
        new = self.next or SigningKey.generate()
        self.history = [*self.history, RetiredKey(old.public, reason, revoked_at)]
        self.current, self.next = new, None
        self._write()
        return old.kid, new.kid


def _retired(entry: Any) -> RetiredKey:
    if not isinstance(entry, dict):
        raise InvalidInput("a retired key is an object with jwk, reason and revoked_at")
    key = PublicKey.from_jwk(entry.get("jwk") or {})
    reason, revoked_at = entry.get("reason"), entry.get("revoked_at")
    if reason not in REASONS:
        raise InvalidInput(f"retired key {key.kid}: reason {reason!r} is not superseded or compromised")
    if isinstance(revoked_at, bool) or not isinstance(revoked_at, int):
        raise InvalidInput(f"retired key {key.kid}: revoked_at must be an integer time")
    return RetiredKey(key, reason, revoked_at)

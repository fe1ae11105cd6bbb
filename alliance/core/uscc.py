"""The unified social credit code (统一社会信用代码, GB 32100-2015).

Written by hand rather than with python-stdnum's `cn.uscc`: that one requires digits in positions 1-8, so it
refuses the valid codes of departments A, N and Y, and it does not check the GB 11714 organisation code that
positions 9-17 carry. Both checks are needed wherever a code enters the system.
"""

from __future__ import annotations

from dataclasses import dataclass

from alliance.core.verdict import Verdict, failure, success
from alliance.errors import InvalidInput

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
DEPARTMENTS = "123456789ANY"
# GB 11714: the organisation code's body is digits and capital letters (A=10 … Z=35).
_ORG_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


class InvalidUSCC(InvalidInput):
    def __init__(self, code: str, reason: str) -> None:
        self.uscc = code
        self.reason = reason
        super().__init__(f"invalid USCC {code!r}: {reason}")


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def organisation_check_character(body8: str) -> str:
    total = sum(_ORG_VALUES[c] * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def check(code: object) -> Verdict:
    """A verdict on `code`: falsy with the reason when it is not a valid USCC."""
    if not isinstance(code, str):
        return failure(f"a USCC is a string of 18 characters, got {type(code).__name__}")
    if len(code) != 18:
        return failure(f"a USCC has 18 characters, got {len(code)}")
    bad = sorted({c for c in code if c not in ALPHABET})
    if bad:
        return failure(f"characters outside the USCC alphabet: {''.join(bad)}")
    if code[0] not in DEPARTMENTS:
        return failure(f"registration department {code[0]} is not one of {DEPARTMENTS}")
    if not code[2:8].isdigit():
        return failure(f"region code {code[2:8]} must be 6 digits")
    org_body, org_check = code[8:16], code[16]
    expected_org = organisation_check_character(org_body)
    if org_check != expected_org:
        return failure(f"organisation code check character should be {expected_org}, got {org_check}")
    expected = check_character(code[:17])
    if code[17] != expected:
        return failure(f"check character should be {expected}, got {code[17]}")
    return success("valid USCC")


def normalise(code: str) -> str:
    """Strip blanks and separators and upper-case, as people type codes."""
    return "".join(code.split()).replace("-", "").upper()


def validate(code: object) -> str:
    """Return the normalised code, or raise InvalidUSCC naming the reason."""
    if not isinstance(code, str):
        raise InvalidUSCC(repr(code), check(code).reason)
    normal = normalise(code)
    verdict = check(normal)
    if not verdict:
        raise InvalidUSCC(code, verdict.reason)
    return normal


def is_valid(code: object) -> bool:
    return bool(isinstance(code, str) and check(normalise(code)))


def looks_like_uscc(text: str) -> bool:
    """True when `text` is meant as a code rather than a name (for search boxes and the bot)."""
    t = normalise(text)
    return len(t) >= 6 and all(c in ALPHABET for c in t)


@dataclass(frozen=True)
class USCCParts:
    department: str
    entity_type: str
    region: str
    organisation_code: str


def parts(code: str) -> USCCParts:
    c = validate(code)
    return USCCParts(c[0], c[1], c[2:8], c[8:17])


def build(department: str, entity_type: str, region: str, org_body: str) -> str:
    """Compose a valid code from its parts (used to make demo and test data)."""
    org = org_body + organisation_check_character(org_body)
    first17 = department + entity_type + region + org
    return validate(first17 + check_character(first17))

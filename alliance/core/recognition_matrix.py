"""The mutual-recognition matrix (互认矩阵): for each issuing park and each recognising park, the share of the
issuer's current ratings that the recogniser would recognise.

Works on counts (standard version, grade → how many), never on individual enterprises, and asks the one rule
of `alliance.core.recognition.recognition` about each distinct (issuer, standard version, grade): the matrix
can never disagree with what an enterprise's own query would say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alliance.core.recognition import MemberPark, RatingFact, StandardLookup, StandardStatus, recognition
from alliance.core.verdict import failure, success


@dataclass(frozen=True)
class GradeTally:
    """How many current, VALID ratings a park holds of one grade under one standard version."""

    standard_id: str
    version: str
    grade: str
    count: int


@dataclass(frozen=True)
class MatrixCell:
    issuer: str
    recogniser: str
    total: int | None  # the issuer's current VALID ratings; None when its figures are unknown
    recognised: int
    refusals: tuple[tuple[str, int], ...] = ()  # why the rest is not recognised: (reason, how many)

    @property
    def share(self) -> float | None:
        """recognised / total; None when there is nothing to divide (unknown, or no ratings)."""
        if not self.total:
            return None
        return self.recognised / self.total


def recognition_matrix(
    members: Sequence[MemberPark],
    tallies: Mapping[str, Sequence[GradeTally] | None],
    *,
    standard_for: StandardLookup,
    standard_status: StandardStatus,
) -> list[list[MatrixCell]]:
    """Rows are issuers, columns recognisers, both in the order of `members`.

    `tallies` maps an issuer's id to its counts; a missing or None entry means its figures are unknown (the
    park did not answer) and gives a row of cells with `total` None.
    """
    return [[_cell(issuer, recogniser, tallies.get(issuer.park_id), standard_for, standard_status)
             for recogniser in members] for issuer in members]


def _cell(issuer: MemberPark, recogniser: MemberPark, tally: Sequence[GradeTally] | None,
          standard_for: StandardLookup, standard_status: StandardStatus) -> MatrixCell:
    if tally is None:
        return MatrixCell(issuer.park_id, recogniser.park_id, None, 0)
    # A suspended issuer's attestations do not verify (its park statement says so): the ratings are not valid.
    validity = success("valid") if issuer.active else failure("the issuing park is suspended from the alliance")
    recognised = 0
    refusals: dict[str, int] = {}
    for t in tally:
        if t.count <= 0:
            continue
        fact = RatingFact(issuer.park_id, issuer.name, t.grade, t.standard_id, t.version, validity)
        verdict = recognition(recogniser, [fact], [], standard_for=standard_for, standard_status=standard_status)
        if verdict:
            recognised += t.count
        else:
            refusals[verdict.reason] = refusals.get(verdict.reason, 0) + t.count
    total = sum(t.count for t in tally if t.count > 0)
    ordered = tuple(sorted(refusals.items(), key=lambda item: (-item[1], item[0])))
    return MatrixCell(issuer.park_id, recogniser.park_id, total, recognised, ordered)

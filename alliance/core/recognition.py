"""Mutual recognition (评级互认) and the measures that follow (联合激励 / 联合惩戒).

Each check is a verdict with a reason, composed the way a person would explain it:
"not recognised by 成都高新区: the standard ACS 2025.1 is retired".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from alliance.core.standard import Measure, Standard
from alliance.core.verdict import Verdict, all_of, failure, success


@dataclass(frozen=True)
class RatingFact:
    """A rating as the verifier saw it."""

    park_id: str
    park_name: str
    grade: str | None
    standard_id: str | None
    version: str | None
    verdict: Verdict


@dataclass(frozen=True)
class MemberPark:
    park_id: str
    name: str
    active: bool
    adopted: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class ListingFact:
    park_id: str
    park_name: str
    kind: str  # "red" | "black"
    reason: str
    active: bool


@dataclass(frozen=True)
class MeasureFact:
    measure: Measure
    basis: str
    park_ids: tuple[str, ...] = field(default_factory=tuple)


StandardLookup = Callable[[str, str], Standard | None]
StandardStatus = Callable[[str, str], Verdict]


def _rating_recognised_by(member: MemberPark, rating: RatingFact, standard_for: StandardLookup,
                          standard_status: StandardStatus) -> Verdict:
    key = f"{rating.standard_id} {rating.version}"

    def valid() -> Verdict:
        if rating.verdict:
            return success("valid")
        return failure(f"{rating.park_name}'s rating is not valid: {rating.verdict.reason}")

    def standard_in_force() -> Verdict:
        return standard_status(rating.standard_id or "", rating.version or "")

    def adopted() -> Verdict:
        if (rating.standard_id, rating.version) in member.adopted:
            return success("adopted")
        return failure(f"{member.name} has not adopted the standard {key}")

    def grade_high_enough() -> Verdict:
        standard = standard_for(rating.standard_id or "", rating.version or "")
        if standard is None or rating.grade is None:
            return failure(f"the standard {key} is unknown to the alliance")
        if standard.recognisable(rating.grade):
            return success("grade high enough")
        return failure(
            f"grade {rating.grade} is below {standard.min_recognition_grade}, the minimum for recognition under {key}"
        )

    verdict = all_of([valid, standard_in_force, adopted, grade_high_enough])
    if not verdict:
        return verdict
    return success(f"grade {rating.grade} by {rating.park_name} under {key}", park_id=rating.park_id)


def recognition(member: MemberPark, ratings: list[RatingFact], listings: list[ListingFact], *,
                standard_for: StandardLookup, standard_status: StandardStatus) -> Verdict:
    """Does `member` recognise this enterprise's rating? Falsy with the reason when not."""
    if not member.active:
        return failure(f"not recognised by {member.name}: the park is suspended from the alliance")
    black = [entry for entry in listings if entry.kind == "black" and entry.active]
    if black:
        entry = black[0]
        return failure(f"not recognised by {member.name}: black-listed by {entry.park_name} ({entry.reason})")
    if not ratings:
        return failure(f"not recognised by {member.name}: no member park holds a rating for it")
    own = [r for r in ratings if r.park_id == member.park_id and r.verdict]
    if own:
        return success(f"rated by {member.name} itself: grade {own[0].grade}", park_id=member.park_id)
    reasons: list[str] = []
    for rating in ratings:
        verdict = _rating_recognised_by(member, rating, standard_for, standard_status)
        if verdict:
            return success(f"recognised by {member.name}: {verdict.reason}", park_id=rating.park_id)
        if verdict.reason not in reasons:
            reasons.append(verdict.reason)
    return failure(f"not recognised by {member.name}: " + "; ".join(reasons))


def measures(recognised: dict[str, Verdict], ratings: list[RatingFact], listings: list[ListingFact],
             members: list[MemberPark], *, standard_for: StandardLookup, current: Standard | None
             ) -> list[MeasureFact]:
    """The joint incentives and punishments, each with its basis and the parks where it applies.

    A grade's measures apply at every park that recognises the rating; a red or black listing's measures apply
    at every active member park (that is what makes them joint).
    """
    out: list[MeasureFact] = []
    by_rating: dict[str, list[str]] = {}
    for park_id, verdict in recognised.items():
        if verdict and verdict.details.get("park_id"):
            by_rating.setdefault(verdict.details["park_id"], []).append(park_id)
    for rating in ratings:
        parks = by_rating.get(rating.park_id)
        if not parks or rating.grade is None:
            continue
        standard = standard_for(rating.standard_id or "", rating.version or "")
        if standard is None:
            continue
        basis = f"grade {rating.grade} by {rating.park_name} under {standard.key}"
        out.extend(MeasureFact(m, basis, tuple(parks)) for m in standard.measures_for_grade(rating.grade))
    active_members = tuple(m.park_id for m in members if m.active)
    if current is not None:
        for entry in listings:
            if not entry.active:
                continue
            label = "red list" if entry.kind == "red" else "black list"
            basis = f"{label} of {entry.park_name}: {entry.reason}"
            out.extend(MeasureFact(m, basis, active_members) for m in current.measures_for_listing(entry.kind))
    return out

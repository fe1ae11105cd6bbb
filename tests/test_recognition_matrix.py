"""The mutual-recognition matrix from grade counts, without a server."""

from __future__ import annotations

from alliance.core.recognition import MemberPark
from alliance.core.recognition_matrix import GradeTally, MatrixCell, recognition_matrix
from alliance.core.standard import demo_standard_path, load_standard_file
from alliance.core.verdict import Verdict

ACS = load_standard_file(demo_standard_path("2025.1"))  # grades AAA … D, recognition from A up
ADOPTS = frozenset({("ACS", "2025.1")})
WH = MemberPark("wh", "武汉东湖", True, ADOPTS)
SH = MemberPark("sh", "上海张江", True, ADOPTS)
CD = MemberPark("cd", "成都高新区", True, frozenset())  # has adopted nothing
CS = MemberPark("cs", "长沙高新区", False, ADOPTS)  # suspended from the alliance


def lookup(sid: str, version: str):
    return ACS if (sid, version) == ("ACS", "2025.1") else None


def status(retired: frozenset[tuple[str, str]] = frozenset()):
    def check(sid: str, version: str) -> Verdict:
        if (sid, version) in retired:
            return Verdict(False, f"the standard {sid} {version} is retired")
        return Verdict(True, f"the standard {sid} {version} is published")

    return check


def tally(**grades: int) -> list[GradeTally]:
    return [GradeTally("ACS", "2025.1", g, n) for g, n in grades.items()]


def matrix(members, tallies, retired=frozenset()) -> dict[tuple[str, str], MatrixCell]:
    rows = recognition_matrix(members, tallies, standard_for=lookup, standard_status=status(retired))
    assert [[c.recogniser for c in row] for row in rows] == [[m.park_id for m in members]] * len(members)
    return {(c.issuer, c.recogniser): c for row in rows for c in row}


def test_share_counts_only_grades_at_or_above_the_minimum():
    cells = matrix([WH, SH], {"wh": tally(AAA=2, AA=3, A=1, B=3, C=1), "sh": tally(A=4)})
    cell = cells["wh", "sh"]
    assert (cell.total, cell.recognised, cell.share) == (10, 6, 0.6)
    assert cell.refusals == (
        ("not recognised by 上海张江: grade B is below A, the minimum for recognition under ACS 2025.1", 3),
        ("not recognised by 上海张江: grade C is below A, the minimum for recognition under ACS 2025.1", 1),
    )
    assert cells["sh", "wh"].share == 1.0 and cells["sh", "wh"].refusals == ()


def test_a_park_recognises_its_own_ratings_whatever_the_grade():
    cells = matrix([WH], {"wh": tally(AA=1, C=4)})
    assert cells["wh", "wh"].share == 1.0


def test_a_park_that_has_not_adopted_the_standard_recognises_nothing():
    cells = matrix([WH, CD], {"wh": tally(AA=5), "cd": tally(AA=2)})
    assert cells["wh", "cd"].recognised == 0 and cells["wh", "cd"].share == 0.0
    assert "成都高新区 has not adopted the standard ACS 2025.1" in cells["wh", "cd"].refusals[0][0]
    assert cells["cd", "wh"].share == 1.0  # adoption is about recognising others, not about issuing


def test_a_suspended_park_neither_recognises_nor_is_recognised():
    cells = matrix([WH, CS], {"wh": tally(AA=5), "cs": tally(AAA=3)})
    assert cells["wh", "cs"].share == 0.0 and "suspended" in cells["wh", "cs"].refusals[0][0]
    assert cells["cs", "wh"].share == 0.0
    assert "the issuing park is suspended" in cells["cs", "wh"].refusals[0][0]
    assert cells["cs", "cs"].share == 0.0


def test_a_retired_standard_is_recognised_by_no_other_park():
    cells = matrix([WH, SH], {"wh": tally(AA=5), "sh": tally()}, retired=frozenset({("ACS", "2025.1")}))
    assert cells["wh", "sh"].share == 0.0 and "retired" in cells["wh", "sh"].refusals[0][0]


def test_unknown_figures_and_empty_parks_have_no_share():
    cells = matrix([WH, SH], {"wh": None, "sh": tally()})
    assert cells["wh", "sh"].total is None and cells["wh", "sh"].share is None
    assert cells["sh", "wh"].total == 0 and cells["sh", "wh"].share is None


def test_an_unknown_standard_version_is_not_recognised():
    cells = matrix([WH, SH], {"wh": [GradeTally("ACS", "1999.1", "AAA", 2), *tally(AA=2)]})
    cell = cells["wh", "sh"]
    assert (cell.total, cell.recognised) == (4, 2) and "1999.1" in cell.refusals[0][0]

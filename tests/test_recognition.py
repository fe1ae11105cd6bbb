"""Mutual recognition rules, as verdicts with reasons, without a server."""

from __future__ import annotations

from alliance.core.recognition import ListingFact, MemberPark, RatingFact, measures, recognition
from alliance.core.standard import demo_standard_path, load_standard_file
from alliance.core.verdict import Verdict

ACS = load_standard_file(demo_standard_path("2025.1"))
ADOPTS = frozenset({("ACS", "2025.1")})
CD = MemberPark("cd", "成都高新区", True, ADOPTS)
WH = MemberPark("wh", "武汉东湖", True, ADOPTS)


def lookup(sid: str, version: str):
    return ACS if (sid, version) == ("ACS", "2025.1") else None


def status(state: str):
    return lambda sid, v: Verdict(state != "retired", f"the standard {sid} {v} is {state}")


def rating(grade: str = "AA", ok: bool = True, park: str = "wh", name: str = "武汉东湖") -> RatingFact:
    return RatingFact(park, name, grade, "ACS", "2025.1", Verdict(ok, "valid" if ok else "expired 3 days ago"))


def decide(member=CD, ratings=None, listings=(), state="published"):
    return recognition(member, ratings if ratings is not None else [rating()], list(listings),
                       standard_for=lookup, standard_status=status(state))


def test_recognised_with_its_basis():
    v = decide()
    assert v and v.reason == "recognised by 成都高新区: grade AA by 武汉东湖 under ACS 2025.1"
    assert v.details["park_id"] == "wh"


def test_grade_below_the_minimum():
    v = decide(ratings=[rating("B")])
    assert not v
    assert v.reason == ("not recognised by 成都高新区: grade B is below A, the minimum for recognition under "
                        "ACS 2025.1")


def test_retired_standard():
    v = decide(state="retired")
    assert not v and v.reason == "not recognised by 成都高新区: the standard ACS 2025.1 is retired"


def test_not_adopted():
    v = decide(member=MemberPark("cd", "成都高新区", True, frozenset()))
    assert not v and "成都高新区 has not adopted the standard ACS 2025.1" in v.reason


def test_invalid_rating_and_every_reason_listed():
    v = decide(ratings=[rating(ok=False), rating("C", park="sh", name="上海张江")])
    assert not v
    assert "武汉东湖's rating is not valid: expired 3 days ago" in v.reason
    assert "grade C is below A" in v.reason


def test_black_list_and_suspension_and_no_rating():
    black = ListingFact("wh", "武汉东湖", "black", "失信被执行人", True)
    assert "black-listed by 武汉东湖 (失信被执行人)" in decide(listings=[black]).reason
    assert decide(listings=[ListingFact("wh", "武汉东湖", "black", "x", False)])  # an ended listing is history
    assert "suspended" in decide(member=MemberPark("cd", "成都高新区", False, ADOPTS)).reason
    assert "no member park holds a rating" in decide(ratings=[]).reason


def test_a_park_recognises_its_own_rating():
    v = decide(member=WH, ratings=[rating("B")])
    assert v and "rated by 武汉东湖 itself" in v.reason


def test_measures_follow_grades_and_listings():
    facts = [rating("AAA")]
    verdicts = {"cd": decide(ratings=facts), "wh": decide(member=WH, ratings=facts)}
    red = ListingFact("wh", "武汉东湖", "red", "纳税信用A级", True)
    out = measures(verdicts, facts, [red], [CD, WH], standard_for=lookup, current=ACS)
    incentives = [m for m in out if m.basis.startswith("grade AAA")]
    assert incentives and set(incentives[0].park_ids) == {"cd", "wh"}  # the issuing park applies them too
    assert any(m.basis.startswith("red list of 武汉东湖") and m.park_ids == ("cd", "wh") for m in out)

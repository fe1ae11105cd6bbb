import pytest

from alliance.core import uscc
from alliance.errors import InvalidInput


def test_valid_vectors(protocol_vectors):
    for code in protocol_vectors["uscc"]["valid_examples"]:
        assert uscc.validate(code) == code


def test_invalid_vectors_name_their_reason(protocol_vectors):
    expected = {
        "wrong check character": "check character should be",
        "characters outside the alphabet": "outside the USCC alphabet",
        "too short": "18 characters",
    }
    for code, why in protocol_vectors["uscc"]["invalid_examples"].items():
        with pytest.raises(InvalidInput, match=expected[why]):
            uscc.validate(code)


def test_alphabet_and_weights_match_the_standard(protocol_vectors):
    assert uscc.ALPHABET == protocol_vectors["uscc"]["alphabet"]
    assert list(uscc.WEIGHTS) == protocol_vectors["uscc"]["weights"]


def test_check_character_reason_names_both():
    with pytest.raises(InvalidInput, match="check character should be L, got N"):
        uscc.validate("91110000600037341N")


def test_organisation_code_check_at_position_17():
    good = uscc.build("9", "1", "420100", "30000001")
    bad17 = good[:16] + ("0" if good[16] != "0" else "1")
    first17 = bad17[:17]
    forged = first17 + uscc.check_character(first17)  # a correct final check cannot hide a bad org check
    with pytest.raises(InvalidInput, match="organisation code check character should be"):
        uscc.validate(forged)


@pytest.mark.parametrize("department", ["A", "N", "Y"])
def test_letter_departments_are_valid(department):
    code = uscc.build(department, "1", "110000", "MA01X2Y3")
    assert uscc.is_valid(code)
    assert code[0] == department


def test_unknown_department_refused():
    code = "E1" + uscc.build("9", "1", "110000", "12345678")[2:]
    assert not uscc.check(code)
    assert "department" in uscc.check(code).reason


def test_normalises_what_people_type():
    assert uscc.validate(" 9111 0000-6000 3734 1l ") == "91110000600037341L"


def test_non_string_refused():
    assert not uscc.check(12345)
    with pytest.raises(InvalidInput):
        uscc.validate(None)

import pytest

from huiqi.core.masking import mask_id_number, mask_phone


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("0531-88886666", "0531-****6666"),
        ("010-6552345", "010-***2345"),
        ("053188886666", "0531****6666"),
        ("(0531)88886666", "(0531)****6666"),
        ("0531-88886666-801", "0531-****6666-801"),
        ("88886666", "****6666"),
        ("400-123-4567", "********4567"),
        ("123", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_phone_is_masked_keeping_only_what_identifies_it_to_its_owner(raw, masked):
    assert mask_phone(raw) == masked


def test_every_number_of_a_list_of_phones_is_masked():
    assert mask_phone("13812345678;0531-88886666") == "138****5678;0531-****6666"
    assert mask_phone("13812345678、13912345678") == "138****5678、139****5678"


def test_masked_phone_never_contains_the_middle_digits():
    for raw in ("13812345678", "0531-88886666", "anything-12345678"):
        masked = mask_phone(raw)
        assert "1234" not in masked.replace("5678", "")
        assert len(masked) == len(raw) or raw.startswith("+")


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("370102199001011234", "370102********1234"),
        ("37010219900101123X", "370102********123X"),
        ("370102900101123", "370102*****1123"),
        (" 370102 199001011234 ", "370102********1234"),
        ("AB12", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_id_number_hides_the_birth_date(raw, masked):
    assert mask_id_number(raw) == masked

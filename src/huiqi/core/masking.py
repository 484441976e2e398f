"""Masking of personal data shown in lists and exports.

ARCHITECTURE.md: personal data (phones, ID numbers) is masked in lists and exports unless the role
needs it. The patterns follow common practice of Chinese government systems and
GB/T 35273-2020 (个人信息安全规范) 3.14 / 附录A 去标识化: keep enough to recognise a number when the
person reads theirs out, hide enough that a list of numbers is useless to anyone who copies it.

- mobile 13812345678       -> 138****5678      (first 3, last 4)
- landline 0531-88886666   -> 0531-****6666    (area code and last 4 kept)
- 18-digit ID 370102199001011234 -> 370102********1234 (region and last 4; the birth date hidden)
"""

import re

MASK = "*"

_MOBILE = re.compile(r"^(\+?86[- ]?)?(1\d{2})[- ]?(\d{4})[- ]?(\d{4})$")
_LANDLINE = re.compile(r"^(\(?0\d{2,3}\)?)([- ]?)(\d{7,8})((?:[-转#]\d{1,6})?)$")


def mask_phone(value: str | None) -> str:
    """Masks a mobile or landline number; several numbers separated by ";" "," "/" or "、" are each masked.

    Anything that is not recognisably a phone number keeps only its last 4 characters visible, so
    nothing unrecognised ever leaks in full.
    """
    if not value:
        return ""
    parts = re.split(r"([;；,，/、]\s*)", value.strip())
    return "".join(part if i % 2 else _mask_one_phone(part.strip()) for i, part in enumerate(parts))


def _mask_one_phone(number: str) -> str:
    if not number:
        return ""
    mobile = _MOBILE.match(number)
    if mobile:
        prefix = mobile.group(1) or ""
        return f"{prefix}{mobile.group(2)}{MASK * 4}{mobile.group(4)}"
    landline = _LANDLINE.match(number)
    if landline:
        area, sep, local, extension = landline.groups()
        hidden = len(local) - 4
        return f"{area}{sep}{MASK * hidden}{local[-4:]}{extension}"
    return _mask_keep_last(number, 4)


def mask_id_number(value: str | None) -> str:
    """Masks a resident ID number (GB 11643-1999): the 6-digit region and last 4 stay, the birth date goes.

    15-digit (old) numbers keep the same 6 + 4; anything else keeps only its last 4 characters.
    """
    if not value:
        return ""
    number = value.strip().replace(" ", "")
    if len(number) in (15, 18):
        return f"{number[:6]}{MASK * (len(number) - 10)}{number[-4:]}"
    return _mask_keep_last(number, 4)


def _mask_keep_last(text: str, keep: int) -> str:
    if len(text) <= keep:
        return MASK * len(text)
    return MASK * (len(text) - keep) + text[-keep:]

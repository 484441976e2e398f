"""Password complexity for 等保 level 3: at least three of the four character classes."""

import string

from django.core.exceptions import ValidationError


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: object = None) -> None:
        classes = [
            any(c in string.ascii_lowercase for c in password),
            any(c in string.ascii_uppercase for c in password),
            any(c in string.digits for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < self.min_classes:
            raise ValidationError(
                f"密码须包含小写字母、大写字母、数字、特殊字符中的至少 {self.min_classes} 类。",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"密码须包含小写字母、大写字母、数字、特殊字符中的至少 {self.min_classes} 类。"


def _too_short(params: dict) -> str:
    return f"密码太短，至少需要 {params.get('min_length', 10)} 个字符。"


def _too_similar(params: dict) -> str:
    return f"密码与{params.get('verbose_name', '个人信息')}过于相似。"


# Django 5.2 changed some validator messages and its Chinese catalogue lags behind (the length message
# comes out in English), so the messages shown to users are keyed by the validators' error codes here.
_CHINESE_MESSAGES = {
    "password_too_short": _too_short,
    "password_too_common": lambda params: "密码过于常见，容易被猜中。",
    "password_entirely_numeric": lambda params: "密码不能全是数字。",
    "password_too_similar": _too_similar,
}


def chinese_messages(error: ValidationError) -> list[str]:
    """The messages of a password ValidationError, in Chinese whatever the active language."""
    messages = []
    for item in error.error_list:
        render = _CHINESE_MESSAGES.get(item.code or "")
        messages.append(render(item.params or {}) if render else " ".join(item.messages))
    return messages

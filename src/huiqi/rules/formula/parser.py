"""The tokenizer and the recursive-descent parser of the formula grammar (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from huiqi.rules import numbers
from huiqi.rules.errors import RuleError, RuleValidationError
from huiqi.rules.fields import DEFAULT_REGISTRY, FieldRegistry
from huiqi.rules.formula.nodes import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    BinaryOp,
    Call,
    Expression,
    FieldRef,
    Formula,
    Negate,
    Number,
)


# ------------------------------------------------------------------------------------ tokenizer
@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number, name, op, lparen, rparen, comma, end, error
    text: str
    position: int  # 1-based
    error: _FormulaSyntaxError | None = None


class _FormulaSyntaxError(Exception):
    def __init__(self, position: int, message: str, message_en: str) -> None:
        super().__init__(message)
        self.position = position
        self.message = message
        self.message_en = message_en


_SINGLE = {"+": "op", "-": "op", "*": "op", "/": "op", "(": "lparen", ")": "rparen", ",": "comma"}


def _tokenize(text: str) -> list[_Token]:
    """Tokens up to the first character outside the grammar, which becomes an ``error`` token.

    The parser raises that error only when it reaches it, so faults are reported in reading order
    (``__import__('os')`` is refused for the function name before the string).
    """
    tokens: list[_Token] = []
    try:
        _scan(text, tokens)
    except _FormulaSyntaxError as error:
        tokens.append(_Token("error", "", error.position, error))
        return tokens
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


def _scan(text: str, tokens: list[_Token]) -> None:
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        position = index + 1
        if char in " \t":
            index += 1
        elif char.isascii() and char.isdigit():
            end = index
            while end < length and text[end].isascii() and text[end].isdigit():
                end += 1
            if end < length and text[end] == ".":
                end += 1
                if not (end < length and text[end].isascii() and text[end].isdigit()):
                    raise _FormulaSyntaxError(position, "小数点后需要数字", "digits expected after '.'")
                while end < length and text[end].isascii() and text[end].isdigit():
                    end += 1
            if end < length and (text[end].isalpha() or text[end] == "_"):
                raise _FormulaSyntaxError(
                    end + 1, f"数字后不能紧跟“{text[end]}”（不支持科学计数法）", "letter after a number"
                )
            tokens.append(_Token("number", text[index:end], position))
            index = end
        elif char.isascii() and (char.isalpha() or char == "_"):
            end = index
            while end < length and text[end].isascii() and (text[end].isalnum() or text[end] == "_"):
                end += 1
            tokens.append(_Token("name", text[index:end], position))
            index = end
        elif char == "*" and text.startswith("**", index):
            raise _FormulaSyntaxError(position, "不允许乘方运算 **", "'**' is not allowed")
        elif char in _SINGLE:
            tokens.append(_Token(_SINGLE[char], char, position))
            index += 1
        elif char in "'\"":
            raise _FormulaSyntaxError(position, "公式中不允许字符串", "strings are not allowed")
        elif char == ".":
            raise _FormulaSyntaxError(
                position, "不允许属性访问或以小数点开头的数字", "'.' is not allowed here"
            )
        else:
            raise _FormulaSyntaxError(position, f"不允许的字符“{char}”", f"character {char!r} is not allowed")


# ---------------------------------------------------------------------------------------- parser
class _Parser:
    def __init__(self, tokens: list[_Token], registry: FieldRegistry) -> None:
        self.tokens = tokens
        self.index = 0
        self.registry = registry
        self.fields: set[str] = set()
        self.depth = 0

    @property
    def current(self) -> _Token:
        token = self.tokens[self.index]
        if token.error is not None:
            raise token.error
        return token

    def advance(self) -> _Token:
        token = self.current
        self.index += 1
        return token

    def parse(self) -> Expression:
        expression = self.sum()
        token = self.current
        if token.kind != "end":
            if token.kind == "name":
                raise _FormulaSyntaxError(
                    token.position, f"多余的内容“{token.text}”", f"unexpected {token.text!r}"
                )
            raise _FormulaSyntaxError(
                token.position, f"多余的符号“{token.text}”", f"unexpected {token.text!r}"
            )
        return expression

    def sum(self) -> Expression:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _FormulaSyntaxError(
                self.current.position, f"嵌套超过 {MAX_DEPTH} 层", f"nesting deeper than {MAX_DEPTH}"
            )
        left = self.product()
        while self.current.kind == "op" and self.current.text in "+-":
            op = self.advance().text
            left = BinaryOp(op, left, self.product())
        self.depth -= 1
        return left

    def product(self) -> Expression:
        left = self.unary()
        while self.current.kind == "op" and self.current.text in "*/":
            op = self.advance().text
            left = BinaryOp(op, left, self.unary())
        return left

    def unary(self) -> Expression:
        if self.current.kind == "op" and self.current.text == "-":
            self.advance()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _FormulaSyntaxError(
                    self.current.position, f"嵌套超过 {MAX_DEPTH} 层", f"nesting deeper than {MAX_DEPTH}"
                )
            operand = self.unary()
            self.depth -= 1
            return Negate(operand)
        return self.atom()

    def atom(self) -> Expression:
        token = self.current
        if token.kind == "number":
            self.advance()
            return _number(token)
        if token.kind == "lparen":
            self.advance()
            inner = self.sum()
            self.expect("rparen", "）", ")")
            return inner
        if token.kind == "name":
            self.advance()
            if self.current.kind == "lparen":
                return self.call(token)
            return self.field(token)
        if token.kind == "end":
            raise _FormulaSyntaxError(
                token.position, "公式不完整，缺少数值或字段", "unexpected end of formula"
            )
        raise _FormulaSyntaxError(
            token.position, f"此处需要数值、字段或括号，而不是“{token.text}”", f"unexpected {token.text!r}"
        )

    def field(self, token: _Token) -> Expression:
        if token.text in FUNCTIONS:
            raise _FormulaSyntaxError(
                token.position, f"函数 {token.text} 后需要括号", f"{token.text} must be called"
            )
        spec = self.registry.get(token.text)
        if spec is None:
            raise _FormulaSyntaxError(
                token.position,
                f"未知的名称“{token.text}”：只能使用数值字段和 min、max、round",
                f"unknown name {token.text!r}",
            )
        if not spec.is_numeric:
            raise _FormulaSyntaxError(
                token.position,
                f"字段 {token.text}（{spec.label}）不是数值，不能用于公式",
                f"field {token.text!r} is not numeric",
            )
        self.fields.add(token.text)
        return FieldRef(token.text)

    def call(self, name: _Token) -> Expression:
        if name.text not in FUNCTIONS:
            raise _FormulaSyntaxError(
                name.position,
                f"不允许的函数“{name.text}”：只能使用 min、max、round",
                f"function {name.text!r} is not allowed",
            )
        self.advance()  # (
        args = [self.sum()]
        places_tokens: list[_Token] = []
        while self.current.kind == "comma":
            self.advance()
            places_tokens.append(self.current)
            args.append(self.sum())
        self.expect("rparen", "）", ")")
        if name.text == "round":
            if len(args) > 2:
                raise _FormulaSyntaxError(
                    name.position,
                    "round 最多两个参数：round(x) 或 round(x, n)",
                    "round takes 1 or 2 arguments",
                )
            places = 0
            if len(args) == 2:
                places = _round_places(args[1], places_tokens[0])
            return Call("round", (args[0],), places)
        if len(args) < 2:
            raise _FormulaSyntaxError(
                name.position, f"{name.text} 至少需要两个参数", f"{name.text} needs at least two arguments"
            )
        return Call(name.text, tuple(args))

    def expect(self, kind: str, label: str, label_en: str) -> None:
        if self.current.kind != kind:
            found = self.current.text or "公式结尾"
            raise _FormulaSyntaxError(
                self.current.position, f"此处需要“{label}”，而不是“{found}”", f"expected {label_en!r}"
            )
        self.advance()


def _number(token: _Token) -> Number:
    try:
        value = Decimal(token.text)
    except InvalidOperation as error:  # pragma: no cover - the tokenizer only passes digits
        raise _FormulaSyntaxError(token.position, "无效的数字", "invalid number") from error
    if numbers.decimal_places(value) > numbers.SCALE:
        raise _FormulaSyntaxError(
            token.position, f"数字最多 {numbers.SCALE} 位小数", f"at most {numbers.SCALE} decimal places"
        )
    fixed = numbers.to_fixed(value)
    if fixed is None:
        raise _FormulaSyntaxError(token.position, "数字过大（须小于 10^15）", "number too large")
    return Number(value, fixed)


def _round_places(argument: Expression, token: _Token) -> int:
    if not isinstance(argument, Number) or numbers.decimal_places(argument.value) > 0:
        raise _FormulaSyntaxError(
            token.position,
            "round 的第二个参数须为 0 到 12 的整数",
            "round places must be a whole number 0..12",
        )
    places = int(argument.value)
    if not 0 <= places <= numbers.SCALE:
        raise _FormulaSyntaxError(
            token.position,
            "round 的第二个参数须为 0 到 12 的整数",
            "round places must be a whole number 0..12",
        )
    return places


def parse_formula(
    text: object, *, path: str = "formula", registry: FieldRegistry = DEFAULT_REGISTRY
) -> Formula:
    """Parse a formula; raise :class:`RuleValidationError` naming ``path`` and the character position."""
    if not isinstance(text, str):
        raise RuleValidationError(
            [RuleError(path, "invalid_formula", "公式须为文本", "formula must be a string")]
        )
    if not text.strip():
        raise RuleValidationError([RuleError(path, "invalid_formula", "公式不能为空", "formula is empty")])
    if len(text) > MAX_LENGTH:
        raise RuleValidationError(
            [RuleError(path, "invalid_formula", f"公式过长（最多 {MAX_LENGTH} 个字符）", "formula too long")]
        )
    try:
        parser = _Parser(_tokenize(text), registry)
        root = parser.parse()
    except _FormulaSyntaxError as error:
        raise RuleValidationError(
            [
                RuleError(
                    path,
                    "invalid_formula",
                    f"公式第 {error.position} 个字符处：{error.message}",
                    f"formula position {error.position}: {error.message_en}",
                    position=error.position,
                )
            ]
        ) from None
    return Formula(text, root, frozenset(parser.fields))

"""The boolean topic syntax of Compass's topic-based classifier.

Grammar, from "Topic Syntax" in compass-api-endpoints-2018.txt and compass-api-2019.txt::

    expression := unary (AND unary)*  |  unary (OR unary)*
    unary      := NOT unary  |  "(" expression ")"  |  phrase
    phrase     := word+                      (consecutive words form one operand)

- The operators AND, OR and NOT "must appear in all-uppercase"; ``and``, ``Or`` are
  ordinary words, so ``bread and butter`` is the single phrase operand "bread and butter".
- Operands are words or multi-word phrases *without* quotation marks: "The string must
  not contain any punctuation (including quotation marks)". A word is letters and digits,
  with an apostrophe or hyphen allowed *inside* it (``don't``, ``e-mail``), a leniency the
  docs do not spell out, kept so that French ``l'eau`` or English ``don't`` can be operands.
- "use parentheses whenever you change operators": ``ale OR beer AND NOT porter`` is
  refused as ambiguous; ``drink coffee AND NOT latte`` is fine (NOT is a prefix of its
  operand, not a third binary operator, so ``a NOT b`` is refused: write ``a AND NOT b``).

Every malformed expression raises `TopicSyntaxError` (a ValueError) saying why and
where (1-based column). Parsed trees keep the user's parentheses (no flattening), so
``parse(str(tree)) == tree``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

OPERATORS = ("AND", "OR", "NOT")
MAX_NESTING = 50  # deeper parentheses are refused, not a RecursionError

_TOKEN = re.compile(r"\s*(?:(?P<paren>[()])|(?P<word>[^\W_]+(?:['’-][^\W_]+)*)|(?P<other>\S))", re.UNICODE)


class TopicSyntaxError(ValueError):
    """A malformed topic expression. `position` is the 0-based offset of the problem."""

    def __init__(self, expression: str, position: int, reason: str):
        self.expression = expression
        self.position = position
        self.reason = reason
        super().__init__(f"{reason} (at column {position + 1} of {expression!r})")


@dataclass(frozen=True)
class Operand:
    """A word or phrase; it matches a concept, not the literal words."""
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Not:
    operand: Node

    def __str__(self) -> str:
        return f"NOT {_wrapped(self.operand)}"


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]

    def __str__(self) -> str:
        return " AND ".join(_wrapped(operand) for operand in self.operands)


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]

    def __str__(self) -> str:
        return " OR ".join(_wrapped(operand) for operand in self.operands)


Node = Operand | Not | And | Or


def _wrapped(node: Node) -> str:
    return f"({node})" if isinstance(node, (And, Or)) else str(node)


def operands(node: Node) -> list[str]:
    """The distinct operand phrases of a tree, in first-appearance order."""
    if isinstance(node, Operand):
        return [node.text]
    children = (node.operand,) if isinstance(node, Not) else node.operands
    found: list[str] = []
    for child in children:
        found += [text for text in operands(child) if text not in found]
    return found


@dataclass(frozen=True)
class _Token:
    kind: str      # "(", ")", "AND", "OR", "NOT", "word"
    text: str
    start: int
    end: int


def _tokens(expression: str) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None:        # only trailing whitespace is left
            break
        if match.group("other") is not None:
            start = match.start("other")
            char = match.group("other")
            what = "quotation marks are" if char in "\"'“”‘’`" else f"punctuation {char!r} is"
            raise TopicSyntaxError(expression, start, f"{what} not allowed in a topic: operands are "
                                   "plain words, and consecutive words already form one phrase")
        group = "paren" if match.group("paren") is not None else "word"
        text = match.group(group)
        kind = text if group == "paren" or text in OPERATORS else "word"
        tokens.append(_Token(kind, text, match.start(group), match.end(group)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, expression: str):
        self.expression = expression
        self.tokens = _tokens(expression)
        self.index = 0

    def fail(self, position: int, reason: str) -> TopicSyntaxError:
        return TopicSyntaxError(self.expression, position, reason)

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def parse(self) -> Node:
        if not self.tokens:
            raise self.fail(0, "a topic needs at least one word")
        tree = self.expression_(depth=0)
        token = self.peek()
        if token is not None:   # expression_ stops only at ")" or the end
            raise self.fail(token.start, "')' has no matching '('")
        return tree

    def expression_(self, depth: int) -> Node:
        items = [self.unary(depth)]
        operator = None
        while (token := self.peek()) is not None and token.kind in ("AND", "OR"):
            if operator is None:
                operator = token.kind
            elif token.kind != operator:
                raise self.mixing_error(operator, token)
            self.index += 1
            items.append(self.unary(depth))
        self.refuse_juxtaposition()
        if operator is None:
            return items[0]
        return And(tuple(items)) if operator == "AND" else Or(tuple(items))

    def unary(self, depth: int) -> Node:
        token = self.peek()
        if token is None:
            previous = self.tokens[self.index - 1]
            raise self.fail(len(self.expression.rstrip()),
                            f"the topic ends after {previous.text!r}, which needs an operand after it")
        if token.kind == "NOT":
            # A loop, not recursion, and NOT NOT x is x (NOT is 1 - x): a chain of any
            # length neither overflows the stack nor makes a deep tree for the walkers.
            negations = 0
            while (token := self.peek()) is not None and token.kind == "NOT":
                self.index += 1
                negations += 1
            node = self.unary(depth)
            return Not(node) if negations % 2 else node
        if token.kind == "(":
            return self.group(token, depth + 1)
        if token.kind == "word":
            return self.phrase()
        if token.kind == ")":
            before = self.tokens[self.index - 1] if self.index else None
            if before is not None and before.kind == "(":
                raise self.fail(before.start, "empty parentheses '()'")
            if before is None:
                raise self.fail(token.start, "')' has no matching '('")
            raise self.fail(token.start, f"{before.text!r} needs an operand after it, found ')'")
        where = "at the start" if self.index == 0 else f"after {self.tokens[self.index - 1].text!r}"
        raise self.fail(token.start, f"{token.text!r} {where} has no operand before it")

    def group(self, opening: _Token, depth: int) -> Node:
        if depth > MAX_NESTING:
            raise self.fail(opening.start, f"parentheses nested deeper than {MAX_NESTING} levels")
        self.index += 1
        if (token := self.peek()) is not None and token.kind == ")":
            raise self.fail(opening.start, "empty parentheses '()'")
        inner = self.expression_(depth)
        closing = self.peek()
        if closing is None:
            raise self.fail(opening.start, "'(' is never closed")
        self.index += 1
        return inner

    def phrase(self) -> Operand:
        words = []
        while (token := self.peek()) is not None and token.kind == "word":
            words.append(token.text)
            self.index += 1
        return Operand(" ".join(words))

    def refuse_juxtaposition(self) -> None:
        """After a complete operand only AND, OR, ')' or the end may follow."""
        token = self.peek()
        if token is None or token.kind in ("AND", "OR", ")"):
            return
        before = self.tokens[self.index - 1].text
        if token.kind == "NOT":
            raise self.fail(token.start, f"NOT after {before!r} needs AND or OR before it: NOT only "
                            "negates the operand that follows it (write 'a AND NOT b')")
        raise self.fail(token.start, f"missing AND or OR between {before!r} and {token.text!r}")

    def mixing_error(self, operator: str, token: _Token) -> TopicSyntaxError:
        """AND and OR mixed at one level: ambiguous; suggest both parenthesisations."""
        first, last = self.level_start(), self.last_operand_start()
        end = self.level_end()
        source = self.expression
        before, after = source[:first], source[end:]
        left = f"{before}({source[first:token.start].rstrip()}) {source[token.start:end].strip()}{after}"
        right = f"{source[:last]}({source[last:end].strip()}){after}"
        return self.fail(token.start, f"mixing AND and OR without parentheses is ambiguous ({token.kind!r} "
                         f"after {operator!r}); use parentheses, e.g. {left.strip()!r} or {right.strip()!r}")

    def level_start(self) -> int:
        """Offset of the first token of the expression level that holds the current token."""
        return self.start_after_any(("(",))

    def last_operand_start(self) -> int:
        """Offset of the operand (with its NOTs) just before the current operator."""
        return self.start_after_any(("(", "AND", "OR"))

    def start_after_any(self, kinds: tuple[str, ...]) -> int:
        """Offset of the token after the nearest earlier token of `kinds` at this level."""
        depth = 0
        for i in range(self.index - 1, -1, -1):
            kind = self.tokens[i].kind
            if depth == 0 and kind in kinds:
                return self.tokens[i + 1].start
            depth += (kind == ")") - (kind == "(")
        return self.tokens[0].start

    def level_end(self) -> int:
        depth = 0
        for token in self.tokens[self.index:]:
            depth += (token.kind == "(") - (token.kind == ")")
            if depth < 0:
                return token.start
        return len(self.expression.rstrip())


def parse_topic(expression: str) -> Node:
    """The tree of a topic expression; raises TopicSyntaxError if it is malformed."""
    if not isinstance(expression, str):
        raise TypeError(f"a topic expression is a string, not {type(expression).__name__}")
    return _Parser(expression).parse()

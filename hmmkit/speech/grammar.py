"""Recognition grammars in a subset of JSGF (the W3C/Sun Java Speech Grammar Format).

The subset: an optional ``#JSGF V1.0;`` header and ``grammar NAME;`` line, ``//`` and
``/* */`` comments, and rules ``[public] <name> = expansion ;`` where an expansion is
made of words, rule references ``<name>``, sequences, alternatives ``a | b``, groups
``( ... )``, optional parts ``[ ... ]`` and the repeats ``+`` and ``*`` after an item.
Weights, tags, imports and quoted tokens are not supported (a ValueError names them).
The first public rule is the sentence; it is compiled into the decoder's graph between
the two silences, with the optional ``sp`` after every word.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..composite import CompositeGraph, GraphBuilder
from .acoustic_model import SHORT_PAUSE, SILENCE, AcousticModel
from .embedded import with_graph_transitions

_TOKEN = re.compile(r"<[^>\s]+>|[()\[\]|*+;=]|[^\s()\[\]|*+;=<>]+")


@dataclass(frozen=True)
class Grammar:
    """Rules (name -> token list of the expansion) and the sentence rule's name."""

    rules: dict[str, list[str]]
    root: str
    source: str


def read_jsgf(path: str | os.PathLike) -> Grammar:
    """Parse a grammar file (FileNotFoundError, or ValueError naming the file)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no grammar file at {path}")
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    rules: dict[str, list[str]] = {}
    root = None
    for statement in text.split(";"):
        statement = statement.strip()
        if not statement or statement.startswith("#JSGF") or statement.startswith("grammar "):
            continue
        if (
            statement.startswith("import")
            or "{" in statement
            or '"' in statement
            or "/" in statement
        ):
            raise ValueError(
                f"{path}: weights, tags, imports and quotes are not supported: {statement!r}"
            )
        public = statement.startswith("public ")
        head, sep, body = statement.removeprefix("public ").partition("=")
        name = head.strip()
        if not sep or not re.fullmatch(r"<[^>\s]+>", name):
            raise ValueError(f"{path}: expected '<rule> = expansion;', found {statement!r}")
        rules[name] = _TOKEN.findall(body)
        if public and root is None:
            root = name
    if root is None:
        raise ValueError(f"{path}: the grammar has no public rule")
    return Grammar(rules, root, str(path))


class _Compiler:
    def __init__(self, model: AcousticModel, grammar: Grammar, penalty: float):
        self.model, self.grammar, self.penalty = model, grammar, penalty
        self.g = GraphBuilder()
        self.units = model.unit_models()
        self.n_words = 0
        self.stack: list[str] = []

    def rule(self, name: str) -> tuple[int, int]:
        if name not in self.grammar.rules:
            raise ValueError(f"{self.grammar.source}: rule {name} is not defined")
        if name in self.stack:
            raise ValueError(f"{self.grammar.source}: rule {name} refers to itself (recursion)")
        self.stack.append(name)
        tokens = self.grammar.rules[name]
        part, rest = self.alternatives(tokens, 0)
        if rest != len(tokens):
            raise ValueError(f"{self.grammar.source}: unexpected {tokens[rest]!r} in rule {name}")
        self.stack.pop()
        return part

    def alternatives(self, tokens, i):
        branches = []
        while True:
            part, i = self.sequence(tokens, i)
            branches.append(part)
            if i < len(tokens) and tokens[i] == "|":
                i += 1
                continue
            break
        if len(branches) == 1:
            return branches[0], i
        return self.g.alternatives(branches, [1.0] * len(branches)), i

    def sequence(self, tokens, i):
        parts = []
        while i < len(tokens) and tokens[i] not in ("|", ")", "]"):
            part, i = self.item(tokens, i)
            parts.append(part)
        if not parts:
            raise ValueError(f"{self.grammar.source}: an empty expansion")
        return self.g.chain(parts), i

    def item(self, tokens, i):
        token = tokens[i]
        if token in ("(", "["):
            closing = ")" if token == "(" else "]"
            part, i = self.alternatives(tokens, i + 1)
            if i >= len(tokens) or tokens[i] != closing:
                raise ValueError(f"{self.grammar.source}: missing {closing!r}")
            i += 1
            if closing == "]":
                part = self.skippable(part)
        elif token.startswith("<"):
            part, i = self.rule(token), i + 1
        elif token in ("*", "+", ")", "]", "="):
            raise ValueError(f"{self.grammar.source}: unexpected {token!r}")
        else:
            part, i = self.word(token), i + 1
        while i < len(tokens) and tokens[i] in ("*", "+"):
            back = self.g.node()
            self.g.arc(part[1], back)
            self.g.arc(back, part[0])
            if tokens[i] == "*":
                part = self.skippable(part)
            i += 1
        return part, i

    def skippable(self, part: tuple[int, int]) -> tuple[int, int]:
        """``part`` or nothing, both weighing 1 (the acoustics choose)."""
        entry, exit_ = self.g.node(), self.g.node()
        self.g.arc(entry, part[0])
        self.g.arc(part[1], exit_)
        self.g.arc(entry, exit_)
        return entry, exit_

    def word(self, word: str) -> tuple[int, int]:
        index = self.n_words
        self.n_words += 1
        entry = self.g.node()
        inner = self.model.word_part(self.g, self.units, index, word, self.grammar.source)
        self.g.log_arc(entry, inner[0], self.penalty)
        if SHORT_PAUSE not in self.units:
            return entry, inner[1]
        pause = self.model.unit_part(self.g, self.units, SHORT_PAUSE, -3)
        self.g.arc(inner[1], pause[0])
        return entry, pause[1]


def grammar_graph(
    model: AcousticModel, grammar: Grammar, insertion_penalty: float = 0.0
) -> CompositeGraph:
    """``sil`` + the grammar's sentence + ``sil`` as a composite graph."""
    compiler = _Compiler(model, grammar, insertion_penalty)
    g = compiler.g
    body = compiler.rule(grammar.root)
    first = model.unit_part(g, compiler.units, SILENCE, -1)
    last = model.unit_part(g, compiler.units, SILENCE, -2)
    entry, exit_ = g.chain([first, body, last])
    return with_graph_transitions(g.build(entry, exit_), model)

"""HTK text master macro files (MMF): diagonal-Gaussian mixture HMMs, read and written.

Written: a ``~o`` global options macro (``<STREAMINFO>``, ``<VECSIZE>``, parameter kind,
``<DIAGC>``), one ``~s`` macro per tied state (``<NUMMIXES>``, ``<MIXTURE>``, ``<MEAN>``,
``<VARIANCE>``, ``<GCONST>``) and one ``~h`` macro per unit (``<BEGINHMM>``,
``<NUMSTATES>``, ``<STATE>`` referring to its ``~s`` macro, ``<TRANSP>``, ``<ENDHMM>``).
Read: the same, plus states written inline, ``~t`` transition macros and ``~v`` variance
floors (ignored). Numbers are written in their shortest exact form, so a file written by
hmmkit reads back identical. States with fewer mixture components than the largest get
zero-weight components (one bank needs one component count).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..atomic import atomic_output
from ..emissions.mixture import MixtureBank

_TOKEN = re.compile(r'<[^>]+>|~[A-Za-z]|"[^"]*"|[^\s<"]+')


def _num(x: float) -> str:
    return repr(float(x))


def _vector(values) -> str:
    return " " + " ".join(_num(v) for v in values)


def gconst(variances: np.ndarray) -> float:
    """HTK's precomputed normaliser: D log(2 pi) + sum log variances."""
    return float(len(variances) * np.log(2 * np.pi) + np.sum(np.log(variances)))


def write_mmf(
    path: str | os.PathLike,
    units: dict[str, tuple[np.ndarray, np.ndarray]],
    mixtures: MixtureBank,
    parameter_kind: str = "MFCC_E_D_A",
) -> None:
    """Write units (name -> (tied states, transitions)) over diagonal ``mixtures``."""
    if mixtures.covariance_type != "diag":
        raise ValueError(
            f"MMF output supports diagonal covariances, not {mixtures.covariance_type}"
        )
    n_groups, n_mix, dim = mixtures.means.shape
    owner = _state_names(units, n_groups)
    with atomic_output(path) as fh:
        fh.write(f"~o\n<STREAMINFO> 1 {dim}\n<VECSIZE> {dim}<NULLD><{parameter_kind}><DIAGC>\n")
        for g in range(n_groups):
            fh.write(f'~s "{owner[g]}"\n<NUMMIXES> {n_mix}\n')
            for j in range(n_mix):
                var = mixtures.covars[g, j]
                fh.write(f"<MIXTURE> {j + 1} {_num(mixtures.weights[g, j])}\n")
                fh.write(f"<MEAN> {dim}\n{_vector(mixtures.means[g, j])}\n")
                fh.write(f"<VARIANCE> {dim}\n{_vector(var)}\n<GCONST> {_num(gconst(var))}\n")
        for name, (states, transp) in units.items():
            n = len(states) + 2
            fh.write(f'~h "{name}"\n<BEGINHMM>\n<NUMSTATES> {n}\n')
            for i, s in enumerate(states):
                fh.write(f'<STATE> {i + 2}\n~s "{owner[int(s)]}"\n')
            fh.write(f"<TRANSP> {n}\n")
            for row in transp:
                fh.write(_vector(row) + "\n")
            fh.write("<ENDHMM>\n")


def _state_names(units, n_groups: int) -> list[str]:
    names: list[str | None] = [None] * n_groups
    for name, (states, _) in units.items():
        for i, s in enumerate(states):
            if names[int(s)] is None:
                names[int(s)] = f"{name}_s{i + 2}"
    return [n if n is not None else f"state{g}" for g, n in enumerate(names)]


class _Tokens:
    def __init__(self, path: Path):
        self.path = path
        self.items: list[tuple[str, int]] = []
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                self.items.extend((t, number) for t in _TOKEN.findall(line))
        self.pos = 0

    def peek(self) -> str | None:
        return self.items[self.pos][0].upper() if self.pos < len(self.items) else None

    def next(self) -> str:
        if self.pos >= len(self.items):
            raise ValueError(f"{self.path}: the file ends in the middle of a definition")
        self.pos += 1
        return self.items[self.pos - 1][0]

    def error(self, message: str) -> ValueError:
        line = self.items[min(self.pos, len(self.items) - 1)][1] if self.items else 0
        return ValueError(f"{self.path}:{line}: {message}")

    def expect(self, keyword: str) -> None:
        token = self.next()
        if token.upper() != keyword:
            raise self.error(f"expected {keyword}, found {token!r}")

    def number(self) -> float:
        token = self.next()
        try:
            return float(token)
        except ValueError:
            raise self.error(f"expected a number, found {token!r}") from None

    def numbers(self, n: int) -> np.ndarray:
        return np.array([self.number() for _ in range(n)])

    def name(self) -> str:
        token = self.next()
        return token[1:-1] if token.startswith('"') else token


def _read_state(tok: _Tokens):
    """A state body: [<NUMMIXES> M] then M mixtures (or one Gaussian)."""
    n_mix = 1
    if tok.peek() == "<NUMMIXES>":
        tok.next()
        n_mix = int(tok.number())
    comps = []
    for _ in range(n_mix):
        weight = 1.0
        if tok.peek() == "<MIXTURE>":
            tok.next()
            tok.number()
            weight = tok.number()
        if tok.peek() in ("<INVCOVAR>", "<LLTCOVAR>", "<XFORM>"):
            raise tok.error(f"{tok.peek()} is not supported (diagonal covariances only)")
        tok.expect("<MEAN>")
        mean = tok.numbers(int(tok.number()))
        token = tok.next().upper()
        if token != "<VARIANCE>":
            raise tok.error(f"expected <VARIANCE>, found {token} (diagonal covariances only)")
        var = tok.numbers(int(tok.number()))
        if tok.peek() == "<GCONST>":
            tok.next()
            tok.number()
        if len(var) != len(mean) or np.any(var <= 0):
            raise tok.error("variances must be positive and as long as the mean")
        comps.append((weight, mean, var))
    return comps


def _skip_options(tok: _Tokens) -> None:
    while tok.peek() is not None and not tok.peek().startswith("~") and tok.peek() != "<BEGINHMM>":
        tok.next()


def read_mmf(
    path: str | os.PathLike,
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], MixtureBank]:
    """Units (name -> (tied states, transitions)) and the mixtures of an HTK text MMF."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no MMF file at {path}")
    tok = _Tokens(path)
    states: list[list] = []
    state_macros: dict[str, int] = {}
    trans_macros: dict[str, np.ndarray] = {}
    units: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    while tok.peek() is not None:
        kind = tok.next()
        if kind == "~o":
            _skip_options(tok)
        elif kind == "~v":
            tok.name()
            tok.expect("<VARIANCE>")
            tok.numbers(int(tok.number()))
        elif kind == "~s":
            state_macros[tok.name()] = len(states)
            states.append(_read_state(tok))
        elif kind == "~t":
            name = tok.name()
            tok.expect("<TRANSP>")
            n = int(tok.number())
            trans_macros[name] = tok.numbers(n * n).reshape(n, n)
        elif kind == "~h":
            name = tok.name()
            units[name] = _read_hmm(tok, states, state_macros, trans_macros)
        else:
            raise tok.error(f"unsupported definition {kind!r} (expected ~o, ~s, ~t, ~v or ~h)")
    if not units:
        raise ValueError(f"{path}: no ~h model definitions")
    return units, _bank(states, tok)


def _read_hmm(tok: _Tokens, states, state_macros, trans_macros):
    tok.expect("<BEGINHMM>")
    while tok.peek() not in ("<NUMSTATES>", None):
        tok.next()  # options repeated inside the model (<VECSIZE>, parameter kind)
    tok.expect("<NUMSTATES>")
    n = int(tok.number())
    tied = np.full(n - 2, -1, dtype=np.int64)
    transp = None
    while True:
        token = tok.next().upper()
        if token == "<STATE>":
            i = int(tok.number())
            if not 2 <= i <= n - 1:
                raise tok.error(f"state {i} out of range 2..{n - 1}")
            if tok.peek() == "~S":
                tok.next()
                ref = tok.name()
                if ref not in state_macros:
                    raise tok.error(f"state macro {ref!r} is not defined before use")
                tied[i - 2] = state_macros[ref]
            else:
                tied[i - 2] = len(states)
                states.append(_read_state(tok))
        elif token == "<TRANSP>":
            m = int(tok.number())
            if m != n:
                raise tok.error(f"<TRANSP> {m} does not match <NUMSTATES> {n}")
            transp = tok.numbers(n * n).reshape(n, n)
        elif token == "~T":
            ref = tok.name()
            if ref not in trans_macros:
                raise tok.error(f"transition macro {ref!r} is not defined before use")
            transp = trans_macros[ref]
        elif token == "<ENDHMM>":
            break
        else:
            raise tok.error(f"unexpected {token!r} in a model definition")
    if transp is None or np.any(tied < 0):
        raise tok.error("a model needs every state and a <TRANSP>")
    return tied, transp


def _bank(states, tok: _Tokens) -> MixtureBank:
    n_mix = max(len(s) for s in states)
    dims = {len(c[1]) for s in states for c in s}
    if len(dims) != 1:
        raise ValueError(f"{tok.path}: states disagree on the vector size {sorted(dims)}")
    dim = dims.pop()
    weights = np.zeros((len(states), n_mix))
    means = np.zeros((len(states), n_mix, dim))
    covars = np.ones((len(states), n_mix, dim))
    for g, comps in enumerate(states):
        for j in range(n_mix):
            w, m, v = comps[min(j, len(comps) - 1)]
            weights[g, j] = w if j < len(comps) else 0.0
            means[g, j], covars[g, j] = m, v
        total = weights[g].sum()
        if total <= 0:
            raise ValueError(f"{tok.path}: state {g + 1} has no mixture weight")
        if abs(total - 1.0) > 1e-9:  # written weights that sum to one are kept bit for bit
            weights[g] /= total
    return MixtureBank(weights, means, covars, "diag")

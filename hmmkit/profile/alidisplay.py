"""Domains shown as hmmsearch shows them: the per-domain table and the alignment display.

The four alignment lines follow HMMER's P7_ALIDISPLAY: the model line holds the model's
consensus residue for match and delete states and ``.`` for inserts; the match line
repeats the consensus residue where the target has it, ``+`` where the target residue
scores above the background, a space otherwise; the target line has match residues in
upper case, inserted ones in lower case and ``-`` for deletions; the posterior line has
HMMER's one-character codes (``.`` for deletions).
"""

from __future__ import annotations

from functools import cached_property
from typing import IO

import numpy as np

from . import dp
from .align import encode_posterior
from .build import consensus_line
from .config import configure
from .digital import digitize
from .plan7 import ProfileHMM
from .search.hits import Domain, DomainAlignment, Hit, shown_description, shown_name
from .search.options import DEFAULT_TEXTW


class AlignmentDisplay:
    """Builds :class:`DomainAlignment` objects for the domains of one model's hits."""

    def __init__(self, model: ProfileHMM, scores: np.ndarray | None = None):
        self.model = model
        self.consensus = model.consensus or consensus_line(model.match_emissions, model.alphabet)
        if scores is not None:  # the match scores of a search profile of the model, at hand
            self.__dict__["scores"] = scores

    @cached_property
    def scores(self) -> np.ndarray:
        """Log-odds per digital code and match state against HMMER's default background
        (configured only if a domain is shown, unless given)."""
        return configure(self.model).msc

    def domain(self, domain: Domain) -> DomainAlignment:
        """The display lines of `domain` (which must come from a search with this model)."""
        st, kk, _, pp = domain.trace
        core = domain.aligned_states()
        codes = digitize(domain.residues, self.model.alphabet)
        model, match, target, post = [], [], [], []
        i = 0  # next residue of the aligned stretch
        for z in range(core.start, core.stop):
            state, k = st[z], kk[z]
            if state == dp.ST_D:
                model.append(self.consensus[k - 1])
                match.append(" ")
                target.append("-")
                post.append(".")
                continue
            residue = domain.residues[i]
            if state == dp.ST_M:
                cons = self.consensus[k - 1]
                model.append(cons)
                if residue.upper() == cons.upper():
                    match.append(cons)
                else:
                    match.append("+" if self.scores[codes[i], k] > 0 else " ")
                target.append(residue.upper())
            else:
                model.append(".")
                match.append(" ")
                target.append(residue.lower())
            post.append(encode_posterior(pp[z]))
            i += 1
        return DomainAlignment(
            "".join(model), "".join(match), "".join(target), "".join(post),
            domain.hmm_from, domain.hmm_to, domain.ali_from, domain.ali_to,
        )  # fmt: skip

    def write_hit(self, out: IO[str], hit: Hit, *, alignments: bool = True,
                  accessions: bool = False, textw: int = DEFAULT_TEXTW):  # fmt: skip
        """hmmsearch's block for one hit of this model (see :func:`write_hit_domains`)."""
        shown = [self.domain(d) for d in hit.domains if d.reported] if alignments else None
        model = shown_name(self.model.name, self.model.accession, accessions)
        write_hit_domains(out, hit, model, hit.shown_name(accessions), self.model.M, hit.length,
                          shown, accessions=accessions, textw=textw)  # fmt: skip


def write_hit_domains(
    out: IO[str],
    hit: Hit,
    model_name: str,
    target_name: str,
    M: int,
    L: int,
    alignments: list[DomainAlignment] | None,
    *,
    accessions: bool = False,
    textw: int = DEFAULT_TEXTW,
) -> None:
    """One hit's block of hmmsearch/hmmscan output: its reported domains in a table, then
    (when `alignments`, one per reported domain, are given) each domain's alignment,
    rows named `model_name` and `target_name`. `M` is the model's length, `L` the target
    sequence's; `accessions` (--acc): the block is headed by the hit's accession where it
    has one. The description and the alignment blocks fit lines of `textw` columns as
    HMMER fits them (HMMER's --textw, 120 by default; 0 for --notextw: unlimited)."""  # fmt: skip
    name = hit.shown_name(accessions)
    out.write(f">> {name}  {shown_description(hit.description, textw, len(name) + 5)}\n")
    reported = [d for d in hit.domains if d.reported]
    if not reported:
        out.write("   [No individual domains that satisfy reporting thresholds "
                  "(although complete target did)]\n\n")  # fmt: skip
        return
    out.write("   #    score  bias  c-Evalue  i-Evalue hmmfrom  hmm to    alifrom  ali to"
              "    envfrom  env to     acc\n")  # fmt: skip
    out.write(" ---   ------ ----- --------- --------- ------- -------    ------- -------"
              "    ------- -------    ----\n")  # fmt: skip
    for n, d in enumerate(reported, start=1):
        out.write(
            " %3d %c %6.1f %5.1f %9.2g %9.2g %7d %7d %c%c %7d %7d %c%c %7d %7d %c%c %4.2f\n"  # noqa: UP031
            % (n, "!" if d.included else "?", d.score, d.bias, d.c_evalue, d.evalue,
               d.hmm_from, d.hmm_to, _edge(d.hmm_from == 1), _edge(d.hmm_to == M, "]"),
               d.ali_from, d.ali_to, _edge(d.ali_from == 1), _edge(d.ali_to == L, "]"),
               d.env_from, d.env_to, _edge(d.env_from == 1), _edge(d.env_to == L, "]"),
               d.accuracy / (1.0 + abs(d.env_to - d.env_from)))
        )  # fmt: skip
    if alignments is None:
        out.write("\n")
        return
    out.write("\n  Alignments for each domain:\n")
    for n, (d, ali) in enumerate(zip(reported, alignments, strict=True), start=1):
        out.write(f"  == domain {n}  score: {d.score:.1f} bits;  "
                  f"conditional E-value: {d.c_evalue:.2g}\n")  # fmt: skip
        _write_alignment(out, ali, model_name, target_name, textw)
    out.write("\n")


def alignment_width(n: int, textw: int, namew: int, coordw: int) -> int:
    """HMMER's alignment block width for `n` columns in lines of `textw` (0: unlimited)
    after the row names and coordinates: what is left, but at least 40 columns."""
    if textw <= 0:
        return max(n, 1)
    width = textw - namew - 2 * coordw - 5
    return 40 if width < n and width < 40 else max(width, 1)


def _edge(at_end: bool, mark: str = "[") -> str:
    return mark if at_end else "."


def _write_alignment(out: IO[str], ali: DomainAlignment, model_name: str, target_name: str,
                     textw: int) -> None:  # fmt: skip
    """The four lines in blocks as wide as fit in HMMER's lines of `textw` columns, with
    running coordinates."""
    namew = max(len(model_name), len(target_name))
    coordw = len(str(max(ali.hmm_to, ali.target_to)))
    width = alignment_width(len(ali.model), textw, namew, coordw)
    k, i = ali.hmm_from, ali.target_from
    for start in range(0, len(ali.model), width):
        stop = start + width
        model, target = ali.model[start:stop], ali.target[start:stop]
        k_end = k + sum(c != "." for c in model) - 1
        i_end = i + sum(c != "-" for c in target) - 1
        pad = " " * (namew + coordw + 4)
        out.write(f"  {model_name:>{namew}} {k:>{coordw}} {model} {k_end:<{coordw}}\n")
        out.write(f"{pad}{ali.match[start:stop]}\n")
        out.write(f"  {target_name:>{namew}} {i:>{coordw}} {target} {i_end:<{coordw}}\n")
        out.write(f"{pad}{ali.posteriors[start:stop]} PP\n\n")
        k, i = k_end + 1, i_end + 1

"""Profile HMM construction from a multiple alignment: HMMER 3.4 hmmbuild's pipeline.

hmmbuild (HMMER's p7_builder.c) runs these steps in order; each is a function of its own
module, and :class:`Builder` runs them, keeping what each produced (:class:`BuildSteps`):

1. ``weights`` -- relative sequence weights on the alignment as read (:mod:`.weights`);
2. ``fragments`` -- short sequences' flanking gaps become missing data (:mod:`.fragments`);
3. ``columns`` -- match-column assignment, by weighted occupancy or the RF line
   (:mod:`.columns`);
4. ``counts`` -- weighted counts of each sequence's implied, doctored path (:mod:`.traces`);
5. ``effective_number`` -- Neff, by entropy weighting by default (:mod:`.effective_number`);
6. ``parameters`` -- counts scaled to Neff, then mean posterior estimates under the
   Dirichlet-mixture priors (:mod:`.priors`);
7. ``annotation`` -- name, consensus, composition, map, RF/CS/MM, NSEQ, EFFN, CKSUM,
   cutoffs, MAXL (:mod:`.annotation`);
8. ``calibration`` -- E-value parameters by simulation (:mod:`.calibrate`).

:func:`build` is hmmbuild without the last step: its model's ``stats`` are empty.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

import numpy as np

from ..alphabet import Alphabet, get_alphabet
from ..io.alignments import read_alignment
from ..msa import DigitalMSA
from ..plan7 import ProfileHMM, check_model_name
from .annotation import annotate
from .calibrate import calibrate
from .columns import check_architecture, match_columns, model_mask_codes
from .effective_number import check_effn, effective_number, scale_counts
from .fragments import (
    check_fragthresh,
    check_missing_data,
    fragments_to_missing,
    mark_fragments,
)
from .priors import ProfilePrior, background_frequencies, estimate_parameters, resolve_prior
from .traces import count_paths
from .weights import check_weighting, relative_weights

if TYPE_CHECKING:
    from .annotated import AnnotatedAlignment

#: hmmbuild's steps, in the order :class:`Builder` runs them.
STEPS = (
    "weights",
    "fragments",
    "columns",
    "counts",
    "effective_number",
    "parameters",
    "annotation",
    "calibration",
)

Matrices = tuple[np.ndarray, np.ndarray, np.ndarray]  # transitions, match, insert


@dataclass
class BuildSteps:
    """What each step of a :class:`Builder` run produced; None for steps not run.

    ``msa`` is the alignment as read; ``marked`` the same with fragment flanks as missing
    data; ``counts`` the float32 (transitions, match, insert) counts of the doctored
    paths before scaling; ``parameters`` the estimated probabilities; ``model`` the
    annotated (and, after ``calibration``, calibrated) model.
    """

    msa: DigitalMSA
    name: str | None
    prior: ProfilePrior | None
    background: np.ndarray
    weights: np.ndarray | None = None
    fragments: np.ndarray | None = None
    marked: DigitalMSA | None = None
    match_columns: np.ndarray | None = None
    counts: Matrices | None = None
    effn: float | None = None
    parameters: Matrices | None = None
    model: ProfileHMM | None = None
    done: list[str] = field(default_factory=list)

    @property
    def M(self) -> int:
        """Number of match states (0 before the ``columns`` step)."""
        return 0 if self.match_columns is None else int(self.match_columns.sum())


@dataclass(frozen=True)
class Builder:
    """hmmbuild's pipeline with its options; :meth:`run` runs its steps in order.

    The options are hmmbuild's, by the step they change:

    =================  ==================================================  =================
    step               option (hmmbuild flag)                              default
    =================  ==================================================  =================
    weights            ``weighting`` 'pb' (--wpb), 'blosum' (--wblosum),   'pb', 0.62
                       'none' (--wnone); ``wid`` (--wid)
    fragments          ``fragthresh`` (--fragthresh)                       0.5
    columns            ``architecture`` 'fast' (--fast) or 'hand'          'fast', 0.5
                       (--hand, the RF line); ``symfrac`` (--symfrac)
    effective_number   ``effn`` 'entropy' (--eent), 'clust' (--eclust),    'entropy'
                       'none' (--enone) or a number (--eset); ``ere``
                       (--ere), ``esigma`` (--esigma), ``eid`` (--eid)
    parameters         ``prior`` 'default', 'laplace' (--plaplace), None   'default'
                       (--pnone) or a ProfilePrior
    annotation         ``window_beta`` (--w_beta, MAXL of nucleic models)  1e-7
    calibration        ``seed`` (--seed)                                   42
    =================  ==================================================  =================
    """

    weighting: str = "pb"
    architecture: str = "fast"
    symfrac: float = 0.5
    fragthresh: float = 0.5
    effn: str | float = "entropy"
    ere: float | None = None
    esigma: float = 45.0
    wid: float = 0.62
    eid: float = 0.62
    prior: str | ProfilePrior | None = "default"
    window_beta: float = 1e-7
    seed: int = 42

    def __post_init__(self) -> None:
        check_architecture(self.architecture)
        check_fragthresh(self.fragthresh)
        check_weighting(self.weighting)
        check_effn(self.effn)

    def start(self, msa: DigitalMSA, name: str | None = None) -> BuildSteps:
        """A run of ``msa`` with no step done yet (the alignment's missing data checked)."""
        check_missing_data(msa)
        return BuildSteps(
            msa=msa,
            name=name or msa.name,
            prior=resolve_prior(self.prior, msa.alphabet),
            background=background_frequencies(msa.alphabet),
        )

    def step(self, steps: BuildSteps) -> BuildSteps:
        """Run the next step of ``steps`` (in place) and return it."""
        if len(steps.done) == len(STEPS):
            raise ValueError("every step has run")
        label = STEPS[len(steps.done)]
        getattr(self, f"_{label}")(steps)
        steps.done.append(label)
        return steps

    def run(
        self, msa: DigitalMSA, *, name: str | None = None, stop_after: str = "annotation"
    ) -> BuildSteps:
        """Run the steps from the first to ``stop_after`` (one of :data:`STEPS`).

        ``name`` names the model (default: the alignment's); it is checked first when the
        run reaches ``annotation``.
        """
        if stop_after not in STEPS:
            raise ValueError(f"stop_after must be one of {STEPS}, got {stop_after!r}")
        steps = self.start(msa, name)
        last = STEPS.index(stop_after)
        if last >= STEPS.index("annotation"):
            if not steps.name:
                raise ValueError("the alignment has no name; pass name=")
            check_model_name(steps.name)
        while len(steps.done) <= last:
            self.step(steps)
        return steps

    def _weights(self, steps: BuildSteps) -> None:
        use_rf = self.architecture == "hand"
        steps.weights = relative_weights(steps.msa, self.weighting, use_rf=use_rf, maxid=self.wid)

    def _fragments(self, steps: BuildSteps) -> None:
        msa = steps.msa
        steps.fragments = mark_fragments(msa, self.fragthresh)
        steps.marked = msa.with_codes(fragments_to_missing(msa, steps.fragments))

    def _columns(self, steps: BuildSteps) -> None:
        steps.match_columns = match_columns(
            steps.marked, steps.weights, self.architecture, self.symfrac
        )
        if steps.M == 0:
            rule = f"architecture {self.architecture!r}"
            raise ValueError(f"alignment {steps.name} has no match columns ({rule})")

    def _counts(self, steps: BuildSteps) -> None:
        marked = steps.marked
        masked = marked.with_codes(model_mask_codes(marked))
        steps.counts = count_paths(masked, steps.weights, steps.match_columns)

    def _effective_number(self, steps: BuildSteps) -> None:
        steps.effn = effective_number(
            self.effn, steps.msa, steps.counts[1], steps.prior, steps.background,
            ere=self.ere, esigma=self.esigma, eid=self.eid,
        )  # fmt: skip

    def _parameters(self, steps: BuildSteps) -> None:
        scaled = scale_counts(steps.counts, steps.effn, steps.msa.nseq)
        steps.parameters = estimate_parameters(*scaled, steps.prior)

    def _annotation(self, steps: BuildSteps) -> None:
        steps.model = annotate(
            steps.msa, steps.match_columns, steps.parameters, steps.name, steps.effn,
            steps.background, window_beta=self.window_beta,
        )  # fmt: skip

    def _calibration(self, steps: BuildSteps) -> None:
        calibrate(steps.model, seed=self.seed, in_place=True)

    def annotated_alignment(self, steps: BuildSteps) -> AnnotatedAlignment:
        """The alignment the model of ``steps`` was built from, as hmmbuild -O writes it:
        match columns marked by RF, the doctored paths' residues, fragments' flanks as
        ``~`` and, when this builder computed them, the relative weights."""
        from .annotated import annotated_alignment  # the alignment layout: only when asked

        weighted = self.weighting != "none" and steps.msa.nseq > 1
        return annotated_alignment(steps, weighted=weighted)

    def build(self, msa: DigitalMSA, name: str | None = None) -> ProfileHMM:
        """The annotated model of ``msa`` (no E-value statistics)."""
        return self.run(msa, name=name).model


def build(
    msa: DigitalMSA | str | os.PathLike | IO[str],
    alphabet: Alphabet | str | None = None,
    *,
    weighting: str = "pb",
    architecture: str = "fast",
    symfrac: float = 0.5,
    fragthresh: float = 0.5,
    effn: str | float = "entropy",
    ere: float | None = None,
    esigma: float = 45.0,
    wid: float = 0.62,
    eid: float = 0.62,
    prior: str | ProfilePrior | None = "default",
    name: str | None = None,
    window_beta: float = 1e-7,
) -> ProfileHMM:
    """Build a profile HMM from an alignment as HMMER 3.4's hmmbuild does by default.

    ``msa`` is a :class:`~hmmkit.profile.msa.DigitalMSA` or a path/handle to a
    Stockholm, aligned FASTA or A2M file (alphabet guessed unless given).

    Options mirror hmmbuild (see :class:`Builder`): ``weighting`` 'pb', 'blosum' (at
    ``wid`` identity) or 'none'; ``architecture`` 'fast' (match columns by ``symfrac``)
    or 'hand' (RF line); ``fragthresh``; ``effn`` 'entropy' (target ``ere`` bits per
    position, ``esigma``), 'clust' (clusters at ``eid``), 'none' or a number; ``prior``
    'default', 'laplace' or None (--pnone). The returned model has no E-value statistics
    (``stats`` is empty; see :func:`~hmmkit.profile.build.calibrate.calibrate`).
    """
    if not isinstance(msa, DigitalMSA):
        msa = read_alignment(msa, alphabet)
    elif alphabet is not None and get_alphabet(alphabet) != msa.alphabet:
        raise ValueError(f"alphabet {alphabet!r} differs from the alignment's {msa.alphabet.name}")
    builder = Builder(
        weighting=weighting, architecture=architecture, symfrac=symfrac, fragthresh=fragthresh,
        effn=effn, ere=ere, esigma=esigma, wid=wid, eid=eid, prior=prior,
        window_beta=window_beta,
    )  # fmt: skip
    return builder.build(msa, name)


__all__ = ["STEPS", "BuildSteps", "Builder", "build"]

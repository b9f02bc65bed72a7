"""Domain definition on a long-target window, as nhmmer does it (p7_domaindef's
long-target path): each envelope is scored with a length model of its own length, against
a background mixed with the envelope's own composition; an envelope far wider than its
alignment is trimmed and realigned; the bias correction is the score lost to that
background."""

from __future__ import annotations

import math

import numpy as np

from ...compiling import njit
from .. import dp
from ..config import SearchProfile
from ..search.domains import DomainDefiner, special_odds_of_length
from ..search.hits import Domain

#: Residues of envelope kept beyond the alignment when a wide envelope is trimmed.
MAX_ENV_EXTRA = 20
#: Trims of one envelope: HMMER 3.4 trims once and keeps the realigned alignment, even
#: when that one ends further in.
MAX_TRIMS = 1


class LongTargetDefiner(DomainDefiner):
    """:class:`~hmmkit.profile.domains.DomainDefiner` with nhmmer's envelope rescoring."""

    def __init__(self, profile: SearchProfile, seed: int, entry=None):
        super().__init__(profile, seed, True, entry)
        self.tmask = (self.tp > 0).astype(np.float64)
        self.nodes = dp.node_vectors(self.tp, self.local)
        self.workspace = dp.EnvelopeWorkspace()  # the envelopes' DP matrices, reused
        alphabet = profile.alphabet
        _, degen = alphabet.degeneracy_matrix()
        self.degen = degen  # (n_letters, K): what each residue code denotes
        self.per_code = degen / np.maximum(degen.sum(axis=1, keepdims=True), 1.0)
        f = np.asarray(profile.background.frequencies, dtype=np.float32)
        self.bg = f
        # match emission probabilities recovered from the odds, as HMMER recovers them
        self.match = (self.me[:, 1:][: self.K] * f[:, None].astype(np.float64)).T  # (M, K)
        self.window = 0

    def define_window(self, dsq: np.ndarray, decoded=None):
        """Domain definition of one window (its length sets the composition mixing);
        `decoded` as :meth:`DomainDefiner.define` takes it."""
        self.window = len(dsq)
        return self.define(dsq, decoded)

    def _odds(self, sub: np.ndarray) -> np.ndarray:
        """Match odds (codes x M+1) against the background mixed with `sub`'s composition
        (reparameterize_model): 25% of the default for windows of >= 100 residues."""
        smooth = np.float32(25.0) / np.float32(min(100, max(50, self.window)))
        me = np.zeros_like(self.me)
        _mixed_odds(sub, smooth, self.bg, self.per_code, self.degen, self.match, me)
        return me

    def _align(self, sub, me, xp, xmask):
        """Forward score, alignment segment and trace of one envelope."""
        work = self.workspace.reserve(len(sub), self.profile.M)
        envsc, oasc, trace, segs, _ = dp.align_envelope(
            sub, 1, self.nodes, me, self.ie, xp, self.local, self.tmask, xmask, work)  # fmt: skip
        if not np.isfinite(envsc) or len(segs) == 0:
            return None
        return envsc, segs[0, 2:6], trace, oasc

    def _rescore(self, dsq, i, j, null2_done, uarrays, result) -> bool:
        for trim in range(MAX_TRIMS + 1):
            sub = dsq[i - 1 : j]
            xp, xmask = special_odds_of_length(j - i + 1, False)
            found = self._align(sub, self._odds(sub), xp, xmask)
            if found is None:
                return False
            envsc, (ali_from, ali_to, hmm_from, hmm_to), trace, oasc = found
            ali_from, ali_to = ali_from + i - 1, ali_to + i - 1
            wide = i < ali_from - MAX_ENV_EXTRA or j > ali_to + MAX_ENV_EXTRA
            if trim == MAX_TRIMS or not wide:
                break
            i, j = max(i, ali_from - MAX_ENV_EXTRA), min(j, ali_to + MAX_ENV_EXTRA)
        st, kk, ii, pp = trace
        ii = np.where(ii > 0, ii + i - 1, 0)
        _, _, default = dp.forward_parser(sub, self.tp, self.me, self.ie, xp, self.local)
        envsc = min(envsc, default)
        result.domains.append(
            Domain(
                env_from=int(i), env_to=int(j), ali_from=int(ali_from), ali_to=int(ali_to),
                hmm_from=int(hmm_from), hmm_to=int(hmm_to), env_score=float(envsc),
                correction=float(default - envsc), accuracy=float(oasc), trace=(st, kk, ii, pp),
            )
        )  # fmt: skip
        return True


@njit(cache=True, nogil=True)
def _mixed_odds(sub, smooth, bg, per_code, degen, match, me):
    """Into `me` (codes x M+1, zeroed): each code's match odds against the background
    `bg` mixed (weight `smooth`) with the composition of `sub` -- float32 frequencies, a
    degenerate code's odds the frequency-weighted mean of its residues' log odds."""
    n_codes, K = degen.shape
    M = match.shape[0]
    counts = np.zeros(n_codes)
    for x in sub:
        if x < n_codes:
            counts[x] += 1.0
    freq = np.zeros(K, dtype=np.float32)
    total = np.float32(0.0)
    for k in range(K):
        v = 0.0
        for c in range(n_codes):
            v += counts[c] * per_code[c, k]
        freq[k] = np.float32(v)
        total += freq[k]
    rest = np.float32(1.0) - smooth
    fd = np.empty(K)
    for k in range(K):
        fd[k] = np.float64(smooth * bg[k] + rest * (freq[k] / total))
    scores = np.empty((M, K))
    for m in range(M):
        for k in range(K):
            scores[m, k] = math.log(match[m, k] / fd[k]) if match[m, k] > 0 else -np.inf
    weighted = np.empty(K)
    for c in range(n_codes):
        wsum = 0.0
        for k in range(K):
            weighted[k] = degen[c, k] * fd[k]
            wsum += weighted[k]
        for m in range(M):
            v = 0.0
            for k in range(K):
                v += weighted[k] * scores[m, k]
            me[c, m + 1] = math.exp(v / wsum)

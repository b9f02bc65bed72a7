"""Small hand-made acoustic models for the continuous-speech tests."""

import numpy as np

from hmmkit.emissions.mixture import MixtureBank
from hmmkit.speech.acoustic_model import (
    AcousticModel,
    left_to_right,
    silence_transitions,
    tee_transitions,
)


def tiny_model(seed=0, n_mix=2, dim=3, kind="word", lexicon=None, names=("a", "b")):
    """sil (3 states), sp tied to sil's middle state, and 1-2 state units."""
    rng = np.random.default_rng(seed)
    units = {"sil": (np.arange(3), silence_transitions(3))}
    nxt = 3
    for k, name in enumerate(names):
        size = 1 + k % 2
        transp = left_to_right(size)
        for i in range(1, size + 1):
            transp[i, i : i + 2] = rng.dirichlet([1.0, 1.0])
        units[name] = (np.arange(nxt, nxt + size), transp)
        nxt += size
    units["sp"] = (np.array([1]), tee_transitions(0.4))
    mixtures = MixtureBank(
        rng.dirichlet(np.ones(n_mix), size=nxt),
        rng.normal(size=(nxt, n_mix, dim)) * 2,
        rng.uniform(0.5, 2.0, size=(nxt, n_mix, dim)),
        "diag",
    )
    return AcousticModel(units, mixtures, kind, lexicon)

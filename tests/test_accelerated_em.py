"""What both accelerators (alpha-HMM and SQUAREM) must give: Baum-Welch's optimum, sooner."""

import numpy as np
import pytest
from factories import sample_sequences

from hmmkit import GaussianHMM


@pytest.mark.parametrize(
    "accelerator", [{"algorithm": "alpha", "alpha": 0.5}, {"algorithm": "squarem"}]
)
def test_same_optimum_as_baum_welch_in_fewer_passes(accelerator):
    truth = GaussianHMM(3, "full")
    truth.startprob_ = np.array([0.5, 0.3, 0.2])
    truth.transmat_ = np.array([[0.8, 0.1, 0.1], [0.15, 0.7, 0.15], [0.1, 0.2, 0.7]])
    truth.means_ = np.array([[0.0, 0.0], [1.5, -1.0], [-1.0, 1.5]])
    truth.covars_ = np.array([np.eye(2), [[1.0, 0.4], [0.4, 0.8]], [[0.7, -0.2], [-0.2, 1.0]]])
    seqs = sample_sequences(truth, [150] * 12)
    common = dict(n_iter=2000, tol=1e-7, random_state=0, init="kmeans")
    plain = GaussianHMM(3, "full", **common).fit(seqs)
    fast = GaussianHMM(3, "full", **accelerator, **common).fit(seqs)
    best = plain.monitor_.history[-1]
    assert plain.monitor_.converged and fast.monitor_.converged
    assert abs(fast.monitor_.history[-1] - best) <= 1e-6 * abs(best)
    order_p, order_f = np.argsort(plain.means_[:, 0]), np.argsort(fast.means_[:, 0])
    np.testing.assert_allclose(fast.means_[order_f], plain.means_[order_p], atol=1e-3)
    assert fast.monitor_.n_passes < plain.monitor_.n_passes / 2

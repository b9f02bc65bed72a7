"""With priors, training climbs log-likelihood + log prior, and the monitor follows it.

EM with a prior maximises the expected log-likelihood plus the log prior density in
every M-step, so that sum never decreases while the likelihood alone may. The monitor
and the accelerators' safeguards compare that sum; these tests check that it is
monotone for every family's prior and that training runs to the posterior mode
instead of stopping where the likelihood first dips.
"""

import numpy as np
import pytest
from factories import EMPTIED_BY_THE_PRIOR, make_model, sample_sequences

from hmmkit import GaussianHMM

#: a strong prior of each family's own kind, and the Dirichlet priors of the chain
PRIORS = {
    "categorical": dict(emissionprob_prior=30.0, transmat_prior=20.0),
    "gaussian": dict(means_prior=-3.0, means_weight=60.0, covars_prior=4.0, covars_weight=40.0),
    "gmm": dict(weights_prior=40.0, startprob_prior=5.0, means_weight=30.0, covars_prior=2.0),
    "poisson": dict(lambdas_prior=50.0, lambdas_weight=30.0),
    "multinomial": dict(emissionprob_prior=25.0),
}


def objective(model, seqs):
    """Log-likelihood plus log prior of the model's current parameters."""
    return model.score(seqs) + model._log_prior(model._for_training(model._get_params()))


@pytest.mark.parametrize("family", list(PRIORS))
@pytest.mark.parametrize("algorithm", ["baum-welch", "alpha", "squarem"])
@EMPTIED_BY_THE_PRIOR
def test_penalised_objective_never_decreases(family, algorithm):
    covariance_type = "diag" if family in ("gaussian", "gmm") else None
    truth = make_model(family, covariance_type, np.random.default_rng(3))
    seqs = sample_sequences(truth, [120, 80, 150], seed=1)
    model = make_model(family, covariance_type, np.random.default_rng(8))
    model.set_params(init_params="", n_iter=25, tol=-np.inf, algorithm=algorithm, **PRIORS[family])
    model.fit(seqs)
    history = np.asarray(model.monitor_.history)
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:]))
    # the reported value is the objective of the accepted parameters
    if algorithm == "baum-welch":
        before_last = make_model(family, covariance_type, np.random.default_rng(8))
        before_last.set_params(init_params="", n_iter=24, tol=-np.inf, **PRIORS[family])
        before_last.fit(seqs)
        assert history[-1] == pytest.approx(objective(before_last, seqs), rel=1e-12)


def test_training_with_a_strong_prior_runs_to_the_posterior_mode():
    """The likelihood dips under a strong prior; training must not stop there."""
    truth = make_model("gaussian", "diag", np.random.default_rng(3))
    seqs = sample_sequences(truth, [200, 150, 120], seed=4)
    settings = dict(means_prior=-2.0, means_weight=40.0, covars_prior=5.0, covars_weight=30.0)
    model = GaussianHMM(3, "diag", n_iter=500, tol=1e-8, random_state=1, **settings).fit(seqs)
    assert model.monitor_.converged and model.monitor_.n_passes > 10
    scores = [GaussianHMM(3, "diag", n_iter=n, tol=-np.inf, random_state=1, **settings)
              .fit(seqs).score(seqs) for n in (1, 2, 3)]  # fmt: skip
    assert min(np.diff(scores)) < 0  # the likelihood alone does dip on the way
    # a fixed point: one more iteration moves nothing
    again = GaussianHMM(3, "diag", n_iter=1, init_params="", **settings)
    again.startprob_, again.transmat_ = model.startprob_, model.transmat_
    again.means_, again.covars_ = model.means_, model.covars_
    again.fit(seqs)
    np.testing.assert_allclose(again.means_, model.means_, atol=1e-5)

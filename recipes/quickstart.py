"""Quick start: sample sequences from a known GaussianHMM, fit a new model, decode, save, load.

python recipes/quickstart.py [--out out/quickstart]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from hmmkit import GaussianHMM, load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/quickstart"), help="output folder")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} exists and is not a folder")

    truth = GaussianHMM(3, "diag")
    truth.startprob_ = np.array([0.6, 0.3, 0.1])
    truth.transmat_ = np.array([[0.90, 0.08, 0.02], [0.05, 0.90, 0.05], [0.02, 0.08, 0.90]])
    truth.means_ = np.array([[0.0, 0.0], [3.0, -2.0], [-3.0, 4.0]])
    truth.covars_ = np.array([[1.0, 0.5], [0.7, 1.2], [0.4, 0.4]])
    rng = np.random.default_rng(args.seed)
    seqs = [truth.sample(int(n), random_state=rng)[0] for n in rng.integers(50, 500, size=100)]

    start = time.perf_counter()
    model = GaussianHMM(3, "diag", n_iter=100, tol=1e-4, random_state=args.seed).fit(seqs)
    seconds = time.perf_counter() - start
    print(
        f"fitted {len(seqs)} sequences ({sum(map(len, seqs))} frames) in {seconds:.2f} s, "
        f"{model.monitor_.iter} iterations, converged={model.monitor_.converged}"
    )
    print(f"log-likelihood: fitted {model.score(seqs):.2f}, true model {truth.score(seqs):.2f}")
    print("fitted means:\n", np.round(model.means_, 2))

    x, states = truth.sample(200, random_state=1)
    _, path = model.decode(x)
    mapping = {k: np.bincount(states[path == k]).argmax() for k in np.unique(path)}
    accuracy = np.mean([mapping[p] == s for p, s in zip(path, states, strict=True)])
    print(f"Viterbi state accuracy on a fresh sequence: {accuracy:.1%}")

    args.out.mkdir(parents=True, exist_ok=True)
    model.save(args.out / "model.npz")
    assert load(args.out / "model.npz").score(x) == model.score(x)
    print(f"model saved to {args.out / 'model.npz'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Training time of the spoken-digit word models: hmmkit against hmmlearn, side by side.

    python benchmarks/speech_training.py                  # official split, 20 iterations
    python benchmarks/speech_training.py --words 0,1 --n-iter 5   # a quick look

Both libraries train the same ten word models on the official split of the Free Spoken
Digit Dataset (takes 5-49 of every digit and speaker): left-to-right GMM-HMMs with
5 states x 3 diagonal Gaussians, 39-dim MFCC + deltas + delta-deltas with per-utterance
mean normalisation, 20 EM iterations with convergence disabled. hmmlearn initialises the
means by k-means (its default); hmmkit is timed with segmental k-means (uniform
segmentation then Viterbi re-segmentation, as HTK's HInit: several extra passes) and
with a flat start (every state from the global mean and variance, as HTK's HCompV).
A last row times the recognizer's own HTK-style schedule for the same 5 x 3 models
(segmental start with one Gaussian, 10 iterations, then splits 1 -> 2 -> 3 with 5
iterations after each).
Features are computed once, outside the timings. Each library is timed in its own
worker process (hmmkit once with one thread and once with all cores); the table also
gives each one's test accuracy and CPU seconds (a fair measure on a busy machine; for the
multi-threaded run it sums the threads). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
N_STATES, N_MIX = 5, 3


def left_right(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and transition matrices of a left-to-right chain with self-loops of 0.5."""
    trans = np.zeros((k, k))
    for i in range(k - 1):
        trans[i, i] = trans[i, i + 1] = 0.5
    trans[-1, -1] = 1.0
    return np.eye(k)[0], trans


def train_hmmlearn(seqs: list[np.ndarray], n_iter: int, seed: int):
    """hmmlearn's GMMHMM as a left-to-right word model."""
    import logging
    import warnings

    from hmmlearn.hmm import GMMHMM

    logging.getLogger("hmmlearn").setLevel(logging.ERROR)
    start, trans = left_right(N_STATES)
    model = GMMHMM(
        N_STATES,
        N_MIX,
        covariance_type="diag",
        n_iter=n_iter,
        tol=-np.inf,
        init_params="mcw",
        params="stmcw",
        random_state=seed,
    )
    model.startprob_, model.transmat_ = start, trans
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(np.concatenate(seqs), [len(x) for x in seqs])
    return model


def train_hmmkit(
    seqs: list[np.ndarray], n_iter: int, seed: int, n_jobs: int | None, init: str = "segmental"
):
    """hmmkit's GMMHMM as a left-to-right word model, same settings."""
    from hmmkit import GMMHMM

    model = GMMHMM(
        N_STATES,
        N_MIX,
        covariance_type="diag",
        topology="left-right",
        init=init,
        n_iter=n_iter,
        tol=-np.inf,
        random_state=seed,
        n_jobs=n_jobs,
    )
    return model.fit(seqs)


def safe_score(model, x: np.ndarray) -> float:
    """Log-likelihood, -inf where the model cannot score (e.g. a NaN model)."""
    try:
        value = float(model.score(x))
    except ValueError:
        return -np.inf
    return value if np.isfinite(value) else -np.inf


def worker(args: argparse.Namespace) -> None:
    """Train all word models with one library and print a JSON line of the outcome."""
    data = np.load(args.features, allow_pickle=False)
    words = [str(w) for w in data["words"]]
    train = {w: _unpack(data, f"train_{w}") for w in words}
    test = [(w, x) for w in words for x in _unpack(data, f"test_{w}")]
    # Warm up (numba compilation, imports) on a few utterances, outside the timing.
    warm = train[words[0]][:4]
    if args.library == "hmmlearn":
        train_hmmlearn(warm, 2, args.seed)
    else:
        train_hmmkit(warm, 2, args.seed, args.n_jobs, args.init)
    start, cpu_start = time.perf_counter(), time.process_time()
    models = {}
    if args.library == "hmmkit-recognizer":
        from hmmkit.speech.recognizer import TrainingConfig, WordRecognizer

        config = TrainingConfig(n_states=N_STATES, n_mix=N_MIX, random_state=args.seed)
        feats = [x for w in words for x in train[w]]
        labels = [w for w in words for _ in train[w]]
        rec = WordRecognizer(config, n_jobs=args.n_jobs).fit(feats, labels)
        models = rec.models_
    for i, w in enumerate(words if args.library != "hmmkit-recognizer" else []):
        if args.library == "hmmlearn":
            models[w] = train_hmmlearn(train[w], args.n_iter, args.seed + i)
        else:
            models[w] = train_hmmkit(train[w], args.n_iter, args.seed + i, args.n_jobs, args.init)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    correct = 0
    for w, x in test:
        scores = [safe_score(models[v], x) for v in words]
        correct += words[int(np.argmax(scores))] == w
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "accuracy": correct / len(test),
                "n_test": len(test),
            }
        )
    )


def _unpack(data, prefix: str) -> list[np.ndarray]:
    frames, lengths = data[f"{prefix}_X"], data[f"{prefix}_lengths"]
    return np.split(frames, np.cumsum(lengths)[:-1])


def prepare(args: argparse.Namespace, path: Path) -> tuple[int, int, int]:
    """Features of the official split into an .npz for the workers; returns counts."""
    from hmmkit.speech import corpus
    from hmmkit.speech.feature_cache import FeatureCache, default_cache_dir
    from hmmkit.speech.features import MFCCConfig, extract

    fsdd = Path(__file__).resolve().parents[1] / "data" / "fsdd"
    utts = corpus.list_recordings(corpus.locate(args.data_dir, fallback=fsdd))
    train, test = corpus.split(utts, "official")
    words = args.words.split(",") if args.words else corpus.labels(utts)
    config = MFCCConfig(normalise="utterance")
    cache = FeatureCache(args.cache_dir or default_cache_dir())
    arrays: dict[str, np.ndarray] = {"words": np.array(words)}
    n_frames = 0
    for side, items in (("train", train), ("test", test)):
        for w in words:
            chosen = [u for u in items if u.label == w]
            feats = extract([u.path for u in chosen], config, cache=cache)
            arrays[f"{side}_{w}_X"] = np.concatenate(feats)
            arrays[f"{side}_{w}_lengths"] = np.array([len(f) for f in feats])
            n_frames += sum(len(f) for f in feats) if side == "train" else 0
    np.savez(path, **arrays)
    n_train = sum(len(arrays[f"train_{w}_lengths"]) for w in words)
    n_test = sum(len(arrays[f"test_{w}_lengths"]) for w in words)
    return n_train, n_test, n_frames


def run_worker(args, features: Path, library: str, n_jobs: int | None, init: str) -> dict:
    command = [
        sys.executable,
        __file__,
        "--worker",
        library,
        "--features",
        str(features),
        "--n-iter",
        str(args.n_iter),
        "--seed",
        str(args.seed),
        "--init",
        init,
    ]
    if n_jobs is not None:
        command += ["--n-jobs", str(n_jobs)]
    env = dict(os.environ)
    if library == "hmmlearn" or n_jobs == 1:
        env.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{library} worker failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="FSDD folder")
    parser.add_argument("--cache-dir", type=Path, default=None, help="feature cache folder")
    parser.add_argument("--n-iter", type=int, default=20, help="EM iterations per word model")
    parser.add_argument("--words", default=None, help="comma-separated subset of the digits")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-hmmlearn", action="store_true", help="time hmmkit only")
    parser.add_argument(
        "--worker", choices=("hmmkit", "hmmkit-recognizer", "hmmlearn"), help=argparse.SUPPRESS
    )
    parser.add_argument("--features", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--n-jobs", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--init", default="segmental", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        args.library = args.worker
        worker(args)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        features = Path(tmp) / "features.npz"
        n_train, n_test, n_frames = prepare(args, features)
        rows = []
        runs = [
            ("hmmkit, segmental init, all cores", "hmmkit", None, "segmental"),
            ("hmmkit, segmental init, 1 thread", "hmmkit", 1, "segmental"),
            ("hmmkit, flat start, 1 thread", "hmmkit", 1, "flat"),
            ("hmmkit recognizer, HTK schedule, 1 thread", "hmmkit-recognizer", 1, "segmental"),
        ]
        if not args.skip_hmmlearn:
            runs.append(("hmmlearn, k-means init", "hmmlearn", None, "kmeans"))
        for label, library, n_jobs, init in runs:
            print(f"training with {label} ...", file=sys.stderr)
            rows.append((label, run_worker(args, features, library, n_jobs, init)))

    reference = next((r for label, r in rows if label.startswith("hmmlearn")), None)
    print(
        f"### Spoken-digit word models: training time (official split, {n_train} training "
        f"utterances, {n_frames} frames, {n_test} test)\n"
    )
    print(
        f"{N_STATES} states x {N_MIX} diagonal Gaussians per word, 39-dim MFCC, "
        f"{args.n_iter} EM iterations; {os.cpu_count()} cores, "
        f"Python {platform.python_version()}.\n"
    )
    print("| implementation | training s | CPU s | test accuracy | hmmlearn / this |")
    print("|---|---:|---:|---:|---:|")
    for label, r in rows:
        ratio = f"{reference['seconds'] / r['seconds']:.1f}x" if reference else "–"
        print(
            f"| {label} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
            f"{100 * r['accuracy']:.2f} % | {ratio} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

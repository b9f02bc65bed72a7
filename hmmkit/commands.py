"""``hmmkit fit``, ``hmmkit adapt`` and ``hmmkit decode``: train, adapt and apply the
generic HMMs from the shell.

DATA is a corpus on disk, read shard by shard: a folder of ``.npy``/``.npz`` files or of
HTK parameter files (one sequence per file), an HDF5 store (``X`` and ``lengths``), or a
FASTA file of symbol sequences (``--alphabet``, for ``categorical``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FAMILIES = ("gaussian", "gmm", "categorical", "poisson", "multinomial")
HDF5_SUFFIXES = (".h5", ".hdf5")
FASTA_SUFFIXES = (".fa", ".fasta", ".faa", ".fna")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``fit``, ``adapt`` and ``decode`` to the ``hmmkit`` parser."""
    fit = subparsers.add_parser(
        "fit",
        help="train an HMM on a corpus on disk and save it",
        description="Train a generic HMM by Baum-Welch (or an accelerated EM) on DATA, read "
        "shard by shard, and save it as a model file (.npz). " + __doc__.split("\n\n")[1],
    )
    fit.add_argument("model", metavar="OUT.npz", help="model file to write")
    fit.add_argument("data", metavar="DATA", help="corpus: folder, HDF5 store or FASTA file")
    fit.add_argument("--family", choices=FAMILIES, default="gaussian")
    fit.add_argument("-K", "--states", type=int, required=True, help="number of states")
    fit.add_argument("--mix", type=int, default=2, help="components per state (gmm)")
    fit.add_argument("--covariance", choices=("spherical", "diag", "full", "tied"),
                     default="diag", help="covariance type (gaussian, gmm)")  # fmt: skip
    fit.add_argument("--topology", choices=("ergodic", "left-right"), default="ergodic")
    fit.add_argument("--max-jump", type=int, default=1, help="left-right: longest jump")
    fit.add_argument("--init", choices=("kmeans", "random", "flat", "segmental"), default=None,
                     help="initialisation (default: the family's)")  # fmt: skip
    fit.add_argument("--restarts", type=int, default=1, help="initialisations; best kept")
    fit.add_argument("--iter", type=int, default=100, help="most EM iterations")
    fit.add_argument("--tol", type=float, default=1e-2,
                     help="stop below this gain (--tol=-inf: run all --iter)")  # fmt: skip
    fit.add_argument("--algorithm", choices=("baum-welch", "alpha", "squarem"),
                     default="baum-welch")  # fmt: skip
    fit.add_argument("--alpha", type=float, default=0.5, help="alpha of --algorithm alpha")
    fit.add_argument("--var-floor", type=float, default=None,
                     help="variance floor, a fraction of each feature's variance")  # fmt: skip
    fit.add_argument("--n-trials", type=int, default=None, help="trials per frame (multinomial)")
    fit.add_argument("--seed", type=int, default=0, help="random seed")
    _add_progress_option(fit)
    _add_data_options(fit)
    fit.set_defaults(func=_run_fit)

    adapt = subparsers.add_parser(
        "adapt",
        help="MAP-adapt a saved Gaussian or GMM HMM to a corpus on disk",
        description="MAP adaptation of the means (Gauvain and Lee): re-estimate "
        "the means of the Gaussian or GMM HMM in MODEL.npz on DATA under a prior centred on "
        "its own means with the weight of --tau frames, so that components the data visit "
        "often move towards them and rarely visited ones stay; write the adapted model. "
        + __doc__.split("\n\n")[1],
    )
    adapt.add_argument("model", metavar="MODEL.npz", help="model to adapt (GaussianHMM, GMMHMM)")
    adapt.add_argument("out", metavar="OUT.npz", help="adapted model file to write")
    adapt.add_argument("data", metavar="DATA", help="adaptation corpus: folder or HDF5 store")
    adapt.add_argument("--tau", type=float, default=10.0,
                       help="prior weight of the model's means in frames (default 10)")  # fmt: skip
    adapt.add_argument("--params", default="m",
                       help="parameter letters to re-estimate (default m: the means)")  # fmt: skip
    adapt.add_argument("--iter", type=int, default=5, help="most EM iterations (default 5)")
    adapt.add_argument("--tol", type=float, default=1e-2, help="stop below this gain")
    _add_progress_option(adapt)
    _add_data_options(adapt, fasta=False)
    adapt.set_defaults(func=_run_adapt)

    decode = subparsers.add_parser(
        "decode",
        help="score and decode a corpus on disk with a saved HMM",
        description="Print one line per sequence of DATA: its name, its log-likelihood and, "
        "unless --score-only, its most likely states (Viterbi, or each frame's most probable "
        "state with --algorithm map), tab-separated. " + __doc__.split("\n\n")[1],
    )
    decode.add_argument("model", metavar="MODEL.npz", help="model file (hmmkit fit, save)")
    decode.add_argument("data", metavar="DATA", help="corpus: folder, HDF5 store or FASTA file")
    decode.add_argument("--algorithm", choices=("viterbi", "map"), default="viterbi")
    decode.add_argument("--score-only", action="store_true", help="only the log-likelihoods")
    _add_data_options(decode)
    decode.set_defaults(func=_run_decode)


def _add_progress_option(p: argparse.ArgumentParser) -> None:
    """--verbose: a line per EM iteration (without it, a bar when stderr is a terminal)."""
    p.add_argument("-v", "--verbose", action="store_true",
                   help="report every EM iteration on stderr: log-likelihood, gain, time "
                   "(without it, a progress bar when stderr is a terminal)")  # fmt: skip


def _add_data_options(p: argparse.ArgumentParser, fasta: bool = True) -> None:
    """The options of reading a corpus: threads, the files of a folder, a FASTA alphabet."""
    p.add_argument("--jobs", type=int, default=None, help="threads (default: all cores)")
    p.add_argument("--pattern", help="folder: the files to read (default: by kind)")
    if fasta:
        p.add_argument("--alphabet", help="FASTA: the symbols, code i = i-th symbol (e.g. ACGT)")


def open_corpus(data: str, *, symbols: bool, pattern: str | None = None,
                alphabet: str | None = None):  # fmt: skip
    """The :class:`~hmmkit.sources.SequenceSource` of DATA and a name for every sequence."""
    from .disk_sources import FastaSource, HDF5Source, NpyFolderSource
    from .speech.htk import HTK_PATTERNS, HTKFolderSource

    path = Path(data)
    if path.is_dir():
        if pattern:
            numpy_files = pattern.endswith((".npy", ".npz"))
        elif any(path.glob("*.npy")) or any(path.glob("*.npz")):
            numpy_files = True
        elif any(any(path.glob(p)) for p in HTK_PATTERNS):
            numpy_files = False
        else:
            raise ValueError(
                f"DATA folder {data} holds no .npy/.npz files and no HTK files "
                f"({', '.join(HTK_PATTERNS)}); --pattern names other files"
            )
        if numpy_files:
            source = NpyFolderSource(path, pattern=pattern, symbols=symbols)
        else:
            source = HTKFolderSource(path, pattern=pattern)
        return source, [Path(name).stem for name in source.files]
    if not path.exists():
        raise FileNotFoundError(f"DATA {data} does not exist")
    if path.suffix.lower() in HDF5_SUFFIXES:
        source = HDF5Source(path, symbols=symbols)
        return source, [str(i) for i in range(source.n_sequences)]
    if path.suffix.lower() in FASTA_SUFFIXES:
        if not alphabet:
            raise ValueError("a FASTA corpus needs --alphabet (its symbols, e.g. ACGT)")
        source = FastaSource(path, alphabet)
        names = [r.name for key in source.shard_keys() for r in source.records(key)]
        return source, names
    raise ValueError(
        f"DATA {data}: expected a folder, an HDF5 store ({'/'.join(HDF5_SUFFIXES)}) or a "
        f"FASTA file ({'/'.join(FASTA_SUFFIXES)})"
    )


def _model(args: argparse.Namespace):
    from . import GMMHMM, CategoricalHMM, GaussianHMM, MultinomialHMM, PoissonHMM

    common = dict(
        topology=args.topology, max_jump=args.max_jump, init=args.init, n_init=args.restarts,
        n_iter=args.iter, tol=args.tol, algorithm=args.algorithm, alpha=args.alpha,
        random_state=args.seed, n_jobs=args.jobs,
    )  # fmt: skip
    if args.family == "gaussian":
        return GaussianHMM(args.states, args.covariance, var_floor=args.var_floor, **common)
    if args.family == "gmm":
        return GMMHMM(args.states, args.mix, args.covariance, var_floor=args.var_floor, **common)
    if args.family == "categorical":
        return CategoricalHMM(args.states, **common)
    if args.family == "poisson":
        return PoissonHMM(args.states, **common)
    return MultinomialHMM(args.states, n_trials=args.n_trials, **common)


def _check_output(path: str) -> None:
    """Refuse a model file name that is not .npz or lies in a missing folder."""
    if not path.endswith(".npz"):
        raise ValueError(f"OUT.npz {path}: a model file is written as .npz")
    folder = Path(path).parent
    if not folder.is_dir():
        raise ValueError(f"OUT.npz {path}: folder {folder} does not exist")


def _run_fit(args: argparse.Namespace) -> int:
    _check_output(args.model)
    source, _ = open_corpus(args.data, symbols=args.family == "categorical",
                            pattern=args.pattern, alphabet=args.alphabet)  # fmt: skip
    from .progress import em_progress

    with em_progress("hmmkit fit", args.verbose):
        model = _model(args).fit(source)
    model.save(args.model)
    monitor = model.monitor_
    print(f"# {args.family}, {model.n_states} states: {source.n_sequences} sequences, "
          f"{source.n_frames} frames; {monitor.iter} iterations ({monitor.n_passes} passes), "
          f"log-likelihood {monitor.history[-1]:.6f}, "
          f"{'converged' if monitor.converged else 'stopped at --iter'}; "
          f"written to {args.model}")  # fmt: skip
    return 0


def _run_adapt(args: argparse.Namespace) -> int:
    import numpy as np

    from . import GMMHMM, GaussianHMM, load

    _check_output(args.out)
    if not args.tau > 0:
        raise ValueError(f"--tau must be a positive number of frames, got {args.tau}")
    model = load(args.model)
    if not isinstance(model, (GaussianHMM, GMMHMM)):
        raise ValueError(
            f"{args.model} holds a {type(model).__name__}: MAP adaptation of the means needs "
            "a GaussianHMM or GMMHMM"
        )
    source, _ = open_corpus(args.data, symbols=False, pattern=args.pattern)
    model.set_params(
        means_prior=np.array(model.means_), means_weight=args.tau, init_params="", n_init=1,
        params=args.params, n_iter=args.iter, tol=args.tol, n_jobs=args.jobs,
    )  # fmt: skip
    from .progress import em_progress

    with em_progress("hmmkit adapt", args.verbose):
        model.fit(source)
    model.save(args.out)
    monitor = model.monitor_
    print(f"# adapted {args.model} (tau {args.tau:g} frames, params {args.params!r}) on "
          f"{source.n_sequences} sequences, {source.n_frames} frames: {monitor.iter} "
          f"iterations, log-likelihood + log prior {monitor.history[0]:.6f} -> "
          f"{monitor.history[-1]:.6f}; written to {args.out}")  # fmt: skip
    return 0


def _run_decode(args: argparse.Namespace) -> int:
    import numpy as np

    from . import CategoricalHMM, load

    model = load(args.model)
    if not hasattr(model, "decode"):
        raise ValueError(f"{args.model} holds a {type(model).__name__}, not an HMM")
    model.n_jobs = args.jobs
    source, names = open_corpus(args.data, symbols=isinstance(model, CategoricalHMM),
                                pattern=args.pattern, alphabet=args.alphabet)  # fmt: skip
    out = sys.stdout
    position = 0
    for key in source.shard_keys():
        batch = source.load(key)
        lengths = np.diff(batch.offsets)
        scores = model.score_sequences(batch.X, lengths)
        paths = None
        if not args.score_only:
            _, states = model.decode(batch.X, lengths, algorithm=args.algorithm)
            paths = np.split(states, np.cumsum(lengths)[:-1])
        for i, score in enumerate(scores):
            line = f"{names[position + i]}\t{score:.6f}"
            if paths is not None:
                line += "\t" + " ".join(map(str, paths[i].tolist()))
            out.write(line + "\n")
        position += len(scores)
    return 0

"""``hmmkit warmup``: compile every kernel ahead (for CI images, clusters, shared installs).

numba compiles each kernel on its first use and caches the machine code; warmup runs small
made-up workloads through every public code path -- the profile HMM pipeline (phmmer
model, emit, align, build, calibrate, search on one and two cores, a clustered multi-domain
region, press and scan, jackhmmer, profile training, a DNA model and nhmmer on both
strands) and every generic family (each covariance type, decoding, posteriors, sampling,
the accelerated EMs, variational HMMs, the Gaussian mixture) and continuous speech (embedded
training, forced alignment, adapted decoding on made-up recordings) -- so that later runs load
the cache, and reports what it compiled and how long it took.
"""

from __future__ import annotations

import argparse
import sys
import time

SETS = ("profile", "hmm", "speech")
#: A made-up protein sequence (not a real protein) to start the profile workload from.
_QUERY = (
    "MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAVAHVDDMPNALSALSDLHAHKL"
    "RVDPVNFKLLSHCLLVTLAAHLPAEFTPAVHASLDKFLASVSTVLTSKYR"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``warmup`` to the ``hmmkit`` parser."""
    p = subparsers.add_parser(
        "warmup",
        help="compile every kernel ahead (once per machine; for CI images and clusters)",
        description="Compile hmmkit's numba kernels ahead by running small made-up workloads "
        "through every code path, so that later runs load them from the cache (beside the "
        "installed package, or NUMBA_CACHE_DIR); prints what was compiled and how long it "
        "took. Kernels already cached are loaded, not compiled again.",
    )
    # [] among the choices: argparse checks the empty default of nargs="*" against them
    p.add_argument("sets", nargs="*", choices=[[], *SETS], metavar="SET",
                   help=f"kernel sets to compile: {', '.join(SETS)} (default: all)")  # fmt: skip
    p.set_defaults(func=_run_warmup)


def profile_workload() -> None:
    """Every profile HMM code path on a small made-up family."""
    import io

    from .profile import (
        align,
        build,
        calibrate,
        emit,
        from_sequence,
        iterative_search,
        read_alignment,
        scan,
        search,
        train,
        write_hmmer,
    )  # fmt: skip

    query = from_sequence("query", _QUERY)
    members = emit(query, 12, random_state=1)
    alignment = align(query, members)
    align(query, members[:3], method="viterbi", trim=True)
    text = io.StringIO()
    alignment.write(text, "stockholm")
    text.seek(0)
    model = calibrate(build(read_alignment(text, "amino"), name="family"), seed=1)
    write_hmmer(model, io.StringIO())  # its -ln p fields by the C library's logf
    targets = [*members, *emit(model, 4, random_state=2)]
    for n_jobs in (1, 2):
        search(model, targets, n_jobs=n_jobs)
    # enough targets past Forward that domain definition decodes them side by side
    from .profile.dp import PARSER_LANES

    search(model, emit(model, 2 * PARSER_LANES, random_state=3))
    # HMMER's single-precision decoding, which domain definition asks for only where a
    # region's cut falls within a hair of its threshold
    from .profile.config import configure
    from .profile.digital import digitize
    from .profile.dp.float_decoding import hmmer_domain_posteriors
    from .profile.dp.float_sampling import float_profile

    tv, ev, xf = float_profile(configure(model, len(targets[0].residues)))
    hmmer_domain_posteriors(digitize(targets[0].residues, model.alphabet), tv, ev, xf)
    search(model, targets[:3])  # a few targets: one at a time
    scan([model, query], targets[:2])
    next(iter(iterative_search(members[0], targets, max_rounds=2)), None)
    for mode in ("glocal", "local"):
        train(model, members[:6], mode=mode, n_iter=2, n_jobs=1)
    # overlapping fragments in one region: the stochastic traceback and envelope clustering
    pieces = ((6, 53, 78), (4, 65, 116), (6, 38, 119), (5, 27, 111))
    search(model, [("fragments", "".join(members[i].residues[a:b] for i, a, b in pieces))])
    _pressed_scan(model, query, targets[:2])
    _long_target_workload()


def _pressed_scan(model, query, targets) -> None:
    """Press a two-model database in a scratch folder and scan it."""
    import tempfile
    from pathlib import Path

    from .profile import scan, write_hmmer
    from .profile.press import press

    with tempfile.TemporaryDirectory() as folder:
        hmmfile = Path(folder) / "models.hmm"
        with hmmfile.open("w") as out:
            for each in (model, query):
                write_hmmer(each, out)
        press(hmmfile)
        scan(hmmfile, targets)


def _long_target_workload() -> None:
    """A made-up DNA family: build, calibrate, and nhmmer on a target holding copies of it
    on both strands."""
    import io

    import numpy as np

    from .profile import build, calibrate, nhmmer, read_alignment

    rng = np.random.default_rng(7)
    bases = np.array(list("ACGT"))
    consensus = rng.integers(0, 4, size=90)
    rows = []
    for k in range(8):
        copy = consensus.copy()
        changed = rng.random(copy.size) < 0.1
        copy[changed] = rng.integers(0, 4, size=int(changed.sum()))
        rows.append(f"copy{k} {''.join(bases[copy])}")
    text = io.StringIO("# STOCKHOLM 1.0\n" + "\n".join(rows) + "\n//\n")
    model = calibrate(build(read_alignment(text, "dna"), name="dna_family"), seed=1)
    copy = "".join(bases[consensus])
    reverse = copy[::-1].translate(str.maketrans("ACGT", "TGCA"))
    spacer = lambda n: "".join(bases[rng.integers(0, 4, size=n)])  # noqa: E731
    target = spacer(1500) + copy + spacer(2000) + reverse + spacer(1500)
    nhmmer(model, [("target", target)])


def hmm_workload() -> None:
    """Every generic HMM family and method on small made-up data."""
    import numpy as np

    from . import GMMHMM, CategoricalHMM, GaussianHMM, GaussianMixture, MultinomialHMM, PoissonHMM

    rng = np.random.default_rng(0)
    lengths = [60, 45, 75]
    X = rng.normal(size=(sum(lengths), 3)) + np.repeat(rng.normal(size=(3, 3)), 60, axis=0)[:180]
    models = [GaussianHMM(3, cov, n_iter=2, random_state=0)
              for cov in ("spherical", "diag", "full", "tied")]  # fmt: skip
    models += [GMMHMM(2, 2, cov, n_iter=2, random_state=0)
               for cov in ("spherical", "diag", "full", "tied")]  # fmt: skip
    models += [GaussianHMM(12, "diag", n_iter=2, random_state=0, topology="left-right"),
               GaussianHMM(3, "diag", n_iter=3, random_state=0, algorithm="alpha"),
               GaussianHMM(3, "diag", n_iter=3, random_state=0, algorithm="squarem")]  # fmt: skip
    data = [X] * len(models)
    symbols = rng.integers(0, 4, size=(sum(lengths), 1))
    counts = rng.poisson(3.0, size=(sum(lengths), 2))
    trials = rng.multinomial(5, [0.2, 0.3, 0.5], size=sum(lengths))
    models += [CategoricalHMM(3, n_iter=2, random_state=0), PoissonHMM(2, n_iter=2, random_state=0),
               MultinomialHMM(2, n_trials=5, n_iter=2, random_state=0)]  # fmt: skip
    data += [symbols, counts, trials]
    for model, x in zip(models, data, strict=True):
        model.fit(x, lengths)
        model.score(x, lengths)
        for algorithm in ("viterbi", "map"):
            model.decode(x, lengths, algorithm=algorithm)
        model.predict_proba(x, lengths)
        model.sample(10, random_state=0)
    from .kernels import run_forward, run_forward_backward

    # a sequence the scaled passes cannot take (the unreachable state dominates): the
    # log-space redo, compiled separately
    log_b, offsets = np.array([[0.0, 2000.0], [0.0, 2000.0]]), np.array([0, 2])
    startprob, transmat = np.array([1.0, 0.0]), np.eye(2)
    run_forward_backward(log_b, offsets, startprob, transmat)
    run_forward(log_b, offsets, startprob, transmat)
    from .variational import VariationalCategoricalHMM, VariationalGaussianHMM

    for cov in ("spherical", "diag", "full", "tied"):
        VariationalGaussianHMM(2, cov, n_iter=2, random_state=0).fit(X, lengths).score(X, lengths)
    VariationalCategoricalHMM(2, n_iter=2, random_state=0).fit(symbols, lengths)
    for cov in ("spherical", "diag", "full", "tied"):
        mixture = GaussianMixture(2, cov, random_state=0).fit(X)
        mixture.score_samples(X)
        mixture.predict_proba(X)


def speech_workload() -> None:
    """Continuous speech on made-up recordings: embedded training (Baum-Welch and Viterbi
    passes, two mixtures), forced alignment, decoding with adaptation."""
    import tempfile
    from pathlib import Path

    import numpy as np
    import soundfile

    from .speech.asr import align_folder, decode_folder, train
    from .speech.embedded import EmbeddedConfig

    rate = 8000
    rng = np.random.default_rng(11)
    time = np.arange(int(0.25 * rate)) / rate
    # two made-up "words": tone pairs, between quiet noise
    words = {"low": np.sin(2 * np.pi * 300 * time) + np.sin(2 * np.pi * 700 * time),
             "high": np.sin(2 * np.pi * 1500 * time) + np.sin(2 * np.pi * 2300 * time)}  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        data = root / "data"
        (data / "audio").mkdir(parents=True)
        scp, text, spk = [], [], []
        for n in range(8):
            said = [("low", "high")[int(k)] for k in rng.integers(0, 2, size=3)]
            pieces = [0.01 * rng.normal(size=int(0.2 * rate))]
            for word in said:
                pieces += [0.5 * words[word] + 0.01 * rng.normal(size=time.size),
                           0.01 * rng.normal(size=int(0.1 * rate))]  # fmt: skip
            path = data / "audio" / f"u{n}.wav"
            soundfile.write(path, np.concatenate(pieces), rate, subtype="PCM_16")
            speaker = f"s{n % 2}"
            scp.append(f"{speaker}_u{n} {path}")
            text.append(f"{speaker}_u{n} {' '.join(said)}")
            spk.append(f"{speaker}_u{n} {speaker}")
        for name, lines in (("wav.scp", scp), ("text", text), ("utt2spk", spk)):
            (data / name).write_text("\n".join(sorted(lines)) + "\n")
        config = EmbeddedConfig(word_states=4, n_mix=2, passes=1, n_jobs=1, hard="all")
        train(data, root / "model", config=config)
        align_folder(root / "model", data, root / "aligned", adapt_tau=10.0)
        decode_folder(root / "model", data, root / "decoded", adapt_tau=10.0)


WORKLOADS = {"profile": profile_workload, "hmm": hmm_workload, "speech": speech_workload}


def warm_up(sets=SETS, stream=sys.stdout) -> None:
    """Run the workloads of `sets`, printing per kernel set what was compiled."""
    from .compiling import RECORD, install_notice

    install_notice()
    for name in sets:
        before = dict(RECORD.counts)
        started = time.process_time()
        WORKLOADS[name]()
        compiled = {k: n - before.get(k, 0) for k, n in RECORD.counts.items()}
        compiled = {k: n for k, n in compiled.items() if n}
        what = ", ".join(f"{n} {k} kernel(s)" for k, n in compiled.items()) or (
            "nothing (all cached already)")  # fmt: skip
        print(f"hmmkit warmup: {name}: compiled {what} in {time.process_time() - started:.1f} s "
              "of CPU", file=stream, flush=True)  # fmt: skip


def _run_warmup(args: argparse.Namespace) -> int:
    warm_up(args.sets or SETS)
    return 0

"""Isolated-word recognition with one left-to-right GMM-HMM per word, trained as HTK does.

The training schedule per word follows HTK's HInit/HRest/HERest/HHEd recipe:
initialise a single-Gaussian left-to-right model (flat start from the global mean and
variance, or segmental: uniform segmentation then Viterbi re-segmentation), re-estimate
with Baum-Welch, then split mixtures 1 -> 2 -> 4 ... up to `n_mix`, re-estimating after
each split. Variances are floored at a fraction of the global variance in every M-step,
and a component whose weight decays below `min_weight` is replaced by splitting the
heaviest one in its state.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hmmkit import GMMHMM

INDEX_FILE = "recognizer.json"


@dataclass
class TrainingConfig:
    """How each word model is built and trained.

    `n_states` emitting states in a left-to-right chain that may skip `max_jump - 1` states;
    `n_mix` Gaussians per state at the end of the mixing-up schedule; `init` is "segmental"
    (HInit-style) or "flat" (HCompV-style flat start); `n_iter` Baum-Welch iterations at
    one Gaussian and `n_iter_split` after each split; `var_floor` is the variance floor as
    a fraction of the word's global variance (HTK's vFloor), `min_covar` only an absolute
    safety net below it (small, so that it does not bind on features of small variance,
    such as un-normalised delta-deltas); `min_weight` is the MINMIX threshold.
    """

    n_states: int = 5
    n_mix: int = 3
    init: str = "segmental"
    n_iter: int = 10
    n_iter_split: int = 5
    tol: float = 1e-3
    var_floor: float = 0.01
    min_covar: float = 1e-5
    min_weight: float = 1e-5
    max_jump: int = 1
    random_state: int = 0

    def __post_init__(self) -> None:
        if self.n_states < 1:
            raise ValueError(f"n_states must be >= 1, got {self.n_states!r}")
        if self.n_mix < 1:
            raise ValueError(f"n_mix must be >= 1, got {self.n_mix!r}")
        if self.init not in ("segmental", "flat", "kmeans"):
            raise ValueError(f"init must be 'segmental', 'flat' or 'kmeans', got {self.init!r}")
        if self.n_iter < 1 or self.n_iter_split < 0:
            raise ValueError("n_iter must be >= 1 and n_iter_split >= 0")
        if not 0 <= self.var_floor < 1:
            raise ValueError(f"var_floor must be in [0, 1), got {self.var_floor!r}")
        if self.max_jump < 1:
            raise ValueError(f"max_jump must be >= 1, got {self.max_jump!r}")

    def mixture_schedule(self) -> list[int]:
        """Mixture counts trained in turn: 1, 2, 4, ... capped at and ending with `n_mix`."""
        steps = [1]
        while steps[-1] < self.n_mix:
            steps.append(min(2 * steps[-1], self.n_mix))
        return steps

    def min_frames(self) -> int:
        """Fewest frames a left-to-right path through every stage of the model needs."""
        return -(-(self.n_states - 1) // self.max_jump) + 1


@dataclass
class WordTrace:
    """Per-word training record: log-likelihood per EM iteration and where each split began."""

    history: list[float] = field(default_factory=list)
    splits: list[int] = field(default_factory=list)
    n_train: int = 0
    seconds: float = 0.0


class WordRecognizer:
    """One GMM-HMM per word; an utterance is recognised as the word whose model scores best.

    `fit(features, labels)` trains the models; `score` returns the `(n_utterances, n_words)`
    log-likelihood matrix, `predict` the best words, `nbest` the ranked words with scores.
    `feature_config` (any JSON-ready dict) is stored with the models so that recognition
    can rebuild the same front end.
    """

    def __init__(
        self,
        config: TrainingConfig | None = None,
        *,
        n_jobs: int | None = None,
        feature_config: dict | None = None,
    ):
        self.config = config or TrainingConfig()
        self.n_jobs = n_jobs
        self.feature_config = feature_config
        self.words_: list[str] = []
        self.models_: dict[str, GMMHMM] = {}
        self.traces_: dict[str, WordTrace] = {}

    def _new_model(self, seed: int) -> GMMHMM:
        from hmmkit import GMMHMM

        c = self.config
        return GMMHMM(
            c.n_states,
            n_mix=1,
            covariance_type="diag",
            topology="left-right",
            max_jump=c.max_jump,
            init=c.init,
            n_iter=c.n_iter,
            tol=c.tol,
            min_covar=c.min_covar,
            var_floor=c.var_floor or None,
            min_weight=c.min_weight,
            random_state=seed,
            n_jobs=self.n_jobs,
        )

    def train_word(
        self, sequences: Sequence[np.ndarray], seed: int = 0, word: str | int | None = None
    ) -> tuple[GMMHMM, WordTrace]:
        """Train one word model on its utterances through the full mixing-up schedule."""
        import time

        c = self.config
        usable = [np.asarray(x, dtype=np.float64) for x in sequences if len(x) >= c.min_frames()]
        if not usable:
            raise ValueError(
                f"{'word ' + repr(word) + ': ' if word is not None else ''}no training "
                f"utterance has the {c.min_frames()} frames a {c.n_states}-state model needs"
            )
        start = time.perf_counter()
        trace = WordTrace(n_train=len(usable))
        model = self._new_model(seed)
        model.fit(usable)
        trace.history.extend(float(v) for v in model.monitor_.history)
        for n_mix in c.mixture_schedule()[1:]:
            model.mix_up(n_mix)
            if c.n_iter_split:
                model.init_params = ""
                model.n_iter = c.n_iter_split
                trace.splits.append(len(trace.history))
                model.fit(usable)
                trace.history.extend(float(v) for v in model.monitor_.history)
        trace.seconds = time.perf_counter() - start
        return model, trace

    def fit(
        self,
        features: Sequence[np.ndarray],
        labels: Sequence[str],
        progress: Callable[[Iterable], Iterable] | None = None,
    ) -> WordRecognizer:
        """Train one model per distinct label; `progress` may wrap the word iterable (tqdm)."""
        if len(features) != len(labels):
            raise ValueError(f"{len(features)} feature arrays but {len(labels)} labels")
        if not len(features):
            raise ValueError("features is empty")
        labels = [_as_word(lab) for lab in labels]
        if not all(isinstance(lab, (str, int)) and not isinstance(lab, bool) for lab in labels):
            raise TypeError("labels must be strings or integers (or whole-number floats)")
        words = sorted(set(labels), key=_word_order)  # predict returns these same objects
        _check_features(features)
        self.words_, self.models_, self.traces_ = words, {}, {}
        iterator = progress(words) if progress is not None else words
        for i, word in enumerate(iterator):
            seqs = [f for f, lab in zip(features, labels, strict=True) if lab == word]
            model, trace = self.train_word(seqs, seed=self.config.random_state + i, word=word)
            self.models_[word], self.traces_[word] = model, trace
        return self

    def score(self, features: Sequence[np.ndarray]) -> np.ndarray:
        """Log-likelihood of each utterance under each word model, `(n_utterances, n_words)`.

        An utterance too short for a model scores -inf under it.
        """
        self._check_fitted()
        _check_features(features)
        feats = [np.asarray(x, dtype=np.float64) for x in features]
        lengths = np.array([len(x) for x in feats])
        ok = lengths >= self.config.min_frames()
        scores = np.full((len(feats), len(self.words_)), -np.inf)
        if ok.any():
            kept = [x for x, keep in zip(feats, ok, strict=True) if keep]
            for j, word in enumerate(self.words_):
                scores[ok, j] = self.models_[word].score_sequences(kept)
        return scores

    def predict(self, features: Sequence[np.ndarray]) -> list[str | None]:
        """The best-scoring word for each utterance; None for one too short for every
        word model (it has no score to rank)."""
        return self.best_words(self.score(features))

    def best_words(self, scores: np.ndarray) -> list[str | int | None]:
        """The best word of each row of a `score` matrix; None where every score is -inf."""
        return [
            self.words_[j] if np.isfinite(row[j]) else None
            for row, j in zip(scores, scores.argmax(axis=1), strict=True)
        ]

    def nbest(self, features: Sequence[np.ndarray], n: int = 3) -> list[list[tuple[str, float]]]:
        """For each utterance, the `n` best words with their log-likelihoods, best first."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n!r}")
        scores = self.score(features)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :n]
        return [
            [(self.words_[j], float(row[j])) for j in idx]
            for row, idx in zip(scores, order, strict=True)
        ]

    def adapted(
        self,
        features: Sequence[np.ndarray],
        *,
        n_iter: int = 3,
        params: str = "stmcw",
        min_utterances: int = 10,
        rounds: int = 1,
    ) -> WordRecognizer:
        """A copy adapted, without labels, to the speaker of `features` (self-training).

        Each round recognises the utterances, then continues Baum-Welch for `n_iter`
        iterations on each word model (updating the letters in `params`) with the
        utterances recognised as that word; a word recognised fewer than `min_utterances`
        times keeps its model. Later rounds restart from this recognizer's models with
        the improved labels. This recognizer is left unchanged.
        """
        if n_iter < 1 or rounds < 1 or min_utterances < 1:
            raise ValueError("n_iter, rounds and min_utterances must be >= 1")
        self._check_fitted()
        feats = [np.asarray(x, dtype=np.float64) for x in features]
        hypotheses = self.predict(feats)
        current = self
        for _ in range(rounds):
            current = copy.deepcopy(self)
            for word in current.words_:
                own = [
                    x
                    for x, h in zip(feats, hypotheses, strict=True)
                    if h == word and len(x) >= self.config.min_frames()
                ]
                if len(own) < min_utterances:
                    continue
                model = current.models_[word]
                model.init_params, model.params = "", params
                model.n_iter, model.tol = n_iter, -np.inf
                model.fit(own)
            hypotheses = current.predict(feats)
        return current

    def save(self, directory: str | os.PathLike) -> Path:
        """Write the word models and an index (words, settings, traces) into `directory`."""
        self._check_fitted()
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        files = {}
        for i, word in enumerate(self.words_):
            name = f"word_{i:03d}.npz"
            self.models_[word].save(folder / name)
            files[word] = name
        index = {
            "format": "hmmkit-word-recognizer",
            "version": 1,
            "words": self.words_,
            "files": files,
            "training": asdict(self.config),
            "features": self.feature_config,
            "traces": {w: asdict(t) for w, t in self.traces_.items()},
        }
        (folder / INDEX_FILE).write_text(json.dumps(index, indent=1), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, directory: str | os.PathLike) -> WordRecognizer:
        """Read a recognizer written by `save`."""
        folder = Path(directory)
        index_path = folder / INDEX_FILE
        if not index_path.is_file():
            raise FileNotFoundError(f"{folder} holds no {INDEX_FILE}; is it a saved recognizer?")
        index = json.loads(index_path.read_text(encoding="utf-8"))
        if index.get("format") != "hmmkit-word-recognizer":
            raise ValueError(f"{index_path} is not a saved word recognizer")
        rec = cls(TrainingConfig(**index["training"]), feature_config=index.get("features"))
        rec.words_ = list(index["words"])  # JSON keeps integer words integers
        files, traces = index["files"], index.get("traces", {})  # JSON keys are strings
        from hmmkit import load as load_model

        rec.models_ = {w: load_model(folder / files[str(w)]) for w in rec.words_}
        rec.traces_ = {w: WordTrace(**traces[str(w)]) for w in rec.words_ if str(w) in traces}
        return rec

    def _check_fitted(self) -> None:
        if not self.models_:
            raise RuntimeError("this recognizer has no models yet; call fit() or load() first")


def _as_word(label):
    """A label as a plain Python word: numpy scalars unwrapped, whole-number floats (e.g.
    from a float array) as integers."""
    label = label.item() if isinstance(label, np.generic) else label
    return int(label) if isinstance(label, float) and label.is_integer() else label


def _word_order(word: str | int) -> tuple:
    """Numbers (and numeric strings) in numeric order first, then the other words."""
    text = str(word)
    return (0, int(text), text) if text.isdigit() else (1, 0, text)


def select_warp(
    recognizer: WordRecognizer, features_by_warp: Mapping[float, Sequence[np.ndarray]]
) -> tuple[float, np.ndarray]:
    """Maximum-likelihood vocal-tract-length warp for one speaker's utterances.

    `features_by_warp` maps each candidate warp factor to the same utterances' features
    at that warp. The chosen warp maximises the summed best-word log-likelihood over the
    utterances (Lee and Rose's ML warp estimation, unsupervised: no labels are used).
    Returns the warp and the `(n_utterances, n_words)` scores at that warp.
    """
    if not features_by_warp:
        raise ValueError("features_by_warp is empty")
    sizes = {len(v) for v in features_by_warp.values()}
    if len(sizes) != 1:
        raise ValueError("every warp must hold the same utterances")
    best: tuple[float, float, np.ndarray] | None = None
    for warp in sorted(features_by_warp, key=lambda w: (abs(w - 1.0), w)):
        scores = recognizer.score(features_by_warp[warp])
        total = float(scores.max(axis=1).sum())
        if best is None or total > best[1]:
            best = (warp, total, scores)
    return best[0], best[2]


def _check_features(features: Sequence[np.ndarray]) -> None:
    dims = {np.shape(x)[1] if np.ndim(x) == 2 else None for x in features}
    if None in dims:
        raise ValueError("every feature array must be two-dimensional (frames, dims)")
    if len(dims) > 1:
        raise ValueError(f"feature arrays disagree on the number of dimensions: {sorted(dims)}")
    for x in features:
        if not np.all(np.isfinite(x)):
            raise ValueError("features contain NaN or infinite values")

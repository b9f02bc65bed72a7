"""Word error rates as HTK's HResults and NIST's sclite report them.

Reference and hypothesis are aligned by dynamic programming with HResults' weights
(substitution 10, deletion 7, insertion 7); the counts are H (correct), S, D, I and
N (reference words): %Corr = H/N, %Acc = (H-I)/N, WER = (S+D+I)/N. Sentences are correct
when their words all are. Results are given overall and per speaker, with the aligned
reference/hypothesis pairs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

SUB_COST, DEL_COST, INS_COST = 10, 7, 7


@dataclass
class Counts:
    """Word and sentence counts of a set of utterances (values that add)."""

    hits: int = 0
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    sentences: int = 0
    sentences_correct: int = 0

    @property
    def n_words(self) -> int:
        """Reference words N = H + S + D."""
        return self.hits + self.substitutions + self.deletions

    def add(self, other: Counts) -> None:
        """Add another set's counts into this one."""
        for name in asdict(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def summary(self) -> dict[str, float | int]:
        """Counts and rates (percent) as a plain dict."""
        n = self.n_words
        pct = (lambda x: 100.0 * x / n) if n else (lambda x: float("nan"))
        out: dict[str, float | int] = asdict(self)
        out.update(
            n_words=n,
            corr=pct(self.hits),
            acc=pct(self.hits - self.insertions),
            wer=pct(self.substitutions + self.deletions + self.insertions),
            sentence_correct=(
                100.0 * self.sentences_correct / self.sentences if self.sentences else float("nan")
            ),
        )
        return out


def align_words(ref: Sequence[str], hyp: Sequence[str]) -> list[tuple[str | None, str | None]]:
    """Minimum-cost alignment as pairs (ref word or None, hyp word or None)."""
    n, m = len(ref), len(hyp)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = i * DEL_COST
    for j in range(1, m + 1):
        cost[0][j] = j * INS_COST
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            diagonal = cost[i - 1][j - 1] + (0 if ref[i - 1] == hyp[j - 1] else SUB_COST)
            cost[i][j] = min(diagonal, cost[i - 1][j] + DEL_COST, cost[i][j - 1] + INS_COST)
    pairs: list[tuple[str | None, str | None]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0:
            same = ref[i - 1] == hyp[j - 1]
            if cost[i][j] == cost[i - 1][j - 1] + (0 if same else SUB_COST):
                pairs.append((ref[i - 1], hyp[j - 1]))
                i, j = i - 1, j - 1
                continue
        if i > 0 and cost[i][j] == cost[i - 1][j] + DEL_COST:
            pairs.append((ref[i - 1], None))
            i -= 1
        else:
            pairs.append((None, hyp[j - 1]))
            j -= 1
    return pairs[::-1]


def count_pairs(pairs: Sequence[tuple[str | None, str | None]]) -> Counts:
    """Counts of one aligned sentence."""
    c = Counts(sentences=1)
    for r, h in pairs:
        if r is None:
            c.insertions += 1
        elif h is None:
            c.deletions += 1
        elif r == h:
            c.hits += 1
        else:
            c.substitutions += 1
    c.sentences_correct = int(c.hits == c.n_words and c.insertions == 0)
    return c


@dataclass
class ScoreReport:
    """Overall and per-speaker counts, and every utterance's aligned pairs."""

    overall: Counts = field(default_factory=Counts)
    speakers: dict[str, Counts] = field(default_factory=dict)
    pairs: dict[str, list[tuple[str | None, str | None]]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "overall": self.overall.summary(),
            "speakers": {s: c.summary() for s, c in sorted(self.speakers.items())},
            "utterances": {
                u: {
                    "ref": [r for r, _ in p if r is not None],
                    "hyp": [h for _, h in p if h is not None],
                    "pairs": [[r, h] for r, h in p],
                }
                for u, p in self.pairs.items()
            },
        }

    def text(self, ref_name: str = "ref", hyp_name: str = "hyp", show_pairs: bool = True) -> str:
        """The report laid out as HResults prints it, then per speaker and aligned pairs."""
        lines = [
            "====================== HTK Results Analysis =======================",
            f"  Ref : {ref_name}",
            f"  Rec : {hyp_name}",
        ]
        lines += _block("Overall Results", self.overall)
        for speaker, counts in sorted(self.speakers.items()):
            lines += _block(f"Speaker {speaker}", counts)
        lines.append("===================================================================")
        if show_pairs:
            for utt, pairs in self.pairs.items():
                width = [
                    max(len(r or "*" * len(h or "")), len(h or "*" * len(r or "")))
                    for r, h in pairs
                ]
                ref = " ".join(
                    (r or "*" * w).ljust(w) for (r, _), w in zip(pairs, width, strict=True)
                )
                hyp = " ".join(
                    (h or "*" * w).ljust(w) for (_, h), w in zip(pairs, width, strict=True)
                )
                lines += [
                    f"Aligned transcription: {utt}",
                    f" REF: {ref.rstrip()}",
                    f" HYP: {hyp.rstrip()}",
                ]
        return "\n".join(lines) + "\n"


def _block(title: str, c: Counts) -> list[str]:
    s = c.summary()
    return [
        f"{'-' * ((66 - len(title)) // 2)} {title} {'-' * ((66 - len(title) + 1) // 2)}"[:67],
        f"SENT: %Correct={s['sentence_correct']:.2f} [H={c.sentences_correct}, "
        f"S={c.sentences - c.sentences_correct}, N={c.sentences}]",
        f"WORD: %Corr={s['corr']:.2f}, Acc={s['acc']:.2f} [H={c.hits}, D={c.deletions}, "
        f"S={c.substitutions}, I={c.insertions}, N={c.n_words}]",
        f"WER: {s['wer']:.2f} %",
    ]


def score(
    references: Mapping[str, Sequence[str]],
    hypotheses: Mapping[str, Sequence[str]],
    speakers: Mapping[str, str] | None = None,
) -> ScoreReport:
    """Score every reference utterance (an utterance with no hypothesis counts as all
    deletions; a hypothesis with no reference is a ValueError)."""
    extra = [u for u in hypotheses if u not in references]
    if extra:
        raise ValueError(f"hypotheses for utterances with no reference: {extra[:5]}")
    report = ScoreReport()
    for utt, ref in references.items():
        pairs = align_words(list(ref), list(hypotheses.get(utt, ())))
        counts = count_pairs(pairs)
        report.pairs[utt] = pairs
        report.overall.add(counts)
        speaker = (speakers or {}).get(utt, _speaker_of(utt))
        report.speakers.setdefault(speaker, Counts()).add(counts)
    return report


def _speaker_of(utt: str) -> str:
    """Kaldi's convention: the speaker id prefixes the utterance id (``spk-...``)."""
    return utt.split("-", 1)[0] if "-" in utt else utt.split("_", 1)[0]


def read_text(path: str | os.PathLike) -> dict[str, list[str]]:
    """A Kaldi ``text`` file: utt -> words (ValueError naming file:line for a repeat)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no transcript file at {path}")
    out: dict[str, list[str]] = {}
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            fields = line.split()
            if not fields:
                continue
            if fields[0] in out:
                raise ValueError(f"{path}:{number}: utterance {fields[0]!r} is listed twice")
            out[fields[0]] = fields[1:]
    return out

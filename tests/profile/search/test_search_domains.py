"""Domain definition's compiled helpers against plain Python written from HMMER's rules
(p7_spensemble_Cluster and the removal of dominated clusters; is_multidomain_region)."""

from __future__ import annotations

import math

import numpy as np

from hmmkit.profile.search import domains


def linked(a, b) -> bool:
    """HMMER's segment linkage: overlap of >= 80 % of the smaller segment in the sequence
    and in the model, and one end on (nearly) the same diagonal."""
    _, ia, ja, ka, ma = a
    _, ib, jb, kb, mb = b
    if (min(ja, jb) - max(ia, ib) + 1) / min(ja - ia + 1, jb - ib + 1) < 0.8:
        return False
    if (min(ma, mb) - max(ka, kb)) / min(ma - ka + 1, mb - kb + 1) < 0.8:
        return False
    return abs((ia - ka) - (ib - kb)) <= 4 or abs((ja - ma) - (jb - mb)) <= 4


def reference_clusters(segs: np.ndarray, nsamples: int) -> list[tuple[int, int, float]]:
    """Clusters as connected components of the linkage graph (every pair tested), the
    endpoints each cluster's most frequent, the dominated ones dropped."""
    segs = [tuple(int(v) for v in row) for row in segs[np.argsort(segs[:, 1], kind="stable")]]
    n = len(segs)
    label = list(range(n))
    for a in range(n):
        for b in range(a + 1, n):
            if linked(segs[a], segs[b]):
                old, new = max(label[a], label[b]), min(label[a], label[b])
                label = [new if x == old else x for x in label]
    roots = sorted(set(label))
    sig = []
    for root in roots:  # in order of their first segment, as HMMER numbers clusters
        members = [s for s, x in zip(segs, label, strict=True) if x == root]
        ninc = len({s[0] for s in members})
        if ninc / nsamples < 0.25:
            continue
        threshold = math.ceil(np.float32(ninc) * np.float32(0.02))
        ends = []
        for col, leftmost in ((1, True), (3, True), (2, False), (4, False)):
            counts: dict[int, int] = {}
            for s in members:
                counts[s[col]] = counts.get(s[col], 0) + 1
            ok = sorted(v for v, c in counts.items() if c >= threshold)
            most = max(counts.values())
            ends.append((ok[0] if leftmost else ok[-1]) if ok else
                        min(v for v, c in counts.items() if c == most))  # fmt: skip
        i, k, j, m = ends
        if i <= j and k <= m:
            sig.append((i, j, ninc / nsamples))
    sig.sort(key=lambda c: c[0])
    dominated = [False] * len(sig)
    for d in range(len(sig)):
        for d2 in range(d + 1, len(sig)):
            nov = min(sig[d][1], sig[d2][1]) - max(sig[d][0], sig[d2][0]) + 1
            if nov == 0:
                break
            if nov / min(sig[d][1] - sig[d][0] + 1, sig[d2][1] - sig[d2][0] + 1) >= 0.8:
                dominated[d2 if sig[d][2] > sig[d2][2] else d] = True
    return [c for c, dom in zip(sig, dominated, strict=True) if not dom]


def sampled_segments(rng, nsamples: int) -> np.ndarray:
    """Segments (sample, i, j, k, m) of a few domains, each sampled by a share of the paths
    with jittered ends, plus stray segments."""
    rows = []
    for _ in range(rng.integers(1, 5)):
        i, k = int(rng.integers(1, 300)), int(rng.integers(1, 50))
        length = int(rng.integers(10, 80))  # so that every segment has j >= i, m >= k
        share = rng.uniform(0.1, 1.0)
        for t in range(nsamples):
            if rng.random() < share:
                di, dj = rng.integers(-3, 4, size=2)
                a, b = max(1, i + di), i + length + dj
                rows.append((t, a, b, max(1, k + di), k + length + dj))
    for _ in range(rng.integers(0, 20)):
        a, c = int(rng.integers(1, 300)), int(rng.integers(1, 50))
        rows.append((int(rng.integers(nsamples)), a, a + 10, c, c + 10))
    return np.array(rows, dtype=np.int64).reshape(-1, 5)


def test_clusters_equal_the_rules_applied_pair_by_pair():
    rng = np.random.default_rng(2)
    nsamples = 200
    seen = 0
    for _ in range(60):
        segs = sampled_segments(rng, nsamples)
        found, prob = domains._cluster_envelopes(segs, nsamples)
        got = [(int(i), int(j), float(p)) for (i, j), p in zip(found, prob, strict=True)]
        assert got == reference_clusters(segs, nsamples)
        seen += len(got)
    assert seen > 60


def test_multidomain_evidence_is_the_largest_of_ends_before_and_starts_after():
    rng = np.random.default_rng(4)
    for dtype in (np.float64, np.float32):
        btot = np.cumsum(rng.uniform(0, 0.05, size=101)).astype(dtype)
        etot = np.cumsum(rng.uniform(0, 0.05, size=101)).astype(dtype)
        btot[0] = etot[0] = 0
        regions = np.array([[1, 1], [3, 40], [41, 100]], dtype=np.int64)
        got = domains._multidomain_evidence(btot, etot, regions)
        assert got.dtype == dtype
        for (i, j), value in zip(regions, got, strict=True):
            want = max(min(etot[z] - etot[i - 1], btot[j] - btot[z - 1]) for z in range(i, j + 1))
            assert value == want

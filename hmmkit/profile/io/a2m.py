"""A2M alignments (UCSC SAM's format, as hmmalign writes it): reading and writing."""

from __future__ import annotations

from typing import IO

from ..msa import DigitalMSA, from_text


def _a2m_dotless(records: list[tuple[str, str]]) -> tuple[list[str], str]:
    """Align A2M rows whose insertions are not padded with dots (inserts flushed left)."""
    pieces = []  # per sequence: list of (insert run, consensus char) ... + trailing insert
    for name, seq in records:
        seq = seq.replace(".", "")
        runs, current = [], []
        for c in seq:
            if c.islower():
                current.append(c)
            else:
                runs.append("".join(current))
                runs.append(c)
                current = []
        runs.append("".join(current))
        pieces.append((name, runs))
    n_cons = {len(r) for _, r in pieces}
    if len(n_cons) != 1:
        raise ValueError("A2M: sequences have different numbers of consensus columns")
    width = [max(len(r[j]) for _, r in pieces) for j in range(0, n_cons.pop(), 2)]
    rows = []
    for _, runs in pieces:
        out = []
        for j, run in enumerate(runs):
            out.append(run.ljust(width[j // 2], ".") if j % 2 == 0 else run)
        rows.append("".join(out))
    rf = "".join(("." * width[j // 2]) if j % 2 == 0 else "x" for j in range(len(pieces[0][1])))
    return rows, rf


def _a2m_records(text: str) -> list[tuple[str, str]]:
    """The (name, sequence) records of A2M text, checked before any column is inferred.

    Whitespace inside sequence lines is dropped. ValueError for text before the first
    header, a header without a name, a record without residues or a character that A2M
    does not allow (letters, ``-`` and ``.`` only).
    """
    records: list[tuple[str, list[str]]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(">"):
            header = line[1:].split(None, 1)
            if not header:
                raise ValueError(f"A2M line {number}: a '>' header without a sequence name")
            records.append((header[0], []))
        elif not records:
            if line.strip():
                raise ValueError(f"A2M line {number}: text before the first '>' header")
        else:
            records[-1][1].append("".join(line.split()))
    result = []
    for name, chunks in records:
        seq = "".join(chunks)
        if not seq:
            raise ValueError(f"A2M record {name!r} holds no residues")
        bad = next((c for c in seq if not (c.isascii() and c.isalpha()) and c not in "-."), None)
        if bad is not None:
            raise ValueError(
                f"A2M record {name!r}: character {bad!r} is not allowed "
                "(A2M rows hold letters, '-' and '.' only)"
            )
        result.append((name, seq))
    return result


def _a2m_states(seq: str) -> str:
    """Per column: 'D' for a consensus column (upper case or ``-``), 'I' for an insert."""
    return "".join("I" if c == "." or c.islower() else "D" for c in seq)


def read_a2m(text: str, alphabet) -> list[DigitalMSA]:
    """The alignment of A2M `text` (dotted or dotless), digitised."""
    records = _a2m_records(text)
    if not records:
        raise ValueError("A2M file holds no sequences")
    rows = [seq for _, seq in records]
    states = _a2m_states(rows[0])
    if all(len(r) == len(states) and _a2m_states(r) == states for r in rows):
        rf = "".join("x" if s == "D" else "." for s in states)  # dotted: columns as given
    else:
        rows, rf = _a2m_dotless(records)
    return [from_text([r[0] for r in records], rows, alphabet, reference=rf)]


def write_a2m(handle: IO[str], aln) -> None:
    """Write an :class:`~hmmkit.profile.align.Alignment` as A2M (inserts in lower case)."""
    ref = aln.reference
    for name, desc, row in zip(aln.names, aln.descriptions, aln.rows, strict=True):
        handle.write(f">{name} {desc}\n" if desc else f">{name}\n")
        # match columns verbatim; insert columns keep only their (lower-case) residues
        seq = "".join(c for c, r in zip(row, ref, strict=True) if r == "x" or c.isalpha())
        for start in range(0, len(seq), 60):
            handle.write(seq[start : start + 60] + "\n")
        if not seq:
            handle.write("\n")

"""Run every benchmark and write its section of BENCHMARKS.md.

    python benchmarks/run_all.py                # all of them (about half an hour)
    python benchmarks/run_all.py profile_build speech_training

Scripts that write their own section (hmm_speed, acceleration, scale) are run as they
are; the others print a Markdown table, which is written under their section key.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hmm_speed import write_section

HERE = Path(__file__).resolve().parent
#: script -> (section key, title) for scripts that print instead of writing
PRINTED = {
    "profile_build": ("profile-build", "Profile HMM construction vs HMMER (pyhmmer)"),
    "profile_search": ("profile-search", "Profile HMM search vs HMMER (pyhmmer)"),
    "profile_scan": ("profile-scan", "Profile HMM scan of a pressed database vs hmmscan"),
    "profile_stages": ("profile-stages", "Profile search stage by stage vs HMMER (pyhmmer)"),
    "speech_training": ("speech-training", "Spoken-digit word models vs hmmlearn"),
    "continuous_speech": ("continuous-speech", "Continuous speech: connected digits"),
}
SELF_WRITING = ("hmm_speed", "acceleration", "scale", "startup", "profile_throughput", "nhmmer")


def run(name: str) -> None:
    """Run one benchmark script and record its result."""
    command = [sys.executable, str(HERE / f"{name}.py")]
    print(f"running {name} ...", file=sys.stderr)
    if name in SELF_WRITING:
        subprocess.run(command, check=True)
        return
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    key, title = PRINTED[name]
    write_section(f"## {title}\n\nCommand: `python benchmarks/{name}.py`\n\n{out.strip()}\n", key)


def main(argv: list[str]) -> int:
    names = argv or [*SELF_WRITING, *PRINTED]
    unknown = set(names) - set(SELF_WRITING) - set(PRINTED)
    if unknown:
        print(f"unknown benchmarks {sorted(unknown)}", file=sys.stderr)
        return 2
    for name in names:
        run(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

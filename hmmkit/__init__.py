"""hmmkit: hidden Markov models over sequences."""

__version__ = "0.1.0"

"""Speech: MFCC front end, spoken-word corpora and an isolated-word GMM-HMM recognizer."""

from .corpus import Utterance, list_recordings, split
from .features import FeatureCache, MFCCConfig, extract, mfcc, read_audio
from .recognizer import TrainingConfig, WordRecognizer

__all__ = [
    "FeatureCache",
    "MFCCConfig",
    "TrainingConfig",
    "Utterance",
    "WordRecognizer",
    "extract",
    "list_recordings",
    "mfcc",
    "read_audio",
    "split",
]

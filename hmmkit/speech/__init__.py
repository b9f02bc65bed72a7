"""Speech: MFCC front end, HTK parameter files, spoken-word corpora and an isolated-word
GMM-HMM recognizer."""

from .corpus import Utterance, list_recordings, split
from .features import FeatureCache, MFCCConfig, extract, mfcc, read_audio
from .htk import HTKFeatures, HTKFolderSource, read_htk, write_htk
from .recognizer import TrainingConfig, WordRecognizer

__all__ = [
    "FeatureCache",
    "HTKFeatures",
    "HTKFolderSource",
    "MFCCConfig",
    "TrainingConfig",
    "Utterance",
    "WordRecognizer",
    "extract",
    "list_recordings",
    "mfcc",
    "read_audio",
    "read_htk",
    "split",
    "write_htk",
]

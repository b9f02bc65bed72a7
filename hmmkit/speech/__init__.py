"""Speech: MFCC front end, HTK parameter files, spoken-word corpora and an isolated-word
GMM-HMM recognizer."""

from typing import TYPE_CHECKING

from ..lazy import export_lazily

if TYPE_CHECKING:
    from .corpus import Utterance, list_recordings, split
    from .feature_cache import FeatureCache
    from .features import MFCCConfig, extract, mfcc, read_audio
    from .htk import HTKFeatures, HTKFolderSource, read_htk, write_htk
    from .recognizer import TrainingConfig, WordRecognizer

export_lazily(__name__, {
    "Utterance": ".corpus",
    "list_recordings": ".corpus",
    "split": ".corpus",
    "FeatureCache": ".feature_cache",
    "MFCCConfig": ".features",
    "extract": ".features",
    "mfcc": ".features",
    "read_audio": ".features",
    "HTKFeatures": ".htk",
    "HTKFolderSource": ".htk",
    "read_htk": ".htk",
    "write_htk": ".htk",
    "TrainingConfig": ".recognizer",
    "WordRecognizer": ".recognizer",
})  # fmt: skip

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

"""What every model-file reader does last with a model it has read."""

from __future__ import annotations

from ..plan7 import ProfileHMM


def finish_model(model: ProfileHMM, label: str) -> ProfileHMM:
    """A model as read from a file: the consensus line derived when the file has none (as
    HMMER does for files before 3/e), then validated, a ValueError naming `label`."""
    if model.consensus is None:
        from ..build import consensus_line

        model.consensus = consensus_line(model.match_emissions, model.alphabet)
    try:
        model.validate()
    except ValueError as err:
        raise ValueError(f"{label}, model {model.name}: {err}") from None
    return model

"""Match-column assignment by weighted occupancy and from the RF line."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.profile import AMINO
from hmmkit.profile.build.columns import assign_match_columns, match_columns_from_reference
from hmmkit.profile.msa import from_text


def test_match_columns_by_weighted_occupancy():
    msa = from_text(list("abcd"), ["AC-D", "A--D", "-C-D", "--ED"], AMINO)
    # column 2 has residues with weight 1+1 of 4: exactly symfrac 0.5 -> match
    assert assign_match_columns(msa, np.ones(4), 0.5).tolist() == [True, True, False, True]
    # up-weighting the gapped sequences pushes column 2 below one half
    w = np.array([1.0, 2.0, 1.0, 2.0])
    assert assign_match_columns(msa, w, 0.5).tolist() == [True, False, False, True]
    assert match_columns_from_reference("xx..x-").tolist() == [1, 1, 0, 0, 1, 0]
    with pytest.raises(ValueError, match="RF"):
        match_columns_from_reference(None)

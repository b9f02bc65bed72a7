"""HTK text MMF files: hmmkit's own read back identical; HTK's layouts are read."""

import numpy as np
import pytest
from asr_factories import tiny_model

from hmmkit.speech.mmf import gconst, read_mmf, write_mmf


def test_written_models_read_back_identical(tmp_path):
    model = tiny_model(seed=3, n_mix=3)
    path = tmp_path / "hmmdefs"
    write_mmf(path, model.units, model.mixtures)
    units, mixtures = read_mmf(path)
    assert list(units) == list(model.units)
    for name, (states, transp) in model.units.items():
        np.testing.assert_array_equal(units[name][0], states)
        np.testing.assert_array_equal(units[name][1], transp)
    for field in ("weights", "means", "covars"):
        np.testing.assert_array_equal(getattr(mixtures, field), getattr(model.mixtures, field))
    text = path.read_text()
    assert '~s "sil_s3"' in text and text.count('~s "sil_s3"') == 3  # defined, sil and sp
    assert f"<GCONST> {gconst(model.mixtures.covars[0, 0])!r}" in text


HTK_STYLE = """~o <STREAMINFO> 1 2 <VECSIZE> 2<NULLD><MFCC><DIAGC>
~v "varFloor1"
<VARIANCE> 2
 0.01 0.01
~t "shared"
<TRANSP> 3
 0.0 1.0 0.0
 0.0 0.5 0.5
 0.0 0.0 0.0
~h "one"
<BEGINHMM>
<NUMSTATES> 4
<STATE> 2
<MEAN> 2
 1.0 2.0
<VARIANCE> 2
 1.0 1.0
<GCONST> 3.6
<STATE> 3
<NUMMIXES> 2
<MIXTURE> 1 0.25
<MEAN> 2
 0.0 0.0
<VARIANCE> 2
 2.0 2.0
<MIXTURE> 2 0.75
<MEAN> 2
 1.0 1.0
<VARIANCE> 2
 1.0 3.0
<TRANSP> 4
 0.0 1.0 0.0 0.0
 0.0 0.6 0.4 0.0
 0.0 0.0 0.7 0.3
 0.0 0.0 0.0 0.0
<ENDHMM>
~h "sp"
<BEGINHMM>
<NUMSTATES> 3
<STATE> 2
<MEAN> 2
 0.0 0.0
<VARIANCE> 2
 1.0 1.0
~t "shared"
<ENDHMM>
"""


def test_reads_inline_states_transition_macros_and_padding(tmp_path):
    path = tmp_path / "hmmdefs"
    path.write_text(HTK_STYLE)
    units, mixtures = read_mmf(path)
    assert list(units) == ["one", "sp"]
    np.testing.assert_array_equal(units["one"][0], [0, 1])
    np.testing.assert_array_equal(units["sp"][1][1], [0.0, 0.5, 0.5])
    np.testing.assert_array_equal(mixtures.weights, [[1.0, 0.0], [0.25, 0.75], [1.0, 0.0]])
    np.testing.assert_array_equal(mixtures.covars[1, 1], [1.0, 3.0])


def test_errors_name_the_line(tmp_path):
    path = tmp_path / "hmmdefs"
    path.write_text(HTK_STYLE.replace("<VARIANCE> 2\n 1.0 3.0", "<INVCOVAR> 2\n 1.0 3.0"))
    with pytest.raises(ValueError, match=r"hmmdefs:\d+: .*<INVCOVAR>.*diagonal covariances only"):
        read_mmf(path)
    path.write_text(HTK_STYLE.replace('~t "shared"\n<ENDHMM>', '~t "other"\n<ENDHMM>'))
    with pytest.raises(ValueError, match="transition macro 'other' is not defined"):
        read_mmf(path)

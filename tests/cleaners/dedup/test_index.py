from cleaners.config import DedupConfig
from cleaners.dedup.index import differences, index_settings


def test_settings_name_what_signatures_and_decisions_depend_on():
    settings = index_settings(DedupConfig())
    assert settings["scheme"] == "affine32"
    assert (settings["bands"], settings["rows"]) == (14, 9)
    assert index_settings(DedupConfig(representative="first")) == settings


def test_differences_name_each_changed_setting_with_both_values():
    old = index_settings(DedupConfig())
    new = index_settings(DedupConfig(seed=3, shingle="char"))
    assert differences(old, new) == [
        "seed: 1 in the index, 3 now",
        "shingle: 'word' in the index, 'char' now",
    ]
    assert differences(old, dict(old)) == []

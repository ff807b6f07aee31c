"""The models' defaults and defaults.toml, the two places a default lives, kept together."""

from cleaners.boilerplate import BoilerplateStripper
from cleaners.config import Config


def _settings(data: dict, path: str = "") -> dict[str, object]:
    """Every setting of a dumped config by its dotted path, the rule lists left out."""
    found: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            found |= _settings(value, f"{path}{key}.")
        elif not isinstance(value, list):
            found[f"{path}{key}"] = value
    return found


def test_the_models_defaults_are_the_shipped_ones_but_for_the_rule_lists():
    """EncodingFixer(), ChromeStripper(), Deduplicator()... without a config then clean as a
    run does."""
    bare, shipped = _settings(Config().model_dump()), _settings(Config.load().model_dump())
    assert {k: v for k, v in bare.items() if shipped[k] != v} == {}


def test_a_stripper_without_a_config_has_the_shipped_rules():
    text = "\n".join(["An article line that stays here.", "Leave a Reply"])
    default = BoilerplateStripper()(text)
    shipped = BoilerplateStripper(Config.load().boilerplate)(text)
    assert default.text.strip() == shipped.text.strip() == "An article line that stays here."
    assert default.changes == shipped.changes

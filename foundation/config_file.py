"""config.yaml from disk to a validated Config, every problem reported at once with its
key path (the models in config.py, the checks between sections in config_checks.py, the wording
in config_messages.py)."""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from . import config_checks as checks, config_messages as messages
from .config import Config, ConfigError


# --- loading ------------------------------------------------------------------------

def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read file: {exc.strerror}"]) from None
    return parse_config(text, source=str(path))


def parse_config(text: str, source: str = "config.yaml") -> Config:
    """The validated region; raises ConfigError listing every problem with its key path."""
    try:
        raw, problems = messages.load_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(source, [messages.yaml_problem(exc)]) from None
    if not isinstance(raw, dict):
        raise ConfigError(source, problems + ["(top): must be a mapping of sections (region, units, offices, ...)"])
    config = None
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        problems.extend(messages.format_pydantic(exc))
    problems.extend(checks.check_references(raw))
    if problems:
        raise ConfigError(source, list(dict.fromkeys(problems)))
    return config


# --- process-wide instance -----------------------------------------------------------

_loaded: dict[Path, Config] = {}


def get_config(path: str | Path) -> Config:
    """A region's config (Settings.config_path), loaded once per process."""
    path = Path(path).resolve()
    if path not in _loaded:
        _loaded[path] = load_config(path)
    return _loaded[path]

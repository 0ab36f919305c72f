"""A config file's text as data, and pydantic's errors as `key.path: message` lines a region's
IT officer can act on (the YAML is read strictly: a key given twice is an error, not a guess)."""
from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError


# --- YAML --------------------------------------------------------------------------

class StrictLoader(yaml.SafeLoader):
    """safe_load that notes duplicate keys (PyYAML would silently keep the last one)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicate_keys: list[str] = []

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    mark = key_node.start_mark
                    self.duplicate_keys.append(
                        f"line {mark.line + 1}, column {mark.column + 1}: key {key_node.value!r} "
                        "appears twice in the same mapping (the first value would be lost)")
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)


def load_yaml(text: str) -> tuple[Any, list[str]]:
    """The parsed document and its duplicate-key problems; raises yaml.YAMLError."""
    loader = StrictLoader(text)
    try:
        return loader.get_single_data(), loader.duplicate_keys
    finally:
        loader.dispose()


def yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return f"{where}not valid YAML ({getattr(exc, 'problem', None) or exc})"


# --- pydantic's errors as key paths -------------------------------------------------

_PATTERNS = {
    r"^[A-Z0-9][A-Z0-9_.-]*$": "must be upper-case letters, digits, '-', '_' or '.' (e.g. DINKES, PKM-CLG)",
    r"^[a-z0-9_-]+$": "must be lower-case letters, digits, '-' or '_' (e.g. reguler, enam_hari)",
    r"^[A-Z]+[0-9]+$": "must be letters then digits (e.g. TL1, PSW4)",
}
_BOUNDS = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}
_CTX_KEY = {"greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt", "less_than_equal": "le"}


def format_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top)"


def format_pydantic(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        # drop pydantic's internal tags such as 'function-after[...]' and '[key]'
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        out.append(f"{format_path(loc)}: {_message(err)}")
    return out


def _message(err: dict) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see config.yaml for the keys each section takes)"
    if kind == "missing":
        return "is required"
    if kind == "literal_error":
        return f"{value!r} is not allowed; use one of {ctx.get('expected')}"
    if kind in _BOUNDS:
        return f"must be {_BOUNDS[kind]} {ctx[_CTX_KEY[kind]]:g}, got {value!r}"
    if kind == "string_pattern_mismatch":
        return f"{_PATTERNS.get(ctx.get('pattern'), err['msg'])}, got {value!r}"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a mapping (key: value), got {value!r}"
    if kind == "list_type":
        return f"must be a list, got {value!r}"
    msg = err["msg"].removeprefix("Value error, ")
    if kind == "value_error" or isinstance(value, (dict, list)):
        return msg
    return f"{msg}, got {value!r}"

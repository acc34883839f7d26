"""YAML configs mapped onto typed dataclasses, validated when loaded.

A config file is plain YAML whose keys are exactly the fields of a dataclass (nested
dataclasses for nested mappings). Loading checks every key and every value's type: an
unknown key is an error that names it and lists the allowed ones, a wrong type names
the key, the value and the type expected. ``--set a.b=value`` overrides parse ``value``
as YAML, so ``--set train.lr=0.005`` gives a float and ``--set model.jk=cat`` a string.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, Union

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A config that does not fit its schema; the message says where and why."""


def from_dict(cls: type[T], data: Any, where: str = "") -> T:
    """Build dataclass ``cls`` from a mapping, validating keys and value types."""
    label = where or cls.__name__
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping of {cls.__name__} fields, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key in data:
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{_join(where, key)}: unknown key{hint}; allowed keys: {', '.join(fields)}"
            )
    values = {}
    for name, field in fields.items():
        if name in data:
            values[name] = _convert(hints[name], data[name], _join(where, name))
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{_join(where, name)}: required key is missing")
    try:
        return cls(**values)
    except ValueError as error:  # a dataclass's own __post_init__ check
        raise ConfigError(f"{label}: {error}") from None


def check_range(
    config: Any,
    name: str,
    low: float,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Raise ``ValueError`` unless field ``name`` of ``config`` lies between ``low`` and
    ``high`` (``*_open`` leaves that end out; ``None`` passes, for optional fields).

    For a config dataclass's ``__post_init__``, so that a value no run could use fails
    when the config loads (:func:`from_dict` names the config), not hours into a run.
    """
    value = getattr(config, name)
    if value is None:
        return
    if value < low or value > high or (low_open and value == low) or (high_open and value == high):
        left = "(" if low_open else "["
        right = ")" if high_open or high == math.inf else "]"
        raise ValueError(f"{name} must lie in {left}{low}, {high}{right}, got {value!r}")


def to_dict(config: Any) -> dict[str, Any]:
    """The plain-dict form of a config (for result records and YAML dumps)."""
    return dataclasses.asdict(config)


def load_config(path: str | Path, cls: type[T], overrides: list[str] | tuple = ()) -> T:
    """Read YAML ``path`` into ``cls``, after applying ``key.path=value`` overrides."""
    return from_dict(cls, apply_overrides(read_yaml(path), overrides), where="")


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The top-level mapping of YAML file ``path``."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    with path.open() as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def apply_overrides(data: dict[str, Any], overrides: list[str] | tuple) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``a.b.c=value`` set (value parsed as YAML)."""
    data = copy.deepcopy(data)
    for override in overrides:
        key, sep, raw = override.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {override!r} must look like key.path=value")
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override {override!r}: {part!r} is not a mapping")
            node = child
        node[parts[-1]] = yaml.safe_load(raw)
    return data


def _join(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, where)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(
            errors[0] if len(errors) == 1 else f"{where}: {value!r} fits none of {hint}"
        )
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(f"{where}: {value!r} is not one of {list(allowed)}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        (item,) = typing.get_args(hint)[:1] or (Any,)
        return [_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, where)
    if hint is Any:
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (int, float) and isinstance(value, bool):
        raise ConfigError(f"{where}: expected {hint.__name__}, got boolean {value!r}")
    if not isinstance(value, hint):
        raise ConfigError(
            f"{where}: expected {hint.__name__}, got {type(value).__name__} {value!r}"
        )
    return value

"""Lab parameters: their declared type, parsing what the learner typed, and the command line.

A lab receives every parameter as ``--<name> <value>`` (bools as ``true``/``false``), so the
same program runs unchanged from a shell; a value that starts with ``-`` goes as
``--<name>=<value>``, which argparse cannot mistake for a flag. Floats must be finite.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

TRUE_WORDS = {"true", "yes", "on", "1"}
FALSE_WORDS = {"false", "no", "off", "0"}


class ParamType(str, enum.Enum):
    INT = "int"
    FLOAT = "float"
    STR = "str"
    BOOL = "bool"
    CHOICE = "choice"


class ParamError(ValueError):
    """A parameter value or declaration that cannot be used; says which parameter and why."""

    def __init__(self, message: str, name: str = ""):
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class LabParam:
    name: str
    type: ParamType
    default: Any
    help: str = ""
    choices: tuple[Any, ...] = ()
    at_most_devices: bool = False  # `max = "devices"`: no more than the GPUs (or CPU cores) present

    def parse(self, text: str) -> Any:
        """The value of what was typed, or ParamError saying what is expected."""
        text = text.strip()
        try:
            if self.type is ParamType.INT:
                return int(text)
            if self.type is ParamType.FLOAT:
                number = float(text)
        except ValueError:
            raise ParamError(
                f"{self.name}: {text!r} is not {'an' if self.type is ParamType.INT else 'a'} {self.type.value}", self.name
            ) from None
        if self.type is ParamType.FLOAT:
            return self._finite(number)
        if self.type is ParamType.BOOL:
            if text.lower() in TRUE_WORDS:
                return True
            if text.lower() in FALSE_WORDS:
                return False
            raise ParamError(f"{self.name}: {text!r} is not true or false", self.name)
        if self.type is ParamType.CHOICE:
            for choice in self.choices:
                if str(choice) == text:
                    return choice
            raise ParamError(f"{self.name}: {text!r} is not one of {', '.join(map(str, self.choices))}", self.name)
        return text

    def check(self, value: Any) -> Any:
        """A value from a file (already typed), converted where that is lossless."""
        if isinstance(value, str) and self.type is not ParamType.STR:
            return self.parse(value)
        kind = self.type
        if kind is ParamType.BOOL and isinstance(value, bool):
            return value
        if kind is ParamType.INT and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind is ParamType.FLOAT and isinstance(value, (int, float)) and not isinstance(value, bool):
            return self._finite(float(value))
        if kind is ParamType.STR and isinstance(value, str):
            return value
        if kind is ParamType.CHOICE and value in self.choices:
            return value
        expected = f"one of {', '.join(map(str, self.choices))}" if kind is ParamType.CHOICE else f"a {kind.value}"
        raise ParamError(f"{self.name}: {value!r} is not {expected}", self.name)

    def _finite(self, value: float) -> float:
        if not math.isfinite(value):  # nan / inf: no lab can train with it, and 1e999 reads as inf
            raise ParamError(f"{self.name}: {value!r} is not a finite number; give a value such as {self.default!r}", self.name)
        return value

    def as_text(self, value: Any) -> str:
        """How the value is written on the lab's command line and in forms."""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


def parse_param_table(table: dict[str, Any]) -> dict[str, LabParam]:
    """The ``[params.<name>]`` tables of a lab.toml, checked; ParamError names the bad one."""
    params: dict[str, LabParam] = {}
    for name, spec in table.items():
        if not name.replace("_", "").replace("-", "").isalnum():
            raise ParamError(f"{name!r} is not a usable parameter name (letters, digits, _ and -)", name)
        if not isinstance(spec, dict):
            raise ParamError("must be a table with type, default and help", name)
        raw_type = spec.get("type", "str")
        try:
            kind = ParamType(raw_type)
        except ValueError:
            raise ParamError(f"type {raw_type!r} is not one of int, float, str, bool, choice", name) from None
        choices = spec.get("choices", [])
        if kind is ParamType.CHOICE and (not isinstance(choices, list) or not choices):
            raise ParamError("a choice parameter needs choices = [...]", name)
        if "default" not in spec:
            raise ParamError("needs a default", name)
        help_text = spec.get("help", "")
        if not isinstance(help_text, str):
            raise ParamError("help must be a string", name)
        limit = spec.get("max")
        if limit is not None and (limit != "devices" or kind is not ParamType.INT):
            raise ParamError('max may only be "devices", on an int parameter (e.g. a process count)', name)
        param = LabParam(name=name, type=kind, default=None, help=help_text, choices=tuple(choices))
        try:
            default = param.check(spec["default"])
        except ParamError as err:
            raise ParamError(f"default {err}", name) from None
        params[name] = LabParam(
            name=name, type=kind, default=default, help=help_text, choices=tuple(choices), at_most_devices=limit == "devices"
        )
    return params


def command_line(params: dict[str, LabParam], values: dict[str, Any]) -> list[str]:
    """``--name value`` pairs for every parameter, in declaration order."""
    argv: list[str] = []
    for name, value in values.items():
        param = params.get(name)
        text = param.as_text(value) if param else str(value)
        # argparse reads "-1e+308" or "-x" after --lr as another flag ("expected one argument").
        argv += [f"--{name}={text}"] if text.startswith("-") else [f"--{name}", text]
    return argv

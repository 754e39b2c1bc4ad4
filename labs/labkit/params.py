"""A lab's command line, built from the ``[params.<name>]`` tables of its lab.toml.

Each parameter is declared once, in lab.toml (type, default, help); dltui reads the same tables
to draw the lab's form and passes every value as ``--<name> <value>``. Running the program from
a shell takes the same options, with ``-`` or ``_`` in the name:

    python cnn.py --epochs 3 --batch-size 256
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path


def str_to_bool(text: str) -> bool:
    if text.lower() in ("true", "1", "yes", "on"):
        return True
    if text.lower() in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


CONVERTERS = {"int": int, "float": float, "str": str, "bool": str_to_bool}


def lab_parser(lab_file: Path) -> argparse.ArgumentParser:
    """An ArgumentParser with one option per parameter of ``lab_file``."""
    lab = tomllib.loads(Path(lab_file).read_text(encoding="utf-8"))
    parser = argparse.ArgumentParser(description=lab.get("title"), formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    for name, spec in lab.get("params", {}).items():
        kind = spec.get("type", "str")
        help_text = spec.get("help", "").replace("%", "%%")  # argparse formats help with %
        flags = [f"--{name}"] + ([f"--{name.replace('_', '-')}"] if "_" in name else [])
        if kind == "choice":
            choices = spec["choices"]
            parser.add_argument(*flags, choices=choices, type=type(choices[0]), default=spec["default"], help=help_text)
        else:
            convert = CONVERTERS[kind]
            # bool() of a TOML boolean is itself; float() turns `default = 1` into 1.0
            default = spec["default"] if kind == "bool" else convert(spec["default"])
            parser.add_argument(*flags, type=convert, default=default, help=help_text)
    return parser


def parse_lab_args(lab_file: Path, argv: list[str] | None = None) -> argparse.Namespace:
    """The program's parameters: lab.toml's defaults, overridden by the command line."""
    return lab_parser(lab_file).parse_args(argv)

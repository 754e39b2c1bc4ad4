"""`dltui data`: download and check the datasets the labs use (MNIST, Fashion-MNIST).

The work is done by the lab kit (``labs/labkit/datasets.py``) in a child process, so this command
shares one implementation with the labs and dltui itself never imports numpy.
"""

from __future__ import annotations

import argparse
import subprocess
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("data", help="download or check the lab datasets (checksum-verified)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    download = actions.add_parser("download", help="fetch a dataset into the cache")
    download.add_argument("dataset", choices=["mnist", "fashion-mnist", "all"])
    download.add_argument("--force", action="store_true", help="download again even if a valid copy exists")
    download.set_defaults(handler=data_command)
    status = actions.add_parser("status", help="where each dataset is found, and whether it is intact")
    status.add_argument("--verify", action="store_true", help="check the checksums of every file")
    status.set_defaults(handler=data_command)


def kit_command(args: argparse.Namespace) -> list[str]:
    command = [sys.executable, "-m", "labkit.datasets", args.action]
    if args.action == "download":
        command.append(args.dataset)
        if args.force:
            command.append("--force")
    elif args.verify:
        command.append("--verify")
    return command


def data_command(args: argparse.Namespace) -> int:
    from dltui.settings import load_settings

    labs_dir = load_settings(args.db).labs_dir
    return subprocess.run(kit_command(args), cwd=labs_dir, check=False).returncode

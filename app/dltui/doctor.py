"""`dltui doctor`: what this machine and this install look like, in one screen.

torch and CUDA are probed in a subprocess so that dltui itself never imports torch.
The API key is reported as configured or not, never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata

PACKAGES = ["textual", "textual-plotext", "anthropic", "sqlmodel", "sqlalchemy", "fsrs", "numpy", "rich", "torch"]

TORCH_PROBE = """
import json, torch
info = {"torch": torch.__version__, "cuda": torch.cuda.is_available()}
if info["cuda"]:
    info["devices"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    info["cuda_version"] = torch.version.cuda
print(json.dumps(info))
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser("doctor", help="check the install, the database, torch/CUDA and the terminal")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=doctor_command)


def probe_torch(timeout: float = 60.0) -> dict:
    """Import torch in a child process and report the version and CUDA devices."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", TORCH_PROBE], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"importing torch took over {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
        return {"error": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


def collect_report(db: str | None) -> dict:
    from dltui.context import StudyContext
    from dltui.curriculum import CardKind

    report: dict = {
        "dltui": metadata.version("dltui"),
        "python": f"{platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
        "packages": {},
    }
    for name in PACKAGES:
        try:
            report["packages"][name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            report["packages"][name] = None
    context = StudyContext.open(db)
    try:
        settings = context.settings
        curriculum = context.curriculum
        report["database"] = {"path": str(settings.db_path), "schema_version": context.store.schema_version()}
        report["data_dir"] = str(settings.data_dir)
        report["curriculum"] = {
            "path": str(settings.curriculum_dir),
            "domains": len(curriculum.domains),
            "topics": len(curriculum.topics),
            "cards": len(curriculum.all_cards()),
            "numeric_cards": sum(c.kind is CardKind.NUMERIC for c in curriculum.all_cards()),
            "problems": len(context.curriculum_problems),
        }
        report["tutor"] = {
            "anthropic_key": "configured" if settings.api_key() else "not set (the offline tutor is used)",
            "model": settings.model,
            "mode": settings.tutor,
        }
    finally:
        context.close()
    report["torch"] = probe_torch()
    report["nvidia_smi"] = shutil.which("nvidia-smi") is not None
    size = shutil.get_terminal_size()
    from rich.console import Console

    console = Console()
    report["terminal"] = {
        "size": f"{size.columns}x{size.lines}",
        "colours": console.color_system or "none",
        "TERM": os.environ.get("TERM", ""),
        "ssh": bool(os.environ.get("SSH_CONNECTION")),
    }
    return report


def doctor_command(args: argparse.Namespace) -> int:
    report = collect_report(args.db)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    torch = report["torch"]
    if "error" in torch:
        torch_line = f"not usable: {torch['error']}"
    elif torch["cuda"]:
        torch_line = f"{torch['torch']}, CUDA {torch.get('cuda_version')} on {', '.join(torch['devices'])}"
    else:
        torch_line = f"{torch['torch']}, CPU only (labs that want a GPU run on the CPU)"
    packages = ", ".join(f"{k} {v or 'MISSING'}" for k, v in report["packages"].items())
    curriculum = report["curriculum"]
    lines = [
        f"dltui       {report['dltui']} on Python {report['python']}",
        f"platform    {report['platform']}",
        f"packages    {packages}",
        f"database    {report['database']['path']} (schema v{report['database']['schema_version']})",
        f"data        {report['data_dir']}",
        f"curriculum  {curriculum['topics']} topics in {curriculum['domains']} domains, {curriculum['cards']} cards"
        + (f", {curriculum['problems']} problem(s): run `dltui curriculum check`" if curriculum["problems"] else ""),
        f"tutor       key {report['tutor']['anthropic_key']}; model {report['tutor']['model']}",
        f"torch       {torch_line}",
        f"gpu         nvidia-smi {'found' if report['nvidia_smi'] else 'not found'}",
        f"terminal    {report['terminal']['size']}, colours: {report['terminal']['colours']}, "
        f"TERM={report['terminal']['TERM']}{' (over SSH)' if report['terminal']['ssh'] else ''}",
    ]
    print("\n".join(lines))
    return 0

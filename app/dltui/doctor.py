"""`dltui doctor`: what this machine and this install look like, in one screen.

It says where the curriculum, the labs and the tutor's rules come from (the checkout's own files
or the copies in the installed package, or a folder named by an environment variable). torch and
CUDA are probed in a subprocess so that dltui itself never imports torch, and only when torch is
installed at all. The API key is reported as configured or not, never printed.
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
from pathlib import Path

from dltui.install import LABS_EXTRA_HINT, PACKAGE_DIR, content_source, missing_modules

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
    if missing_modules(["torch"]):
        return {"error": "not installed", "installed": False}
    try:
        done = subprocess.run([sys.executable, "-c", TORCH_PROBE], capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"importing torch took over {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
        return {"error": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


def collect_report(db: str | None) -> dict:
    from dltui.context import StudyContext
    from dltui.curriculum import CardKind

    content = content_source()
    report: dict = {
        "dltui": metadata.version("dltui"),
        "python": f"{platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
        "install": {"from": content.origin, "path": str(content.root if content.origin == "checkout" else PACKAGE_DIR)},
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
            "from": _origin(settings.curriculum_dir, content.curriculum_dir, "DLTUI_CURRICULUM", content.origin),
            "domains": len(curriculum.domains),
            "topics": len(curriculum.topics),
            "cards": len(curriculum.all_cards()),
            "numeric_cards": sum(c.kind is CardKind.NUMERIC for c in curriculum.all_cards()),
            "problems": len(context.curriculum_problems),
        }
        report["labs"] = _labs_report(settings, content)
        report["tutor"] = {
            "rules": str(content.rules_file) if content.rules_file.is_file() else None,
            "rules_from": content.origin,
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


def _origin(path: Path, default: Path, variable: str, origin: str) -> str:
    return origin if path == default else variable


def _labs_report(settings, content) -> dict:
    from dltui.labs.registry import load_registry

    registry = load_registry(settings.labs_dir, settings.data_dir)
    return {
        "path": str(settings.labs_dir),
        "from": _origin(settings.labs_dir, content.labs_dir, "DLTUI_LABS", content.origin),
        "labs": len(registry.labs),
        "unavailable": {lab.id: list(lab.missing) for lab in registry.labs.values() if lab.missing},
        "problems": len(registry.problems),
    }


def doctor_command(args: argparse.Namespace) -> int:
    report = collect_report(args.db)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    torch = report["torch"]
    if torch.get("installed") is False:
        torch_line = f"not installed: the PyTorch labs and `dltui review optimize` need it; {LABS_EXTRA_HINT}"
    elif "error" in torch:
        torch_line = f"not usable: {torch['error']}"
    elif torch["cuda"]:
        torch_line = f"{torch['torch']}, CUDA {torch.get('cuda_version')} on {', '.join(torch['devices'])}"
    else:
        torch_line = f"{torch['torch']}, CPU only (labs that want a GPU run on the CPU)"
    packages = ", ".join(f"{k} {v or 'MISSING'}" for k, v in report["packages"].items())
    curriculum, labs, tutor = report["curriculum"], report["labs"], report["tutor"]
    needing = sorted({m for missing in labs["unavailable"].values() for m in missing})
    lines = [
        f"dltui       {report['dltui']} on Python {report['python']}",
        f"install     {report['install']['from']} at {report['install']['path']}",
        f"platform    {report['platform']}",
        f"packages    {packages}",
        f"database    {report['database']['path']} (schema v{report['database']['schema_version']})",
        f"data        {report['data_dir']}",
        f"curriculum  {curriculum['topics']} topics in {curriculum['domains']} domains, {curriculum['cards']} cards"
        + (f", {curriculum['problems']} problem(s): run `dltui curriculum check`" if curriculum["problems"] else "")
        + f"; from {curriculum['path']} ({curriculum['from']})",
        f"labs        {labs['labs']} labs from {labs['path']} ({labs['from']})"
        + (f"; {len(labs['unavailable'])} need {', '.join(needing)}" if needing else "")
        + (f"; {labs['problems']} problem(s): run `dltui lab list`" if labs["problems"] else ""),
        "rules       "
        + (f"{tutor['rules']} ({tutor['rules_from']})" if tutor["rules"] else "CLAUDE.md MISSING: the tutor has only a one-line rule"),
        f"tutor       key {tutor['anthropic_key']}; model {tutor['model']}",
        f"torch       {torch_line}",
        f"gpu         nvidia-smi {'found' if report['nvidia_smi'] else 'not found'}",
        f"terminal    {report['terminal']['size']}, colours: {report['terminal']['colours']}, "
        f"TERM={report['terminal']['TERM']}{' (over SSH)' if report['terminal']['ssh'] else ''}",
    ]
    print("\n".join(lines))
    return 0

"""Where this install finds its curriculum, labs and tutor rules, and which optional parts it lacks.

From a checkout (a git clone, ``make run``, an editable install) dltui reads the checkout's own
top-level ``curriculum/``, ``labs/`` and ``CLAUDE.md``, so an edit shows at once. Installed from a
wheel (pipx, uv tool, pip) it reads the copies the wheel carries in the package folder
``dltui/_content/`` (pyproject.toml maps the project root there at build time).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CONTENT_PACKAGE = "_content"
RULES_FILE = "CLAUDE.md"  # the tutor's rules: its system prompt, and what a coding assistant reads
# How to add what the PyTorch labs and the FSRS optimizer need (the `labs` extra), for a pipx
# install, a pip install and a checkout (where make pins torch through constraints.txt).
LABS_EXTRA_HINT = "add it with `pipx inject dltui torch` (a pip install: `pip install 'dltui[labs]'`; a checkout: `make install`)"
OPTIMIZER_HINT = (
    "`pipx inject dltui 'fsrs[optimizer]'` (a pip install: `pip install 'dltui[labs]'`; a checkout: `make install`, which pins torch)"
)


def project_root() -> Path | None:
    """The checkout this package runs from, or None when installed from a wheel."""
    candidate = PACKAGE_DIR.parents[1]  # app/dltui -> project root
    if (candidate / "curriculum" / "domains.toml").exists() and (candidate / "pyproject.toml").exists():
        return candidate
    return None


@dataclass(frozen=True)
class ContentSource:
    """The folder holding curriculum/, labs/ and CLAUDE.md, and whether it is a checkout."""

    origin: str  # "checkout" or "installed package"
    root: Path

    @property
    def curriculum_dir(self) -> Path:
        return self.root / "curriculum"

    @property
    def labs_dir(self) -> Path:
        return self.root / "labs"

    @property
    def rules_file(self) -> Path:
        return self.root / RULES_FILE


def content_source() -> ContentSource:
    """The checkout's own files when there is one, else the copies inside the installed package."""
    root = project_root()
    if root is not None:
        return ContentSource("checkout", root)
    # Installed wheels are unpacked on disk, and the labs must be real files: their programs run
    # as subprocesses in their own folders, so the package folder is used as a path.
    return ContentSource("installed package", Path(str(resources.files("dltui") / CONTENT_PACKAGE)))


def missing_modules(names: tuple[str, ...] | list[str]) -> list[str]:
    """The top-level modules among ``names`` this Python cannot import, found without importing them."""
    return [name for name in names if importlib.util.find_spec(name) is None]


def install_hint(modules: tuple[str, ...] | list[str]) -> str:
    """How to add ``modules`` to this install, in one clause."""
    if set(modules) <= {"torch"}:
        return LABS_EXTRA_HINT
    names = " ".join(modules)
    return f"install {names} into the Python dltui runs on (with pipx: pipx inject dltui {names})"

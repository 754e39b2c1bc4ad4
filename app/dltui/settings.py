"""Where things live and the learner's settings.

Paths: the database defaults to ``data/tutor.db`` in the project folder when run from a checkout,
else to the per-user data folder; ``--db`` / ``DLTUI_DB`` override it, and the data folder
(runs, notes, workspace) follows the database unless ``DLTUI_DATA_DIR`` is set. The curriculum
and the labs are the checkout's own folders, else the copies the installed package carries
(`dltui.install`); ``DLTUI_CURRICULUM`` / ``DLTUI_LABS`` override them.

Learner settings (review limits, retention, model...) come from ``<data>/settings.toml`` and can
be overridden by environment variables. The API key is read from the environment only and is
never written anywhere.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from dltui.install import content_source, project_root

DEFAULT_MODEL = "claude-sonnet-5-5"


def _default_db() -> Path:
    root = project_root()
    if root is not None:
        return root / "data" / "tutor.db"
    from platformdirs import user_data_dir

    return Path(user_data_dir("dltui")) / "tutor.db"


@dataclass(frozen=True)
class Settings:
    db_path: Path
    data_dir: Path
    curriculum_dir: Path
    labs_dir: Path
    # Review scheduling
    new_cards_per_day: int = 20
    reviews_per_day: int = 200
    desired_retention: float = 0.90
    day_starts_at_hour: int = 4  # local time; reviews before this hour count for the previous day
    session_idle_minutes: int = 30  # a study session ends after this long without activity
    # Tutor
    model: str = DEFAULT_MODEL
    max_tokens: int = 1024
    tutor: str = "auto"  # auto | claude | offline
    # Experiment tracking: log finished lab runs to a local MLflow store (needs dltui[mlflow])
    mlflow: bool = False
    # Backups: a copy of the database at most once a day at start-up, the newest N kept (0: none)
    backups_kept: int = 10
    api_base_url: str | None = field(default=None, repr=False)

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def sessions_dir(self) -> Path:
        return self.data_dir / "sessions"

    @property
    def progress_dir(self) -> Path:
        return self.data_dir / "progress"

    @property
    def workspace_dir(self) -> Path:
        return self.data_dir / "workspace"

    @property
    def settings_file(self) -> Path:
        return self.data_dir / "settings.toml"

    @staticmethod
    def api_key() -> str | None:
        """The Anthropic key from the environment; kept out of every record on purpose."""
        return os.environ.get("ANTHROPIC_API_KEY") or None


# Settings a learner may put in settings.toml, with the environment variable that overrides each.
TUNABLE = {
    "new_cards_per_day": "DLTUI_NEW_PER_DAY",
    "reviews_per_day": "DLTUI_REVIEWS_PER_DAY",
    "desired_retention": "DLTUI_RETENTION",
    "day_starts_at_hour": "DLTUI_DAY_STARTS_AT",
    "session_idle_minutes": "DLTUI_SESSION_IDLE_MINUTES",
    "model": "DLTUI_MODEL",
    "max_tokens": "DLTUI_MAX_TOKENS",
    "tutor": "DLTUI_TUTOR",
    "api_base_url": "ANTHROPIC_BASE_URL",
    "mlflow": "DLTUI_MLFLOW",
    "backups_kept": "DLTUI_BACKUPS_KEPT",
}


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message says which and why."""


def load_settings(db: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Resolve paths and settings from arguments, environment and settings.toml."""
    env = os.environ if env is None else env
    db_path = Path(db or env.get("DLTUI_DB") or _default_db()).expanduser().resolve()
    data_dir = Path(env.get("DLTUI_DATA_DIR") or db_path.parent).expanduser().resolve()
    content = content_source()  # the checkout's own files, or the copies the wheel carries
    curriculum_dir = Path(env.get("DLTUI_CURRICULUM") or content.curriculum_dir)
    labs_dir = Path(env.get("DLTUI_LABS") or content.labs_dir)
    settings = Settings(db_path=db_path, data_dir=data_dir, curriculum_dir=curriculum_dir, labs_dir=labs_dir)

    values: dict[str, object] = {}
    settings_file = settings.settings_file
    if settings_file.exists():
        try:
            values.update(tomllib.loads(settings_file.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as err:
            raise SettingsError(f"{settings_file}: {err}") from None
    for name, variable in TUNABLE.items():
        if env.get(variable):
            values[name] = env[variable]
    return _apply(settings, values, settings_file)


def _apply(settings: Settings, values: dict[str, object], origin: Path) -> Settings:
    types = {f.name: f.type for f in fields(Settings)}
    changes: dict[str, object] = {}
    for name, raw in values.items():
        if name not in TUNABLE:
            raise SettingsError(f"{origin}: unknown setting {name!r} (known: {', '.join(TUNABLE)})")
        kind = types[name]
        value: object
        try:
            # raw is whatever TOML or the environment held: a value int() or float() refuses is reported below
            if kind == "bool":
                value = _boolean(raw)
            elif kind == "int":
                value = int(raw)  # type: ignore[call-overload]
            else:
                value = float(raw) if kind == "float" else str(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise SettingsError(f"setting {name}: {raw!r} is not a valid {kind}") from None
        changes[name] = value
    result = replace(settings, **changes)  # type: ignore[arg-type]  # each value converted to its field's type above
    if not 0.7 <= result.desired_retention <= 0.99:
        raise SettingsError("desired_retention must be between 0.70 and 0.99")
    if not 0 <= result.day_starts_at_hour <= 23:
        raise SettingsError("day_starts_at_hour must be an hour from 0 to 23")
    if result.session_idle_minutes < 1:
        raise SettingsError("session_idle_minutes must be at least 1 (minutes without activity that end a session)")
    if result.backups_kept < 0:
        raise SettingsError("backups_kept must be 0 (no backups) or more")
    if result.tutor not in ("auto", "claude", "offline"):
        raise SettingsError("tutor must be auto, claude or offline")
    return result


def _boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(raw)

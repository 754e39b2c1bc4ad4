"""Shared fixtures: the bundled curriculum, a fresh database file per test."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # for curriculum_answers


@pytest.fixture(scope="session")
def bundled_curriculum():
    from dltui.curriculum import load_curriculum

    curriculum, problems = load_curriculum(ROOT / "curriculum")
    assert not problems, "\n".join(map(str, problems))
    return curriculum


@pytest.fixture
def settings(tmp_path):
    """Settings for a fresh database in a temporary folder, ignoring the caller's environment."""
    from dltui.settings import load_settings

    return load_settings(tmp_path / "data" / "tutor.db", env={})


@pytest.fixture
def context(settings):
    """A StudyContext on a real SQLite file with the bundled curriculum."""
    from dltui.context import StudyContext

    ctx = StudyContext.open(settings=settings)
    yield ctx
    ctx.close()


@pytest.fixture(autouse=True)
def no_leftover_labs(settings):
    """Whatever a test leaves running is killed, so a failing test cannot leak lab processes."""
    yield
    import signal

    from dltui.labs.process import LabProcess
    from dltui.labs.run_folder import RunFolder

    for pid_file in settings.runs_dir.glob("*/pid"):
        process = LabProcess.from_pid_file(RunFolder(pid_file.parent))
        if process is not None and process.alive():
            process.signal(signal.SIGKILL)


@pytest.fixture
def learner_env() -> dict[str, str]:
    """The learner's environment: empty (offline tutor, defaults). Tests add what they need."""
    return {}


@pytest.fixture
def learner(tmp_path, learner_env, monkeypatch):
    """A new learner: a fresh database file, the bundled curriculum, no API key."""
    from dltui.context import StudyContext
    from dltui.settings import load_settings

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    for name, value in learner_env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(tmp_path / "data" / "tutor.db", env=learner_env)
    context = StudyContext.open(settings=settings)
    yield context
    context.close()


@pytest.fixture
def fixture_labs() -> Path:
    """The small labs under tests/fixtures/labs (steady, crasher, garbage...): quick real programs."""
    return Path(__file__).resolve().parent / "fixtures" / "labs"


@pytest.fixture
def lab_settings(settings, fixture_labs):
    """Settings whose labs are the fixture labs, with the data folder made."""
    import dataclasses

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return dataclasses.replace(settings, labs_dir=fixture_labs)

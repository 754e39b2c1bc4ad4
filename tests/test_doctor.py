"""`dltui doctor` reports the install without importing torch itself and without printing the key."""

import json
import os
import subprocess
import sys

SECRET = "sk-ant-doctor-SECRET-7"


def doctor(tmp_path, *args, **env):
    full_env = {**os.environ, "DLTUI_DB": str(tmp_path / "tutor.db"), **env}
    return subprocess.run([sys.executable, "-m", "dltui", "doctor", *args], env=full_env, capture_output=True, text=True, timeout=180)


def test_doctor_reports_database_curriculum_torch_and_key_state(tmp_path):
    done = doctor(tmp_path, "--json", ANTHROPIC_API_KEY=SECRET)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["database"]["path"] == str(tmp_path / "tutor.db") and report["database"]["schema_version"] >= 1
    assert report["curriculum"]["topics"] == 56 and report["curriculum"]["problems"] == 0
    assert report["tutor"]["anthropic_key"] == "configured"
    assert report["torch"]["torch"].startswith("2.13") and report["torch"]["cuda"] in (True, False)
    assert SECRET not in done.stdout + done.stderr


def test_doctor_text_without_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    done = subprocess.run(
        [sys.executable, "-m", "dltui", "doctor"],
        env={**env, "DLTUI_DB": str(tmp_path / "t.db")},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert "key not set (the offline tutor is used)" in done.stdout
    from dltui.store.database import latest_version

    assert "56 topics in 8 domains" in done.stdout and f"schema v{latest_version()}" in done.stdout
    assert "checkout at" in done.stdout and "rules       " in done.stdout  # where things come from

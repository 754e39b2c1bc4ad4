"""`dltui data` runs the lab kit's dataset commands and passes their verdict through."""

import os
import subprocess
import sys

from fake_mnist import write_dataset


def dltui(args, tmp_path, **env):
    full_env = {**os.environ, "DLTUI_DB": str(tmp_path / "data" / "tutor.db"), "DLTUI_CACHE": str(tmp_path / "cache"), **env}
    return subprocess.run([sys.executable, "-m", "dltui", "data", *args], env=full_env, capture_output=True, text=True, timeout=60)


def test_status_names_the_override_folder(tmp_path):
    write_dataset(tmp_path / "datasets" / "mnist", n_train=4, n_test=2)
    done = dltui(["status"], tmp_path, DLTUI_DATASETS=str(tmp_path / "datasets"))
    assert done.returncode == 0, done.stderr
    assert "override" in done.stdout and str(tmp_path / "datasets" / "mnist") in done.stdout


def test_download_refuses_files_whose_checksums_do_not_match(tmp_path, http_mirror):
    base, www = http_mirror
    write_dataset(www / "mirror", n_train=4, n_test=2)  # fake digits: not the published MNIST bytes
    done = dltui(["download", "mnist"], tmp_path, DLTUI_DATASETS=str(tmp_path / "none"), DLTUI_MIRRORS=f"{base}/mirror/")
    assert done.returncode == 1
    assert "corrupted download" in done.stderr
    assert not any((tmp_path / "cache").rglob("*ubyte*"))

"""labkit.checkpoints: a save/load round trip resumes training exactly; latest/best lookups."""

from __future__ import annotations

import os
from fractions import Fraction

import pytest

torch = pytest.importorskip("torch")

from labkit.checkpoints import best_checkpoint, latest_checkpoint, load_checkpoint, save_checkpoint  # noqa: E402


def make(seed: int = 0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, optimizer


def train_step(model, optimizer, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(16, 4, generator=g), torch.randint(0, 3, (16,), generator=g)
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()


def test_round_trip_resumes_exactly(tmp_path):
    model, optimizer = make()
    train_step(model, optimizer, 1)
    path = save_checkpoint(tmp_path / "checkpoints" / "epoch-1.pt", model, optimizer, 1, {"val/acc": 0.5}, extra={"params": {"lr": 0.1}})
    assert [p.name for p in path.parent.iterdir()] == ["epoch-1.pt"]  # no temporary file left

    # Resume into fresh objects; one more step must match the uninterrupted run bit for bit.
    model2, optimizer2 = make(seed=99)
    state = load_checkpoint(path, model2, optimizer2)
    assert state["epoch"] == 1 and state["metrics"] == {"val/acc": 0.5} and state["extra"]["params"] == {"lr": 0.1}
    train_step(model, optimizer, 2)
    train_step(model2, optimizer2, 2)
    for a, b in zip(model.parameters(), model2.parameters()):
        assert torch.equal(a, b)


def test_unsafe_or_broken_files_are_refused(tmp_path):
    # Arbitrary objects need full pickle (which can run code); weights_only=True refuses them.
    unsafe = tmp_path / "unsafe.pt"
    torch.save({"model": {}, "x": Fraction(1, 3)}, unsafe)
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(unsafe)
    broken = tmp_path / "broken.pt"
    model, optimizer = make()
    save_checkpoint(broken, model, optimizer, 0, {})
    broken.write_bytes(broken.read_bytes()[:100])
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(broken, model)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt")
    no_optimizer = save_checkpoint(tmp_path / "w.pt", model, None, 0, {})
    with pytest.raises(ValueError, match="no optimizer state"):
        load_checkpoint(no_optimizer, model, optimizer)


def test_latest_and_best(tmp_path):
    model, optimizer = make()
    assert latest_checkpoint(tmp_path / "none") is None and best_checkpoint(tmp_path) is None
    for epoch, acc in ((1, 0.7), (2, 0.9), (10, 0.8)):
        save_checkpoint(tmp_path / f"epoch-{epoch}.pt", model, optimizer, epoch, {"val/acc": acc, "val/loss": 1 - acc})
    os.utime(tmp_path / "epoch-2.pt")  # the newest mtime must not beat the higher epoch number
    assert latest_checkpoint(tmp_path).name == "epoch-10.pt"
    assert best_checkpoint(tmp_path) is None  # no best.pt and no metric asked for
    assert best_checkpoint(tmp_path, "val/acc").name == "epoch-2.pt"
    assert best_checkpoint(tmp_path, "val/loss", mode="min").name == "epoch-2.pt"
    save_checkpoint(tmp_path / "best.pt", model, optimizer, 2, {"val/acc": 0.9})
    assert best_checkpoint(tmp_path).name == "best.pt"
    assert latest_checkpoint(tmp_path).name == "epoch-10.pt"  # best.pt is not "latest"


def test_wrapped_models_save_plain_keys(tmp_path):
    model, _ = make()
    compiled = type("OptimizedModule", (torch.nn.Module,), {})()
    compiled._orig_mod = model  # what torch.compile's wrapper looks like
    path = save_checkpoint(tmp_path / "c.pt", compiled, None, 0, {})
    state = load_checkpoint(path)
    assert set(state["model"]) == set(model.state_dict())  # no "_orig_mod." prefixes

"""Scoring the CNN on a split (validation or test), shared out over the processes."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from text_pictures import images_side_by_side
from workers import Workers


@torch.no_grad()
def evaluate(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, workers: Workers, autocast, batch: int = 1000) -> dict:
    """Loss, accuracy and confusion matrix of `net` on (x, y), shared out over the processes.

    Each process scores its own slice; the sums are added up across processes at the end.
    `net` is the plain model, not the DDP wrapper: the slices may differ in size, and DDP would
    wait for the same number of forward passes on every process.
    """
    net.eval()
    mine_x, mine_y = x[workers.rank :: workers.world_size], y[workers.rank :: workers.world_size]
    confusion = torch.zeros(10, 10, dtype=torch.float64, device=x.device)
    loss_sum = torch.zeros(1, dtype=torch.float64, device=x.device)
    predicted, confidence = [], []
    for i in range(0, len(mine_y), batch):
        with autocast():
            logits = net(mine_x[i : i + batch]).float()
        target = mine_y[i : i + batch]
        loss_sum += F.cross_entropy(logits, target, reduction="sum").double()
        probs = logits.softmax(dim=1)
        conf, pred = probs.max(dim=1)
        confusion += torch.bincount(target * 10 + pred, minlength=100).view(10, 10).double()
        predicted.append(pred)
        confidence.append(conf)
    workers.sum(confusion)
    workers.sum(loss_sum)
    net.train()
    total = confusion.sum().item()
    return {
        "loss": loss_sum.item() / max(total, 1),
        "acc": confusion.trace().item() / max(total, 1),
        "confusion": confusion.long().cpu(),
        # this process's slice only: enough to pick a few mistakes to show
        "predicted": torch.cat(predicted).cpu() if predicted else torch.zeros(0, dtype=torch.long),
        "confidence": torch.cat(confidence).float().cpu() if confidence else torch.zeros(0),
    }


def misclassified_text(raw_images, labels: torch.Tensor, result: dict, workers: Workers, count: int = 6) -> str:
    """The `count` mistakes the model was most sure about, drawn with shade characters."""
    mine = torch.arange(workers.rank, len(labels), workers.world_size)
    truth = labels.cpu()[mine]
    wrong = (result["predicted"] != truth).nonzero().flatten()
    wrong = wrong[result["confidence"][wrong].argsort(descending=True)][:count]
    if len(wrong) == 0:
        return "(no mistakes)"
    images = [raw_images[int(mine[i])] for i in wrong]
    captions = [f"{int(truth[i])} → said {int(result['predicted'][i])} {result['confidence'][i]:.0%}" for i in wrong]
    return "true digit → what the model said, and how sure it was\n" + images_side_by_side(images, captions)

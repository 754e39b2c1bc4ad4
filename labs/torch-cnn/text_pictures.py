"""Pictures made of characters, for the terminal: a confusion matrix and small images.

Both return plain strings; the lab sends them as `artifact` events, which the TUI shows as is.
"""

from __future__ import annotations

# From light to dark; one character covers two image rows (a terminal cell is about twice as tall
# as it is wide), so a 28x28 digit becomes 28 columns x 14 lines and still looks square.
SHADES = " ░▒▓█"


def confusion_matrix_text(matrix, class_names: list[str] | None = None) -> str:
    """A count table: row = the true class, column = what the model said. Diagonal = correct."""
    rows = [[int(v) for v in row] for row in matrix]
    n = len(rows)
    names = class_names or [str(i) for i in range(n)]
    width = max(5, max(len(str(v)) for row in rows for v in row) + 1)
    label = max(len("true\\said"), max(len(s) for s in names))
    lines = ["true\\said".ljust(label) + "".join(s[: width - 1].rjust(width) for s in names) + "   recall"]
    for i, row in enumerate(rows):
        total = sum(row)
        recall = row[i] / total if total else 0.0
        # Off-diagonal cells are where the mistakes are: mark the non-zero ones so they stand out.
        cells = "".join((str(v) if v or j == i else "·").rjust(width) for j, v in enumerate(row))
        lines.append(names[i].ljust(label) + cells + f"   {recall:6.1%}")
    correct = sum(rows[i][i] for i in range(n))
    total = sum(map(sum, rows))
    lines.append(f"accuracy {correct}/{total} = {correct / max(total, 1):.2%}")
    return "\n".join(lines)


def image_text(image, crop: int = 2) -> list[str]:
    """A 2-D array of 0..1 (or 0..255) values as lines of shade characters, two rows per line.

    `crop` pixels are cut from every edge: MNIST digits sit inside a blank 4-pixel border.
    """
    pixels = [[float(v) for v in row[crop : len(row) - crop]] for row in image[crop : len(image) - crop]]
    top = max(max(row) for row in pixels) or 1.0
    scale = 1.0 if top <= 1.0 else 255.0
    lines = []
    for r in range(0, len(pixels) - 1, 2):
        line = ""
        for a, b in zip(pixels[r], pixels[r + 1]):
            level = (a + b) / (2 * scale)
            line += SHADES[min(len(SHADES) - 1, int(level * len(SHADES)))]
        lines.append(line)
    return lines


def images_side_by_side(images, captions: list[str], per_row: int = 3, gap: int = 2) -> str:
    """Images in rows of `per_row` (3 x 24 columns fits an 80-column pane), captions underneath."""
    drawn = [image_text(img) for img in images]
    if not drawn:
        return "(none)"
    width = max(max(len(lines[0]) for lines in drawn), max(len(c) for c in captions))
    spacer = " " * gap
    lines = []
    for first in range(0, len(drawn), per_row):
        group, names = drawn[first : first + per_row], captions[first : first + per_row]
        lines += [spacer.join(d[row].ljust(width) for d in group) for row in range(len(group[0]))]
        lines.append(spacer.join(c.ljust(width) for c in names))
    return "\n".join(line.rstrip() for line in lines)

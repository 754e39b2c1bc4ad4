"""The Review area: the pane (pane.py), the card view, statistics, the card browser, and `dltui review`'s own app."""

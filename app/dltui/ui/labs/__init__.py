"""The Labs area: the pane (pane.py) and the widgets it is made of."""

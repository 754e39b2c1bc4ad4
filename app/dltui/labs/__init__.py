"""Labs: separate training programs that dltui starts, watches and plots through files.

registry (which labs exist) · params (their parameters) · process (detached processes) ·
runner (runs: start, stop, re-attach) · events/monitor/series (reading and plotting a run) ·
exercise (fill-in-the-blanks mode) · gpu (nvidia-smi) · commands (`dltui lab ...`).
The modules import nothing heavy; nothing here imports textual or torch.
"""

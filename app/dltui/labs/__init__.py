"""Labs: separate training programs that dltui starts, watches and plots through files.

registry (which labs exist) · params (their parameters) · process (detached processes) ·
run_folder (a run's files) · runner (runs: start, stop, re-attach) · open (the runner with its
finish hooks, built once) · watch (what a view watches, tick by tick) · events/monitor/series
(reading and plotting a run) · exercise (fill-in-the-blanks mode) · gpu (nvidia-smi) ·
commands (`dltui lab ...`). The modules import nothing heavy; nothing here imports textual or torch.
"""

"""A Labs refresh only reads: it completes while another process holds the database's write lock.

The store's `read()` opens a deferred transaction, which in WAL mode never waits on a writer;
a write on the refresh path would wait the busy timeout (30 s) with the TUI frozen.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from dltui.context import StudyContext
from dltui.ui.app import DltuiApp
from dltui.ui.labs.pane import LabsPane
from textual.widgets import OptionList

HOLDER = """
import sqlite3, sys
from dltui.labs import records
from dltui.store import Store
from dltui.store.models import LabRun, RunStatus

db, run_dir = sys.argv[1], sys.argv[2]
store = Store(db)
records.add_run(store, LabRun(id="added-then-locked", lab_id="steady", status=RunStatus.OK, run_dir=run_dir))
store.close()
holder = sqlite3.connect(db, isolation_level=None)
holder.execute("BEGIN IMMEDIATE")  # the write lock, held until the test says so
print("locked", flush=True)
sys.stdin.readline()
holder.rollback()
"""


@contextmanager
def write_lock(lab_settings):
    """Another process adds a run, then holds the write lock until the test ends."""
    run_dir = lab_settings.runs_dir / "added-then-locked"
    run_dir.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lab_settings.db_path), str(run_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def run_list_ids(app) -> list[str]:
    runs = app.query_one("#run-list", OptionList)
    return [runs.get_option_at_index(i).id for i in range(runs.option_count)]


async def test_a_labs_refresh_completes_while_another_process_holds_the_write_lock(lab_settings):
    context = StudyContext.open(settings=lab_settings)
    app = DltuiApp(context, start_area="labs")
    try:
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            pane = app.query_one(LabsPane)
            while not pane.ready:
                await pilot.pause(0.05)
            assert run_list_ids(app) == []
            with write_lock(lab_settings):  # a write in here would wait 30 s
                await see_the_new_run_read_under_the_lock(app, pilot, lab_settings)
    finally:
        context.close()


async def see_the_new_run_read_under_the_lock(app, pilot, lab_settings) -> None:
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        sqlite3.connect(lab_settings.db_path, timeout=0.1).execute("BEGIN IMMEDIATE")
    deadline = time.monotonic() + 10
    while "added-then-locked" not in run_list_ids(app) and time.monotonic() < deadline:
        await pilot.pause(0.1)
    assert run_list_ids(app) == ["added-then-locked"], "the run list was not read again under the lock"
    await pilot.pause(0.6)  # a few more ticks, all under the lock
    assert "could not update" not in str(app.query_one("#labs-notice").content)
    assert not [t for t in app.screen.query("Toast") if "Labs:" in str(t.render())]

"""Exercise credit: a passed grader is evidence for exactly what its checks declare, nothing more.

The numpy-mlp grader runs for real (a subprocess, on the tiny data it generates itself), grading
the reference solution copied into the learner's workspace.
"""

import shutil

import pytest
from dltui.labs.exercise import prepare_workspace, start_grader
from dltui.labs.open import open_runner
from dltui.labs.registry import LabFileError, load_lab
from dltui.srs.mastery import topic_mastery
from dltui.store.models import AssessmentLevel, KnowledgeGap, RunStatus
from dltui.tutor.tools import ToolBox
from sqlmodel import select

MLP_LAB = "numpy-mlp"


def test_passing_the_mlp_exercise_raises_exactly_the_declared_topics_and_keeps_the_gap(context):
    tools = ToolBox(context, assessor="offline")
    assert not tools.run(
        "record_assessment",
        {"topic_id": "gradient-descent", "level": "needs_work", "confidence": 0.7, "evidence": "could not say why the loss diverged"},
    ).is_error
    assert not tools.run(
        "log_gap", {"topic_id": "gradient-descent", "description": "thinks a larger step is always faster", "severity": "high"}
    ).is_error
    before = topic_mastery(context)

    runner = open_runner(context.settings, context.store)
    lab = runner.registry.get(MLP_LAB)
    declared = lab.exercise.checks
    assert declared, "numpy-mlp's lab.toml declares the topics of each grader check"
    expected = {topic for topics in declared.values() for topic in topics}
    edit = prepare_workspace(lab, context.settings.workspace_dir)
    shutil.copy2(lab.folder / "mlp.py", edit)  # the learner's finished work: the reference solution
    run = runner.wait(start_grader(runner, lab, context.settings.workspace_dir), timeout=120)
    assert run.status is RunStatus.OK and run.passed is True, (run.status, run.final_metrics)
    after = topic_mastery(context)

    raised = {t for t in after if after[t].fraction > before[t].fraction + 1e-9}
    assert raised == expected
    assert not expected & {"image-classification", "loss-functions", "weight-initialization", "numerical-stability"}
    # The tutor's newer, contrary verdict still stands, and the gap is still open.
    assert after["gradient-descent"].assessment is AssessmentLevel.NEEDS_WORK
    assert after["gradient-descent"].fraction < 0.5
    with context.store.session() as session:
        gap = session.exec(select(KnowledgeGap)).one()
    assert gap.resolved_at is None
    # No topic reads "strong" because of the pass alone.
    assert all(after[t].assessment is not AssessmentLevel.STRONG for t in expected)


def test_a_check_declaring_something_other_than_topic_ids_is_refused_naming_file_and_field(tmp_path):
    folder = tmp_path / "adder"
    (folder / "exercise").mkdir(parents=True)
    (folder / "exercise" / "answer.py").write_text("def add(a, b):\n    raise NotImplementedError\n")
    (folder / "lab.toml").write_text(
        'id = "adder"\ncommand = ["{python}", "-c", "pass"]\n[exercise]\nedit = "answer.py"\n'
        'grader = ["{python}", "grade.py"]\n[exercise.checks]\nadds = "backpropagation"\n'
    )
    with pytest.raises(LabFileError) as caught:
        load_lab(folder)
    assert str(folder / "lab.toml") in str(caught.value) and "exercise.checks.adds" in str(caught.value)
    (folder / "lab.toml").write_text(
        'id = "adder"\ncommand = ["{python}", "-c", "pass"]\n[exercise]\nedit = "answer.py"\n'
        'grader = ["{python}", "grade.py"]\n[exercise.checks]\nadds = ["backpropagation"]\n'
    )
    assert load_lab(folder).exercise.checks == {"adds": ("backpropagation",)}

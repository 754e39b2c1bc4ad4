# Two commands on a fresh machine with Python 3.11+:  make run   and   make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# Extras installed for development and CI: everything, pinned by constraints.txt (for learners
# labs = torch and the FSRS optimizer, mlflow = run tracking; both optional).
EXTRAS ?= dev,mlflow,labs
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
comma  := ,

.PHONY: run test lint bench install clean doctor check-curriculum eval

run: install
	$(BIN)/dltui

# Four workers on two cores: most tests wait on lab processes, the fake API or a redraw, not the CPU.
# Modules with a costly shared fixture keep to one worker (pytest.mark.xdist_group).
TEST_WORKERS ?= 4
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Lint (ruff: pyflakes, pycodestyle, bugbear, import order; the format check), then the type check (mypy, strict on the
# domain packages; both configured in pyproject.toml); .ci/run runs it before the tests.
lint: install
	$(BIN)/ruff check app tests labs bench
	$(BIN)/ruff format --check app tests labs bench
	$(BIN)/mypy

# Benchmarks read the real MNIST from the shared folder beside the checkout when it exists.
bench: install
	DLTUI_DATASETS="$${DLTUI_DATASETS:-$(abspath $(wildcard ../shared/datasets))}" $(BIN)/python bench/run_all.py

doctor: install
	$(BIN)/dltui doctor

check-curriculum: install
	$(BIN)/dltui curriculum check

# The tutor eval: every seeded-mistake dialogue through the offline tutor (TUTOR=claude for Claude).
eval: install
	$(BIN)/dltui tutor eval --tutor $${TUTOR:-offline} --json data/eval/tutor-eval-$${TUTOR:-offline}.json

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	@rm -f $(VENV)/.installed-*
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache

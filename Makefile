# LatentLab: `make run` starts the dashboard on the demo data, `make test` runs the tests.
PYTHON ?= python3
PORT ?= 8501

.PHONY: install install-dev run test test-fast bench

# torch is installed on its own first: an existing torch 2.x (>= 2.6) is kept as it is.
install:
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PYTHON) -m pip install "torch==2.13.0"
	$(PYTHON) -m pip install -q -e .

install-dev:
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PYTHON) -m pip install "torch==2.13.0"
	$(PYTHON) -m pip install -q -e ".[dev,text,ray,onnx,notebook,figures,auth,tracking,docs]"

run: install
	$(PYTHON) -m streamlit run app.py --server.port $(PORT)

test: install-dev
	$(PYTHON) -m pytest -q

test-fast: install-dev
	$(PYTHON) -m pytest -q -m "not e2e"

bench: install
	$(PYTHON) benchmarks/cli_loop.py
	$(PYTHON) benchmarks/job_overhead.py

# the documentation site (mkdocs.yml, docs/) served at http://127.0.0.1:8000, rebuilt as its pages change
.PHONY: docs
docs: install
	$(PYTHON) -m pip install -q -e ".[docs]"
	$(PYTHON) -m mkdocs serve

# The two commands of the README. Each sets up what it needs first (scripts/setup.sh).
.PHONY: demo test setup bench clean

export GRADIO_ANALYTICS_ENABLED := False
export BMD_SERVER_PYTHON := $(CURDIR)/.venv/server/bin/python
export BMD_SERVER_PYTHON_GRADIO6 := $(CURDIR)/.venv/server-gradio6/bin/python

demo:
	bash scripts/setup.sh client server
	.venv/client/bin/python scripts/demo.py

test:
	bash scripts/setup.sh client server server-gradio6
	.venv/client/bin/python -m pytest

setup:
	bash scripts/setup.sh

bench:
	bash scripts/setup.sh client server
	.venv/client/bin/python scripts/bench_client.py

clean:
	rm -rf .venv demo_output .pytest_cache

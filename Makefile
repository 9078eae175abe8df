# The two commands of the README. Each sets up what it needs first (scripts/setup.sh).
.PHONY: demo test setup bench extension clean

export GRADIO_ANALYTICS_ENABLED := False
export BMD_SERVER_PYTHON := $(CURDIR)/.venv/server/bin/python
export BMD_SERVER_PYTHON_GRADIO6 := $(CURDIR)/.venv/server-gradio6/bin/python

demo:
	bash scripts/setup.sh server blender-5.0
	.venv/blender-5.0/bin/python scripts/demo.py

# lint and types, the client and server suites, then the add-on in the bpy module 4.2 LTS, 4.5 LTS and
# 5.0, then the extension zips built, validated and installed by each of those Blenders (wheels from
# PyPI, cached in build/), the real program, and last the benchmark's quick run (fails on a crash only)
test:
	bash scripts/setup.sh
	.venv/client/bin/ruff check .
	.venv/client/bin/mypy
	.venv/client/bin/python -m pytest -m "not program"
	.venv/blender-4.2/bin/python -m pytest tests/blender
	.venv/blender-4.5/bin/python -m pytest tests/blender
	.venv/blender-5.0/bin/python -m pytest tests/blender
	.venv/blender-4.5/bin/python -m pytest tests/packaging
	.venv/blender-5.0/bin/python -m pytest tests/packaging
	bash scripts/real_blender.sh
	.venv/blender-5.0/bin/python scripts/build_extension.py
	.venv/client/bin/python -m pytest -m program tests/program
	.venv/client/bin/python scripts/bench.py --quick

# the README's pictures, taken in the real Blender program (Debian's 4.3 in a chroot, on Xvfb): docs/screenshots/
.PHONY: screenshots
screenshots:
	bash scripts/setup.sh client server blender-5.0
	bash scripts/real_blender.sh
	.venv/blender-5.0/bin/python scripts/build_extension.py
	.venv/client/bin/python scripts/screenshots.py

setup:
	bash scripts/setup.sh

# every figure against its reference, measured in the same run (client, server, bpy 5.0, and the real
# program where scripts/real_blender.sh has set it up); writes build/bench/latest.json.
# ARGS="--compare old.json" compares with an earlier run; ARGS="--quick" is what `make test` runs
bench:
	bash scripts/setup.sh client server blender-5.0
	.venv/client/bin/python scripts/bench.py $(ARGS)

# the zips users install: build/extension/dist/*.zip
extension:
	bash scripts/setup.sh blender-5.0
	.venv/blender-5.0/bin/python scripts/build_extension.py

clean:
	rm -rf .venv demo_output .pytest_cache build

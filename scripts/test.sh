#!/usr/bin/env bash
# The test command: installs everything (scripts/setup.sh), then lint and the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
ruff check .
python -m pytest -q "$@"

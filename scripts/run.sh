#!/usr/bin/env bash
# The main job: the monoped learning online through simulator, controller and learner (MuJoCo, CPU).
# Extra arguments go to `svg-control launch` (e.g. --duration 600, or another task name first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
  exec svg-control launch "$@"
fi
exec svg-control launch monoped "$@"

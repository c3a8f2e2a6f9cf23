#!/usr/bin/env bash
# Create .venv and install svg_control with everything the main job and the tests need.
# On a machine where ROS 2 is sourced (ROS_DISTRO set) rclpy comes from there and the
# PyPI ROS wheels are not installed; use `colcon build` for the full ROS path.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip
extras="dev,render,view"
if [ -z "${ROS_DISTRO:-}" ]; then
  extras="ros,$extras"
fi
# torch==2.13.0 is pinned in setup.py: a looser pin would pull a multi-GB CUDA build.
python -m pip install -q -e ".[${extras}]"
# Offscreen rendering needs an EGL or OSMesa GL library; install it when we may (root + apt).
if ! ldconfig -p 2>/dev/null | grep -qE 'libEGL_mesa|libOSMesa'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libegl-mesa0 libosmesa6 libgl1 \
      >/dev/null) || echo "setup: could not install libegl-mesa0/libosmesa6; rendering will be unavailable" >&2
  else
    echo "setup: install libegl-mesa0 or libosmesa6 for offscreen rendering (svg-control render)" >&2
  fi
fi
# The real ROS 2 launch system and command line (ros2 launch/topic/param, colcon), where no ROS 2 install
# provides them: from the pure-Python sources beside the repository (../shared/vendor/ros2), when present.
# test/test_ros_launch.py uses them and is skipped, saying why, where they are missing.
if [ -z "${ROS_DISTRO:-}" ] && [ ! -x .venv/bin/ros2 ] && [ -f ../shared/tools/ros2-cli-install ]; then
  bash ../shared/tools/ros2-cli-install || echo "setup: the ROS 2 command line could not be installed" >&2
fi
# Headless Chromium for the live view's browser test (Playwright drives Debian's; it never downloads one).
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "setup: could not install chromium; the live view's browser test will be skipped" >&2
fi

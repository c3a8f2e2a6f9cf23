"""The live view (nodes/monitoring/viewer.py): what the nodes publish reaches Rerun's web viewer, seen in a real
browser.

A viewer node on the monoped takes episode returns, learner diagnostics and joint_states over real DDS and
logs them (the curves under returns/ and learner/, the robot's bodies and links under robot/); then headless
Chromium (Debian's, driven by Playwright, offline) opens the page and must show the viewer drawing
something that an empty viewer does not: a screenshot after the data differs from one of the same page with
no data. Skipped, with the reason, where Rerun, Playwright or Chromium is missing (``scripts/setup.sh``
installs them for the tests).
"""
from __future__ import annotations

import shutil
import socket
import time

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64
from test_nodes_support import Probe, pick_domain

from svg_control.nodes.interface import qos, topics

pytest.importorskip("rerun", reason="the live view's optional extra (pip install -e .[view])")
DOMAIN = pick_domain()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def viewer(ros):
    from svg_control.nodes.monitoring.viewer import ViewerNode

    node = ros.make(ViewerNode, {"task": "monoped", "web_port": free_port(), "grpc_port": free_port()})
    yield node
    ros.remove(node)


def feed(ros, viewer) -> None:
    """Returns, learner diagnostics and a moving monoped, as the node set publishes them."""
    probe = ros.add(Probe(ros.context, f"view_probe_{len(viewer.logged)}"))
    returns = probe.create_publisher(Float64, topics.EPISODE_RETURN, qos.PLOT)
    joints = probe.create_publisher(JointState, topics.JOINT_STATES, qos.JOINT_STATES)
    diagnostics = probe.create_publisher(DiagnosticArray, topics.DIAGNOSTICS, qos.DIAGNOSTICS)
    assert ros.spin_until(lambda: returns.get_subscription_count() and joints.get_subscription_count()
                          and diagnostics.get_subscription_count())
    names = list(viewer.robot.qpos_of)
    before = dict(viewer.logged)

    def grew(path: str) -> int:
        return viewer.logged.get(path, 0) - before.get(path, 0)

    for k in range(20):
        returns.publish(Float64(data=-800.0 + 50.0 * k))
        status = DiagnosticStatus(name="/learner", values=[KeyValue(key="loss/critic_loss", value=str(1.0 / (k + 1))),
                                                           KeyValue(key="alpha", value=str(0.1 - 0.002 * k)),
                                                           KeyValue(key="task", value="monoped")])
        diagnostics.publish(DiagnosticArray(status=[status]))
        pose = JointState(name=names, position=[0.1 * np.sin(0.3 * k + i) for i in range(len(names))])
        joints.publish(pose)
        ros.spin_for(0.05)
    assert ros.spin_until(lambda: grew("returns/episode_return") == 20 and grew("learner/loss/critic_loss") == 20
                          and grew("robot/links") >= 1), viewer.logged
    assert "learner/task" not in viewer.logged  # text values are not curves


def test_the_viewer_logs_curves_and_the_robot(ros, viewer):
    assert viewer.robot.model is not None and len(viewer.robot.edges) >= 4  # torso, thigh, shin, foot, toe
    feed(ros, viewer)


def test_the_page_shows_the_data_in_headless_chromium(ros, viewer, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright for Python (pip install playwright)")
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine (scripts/setup.sh installs Debian's as root)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(viewer.url, timeout=60_000)
        page.wait_for_selector("canvas", timeout=60_000)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            ros.spin_for(0.2)
            page.wait_for_timeout(300)
        empty = page.screenshot(path=str(tmp_path / "empty.png"))
        feed(ros, viewer)
        deadline = time.monotonic() + 30
        changed = 0.0
        while time.monotonic() < deadline and changed < 0.01:
            ros.spin_for(0.2)
            page.wait_for_timeout(500)
            shot = page.screenshot(path=str(tmp_path / "view.png"))
            changed = pixel_change(empty, shot)
        title = page.title()
        browser.close()
    assert "rerun" in title.lower(), title
    assert changed >= 0.01, f"the page did not change after the data arrived ({changed:.4f} of pixels)"


def pixel_change(before: bytes, after: bytes) -> float:
    """Share of pixels that differ between two PNG screenshots of the same size."""
    import io

    from matplotlib import image

    a = image.imread(io.BytesIO(before), format="png")
    b = image.imread(io.BytesIO(after), format="png")
    return float(np.mean(np.any(np.abs(a - b) > 0.02, axis=-1)))


def test_view_true_starts_the_viewer_with_the_node_set(tmp_path):
    """svg-control launch --view true: a fourth node serves the page while the others learn."""
    import subprocess
    import sys
    import urllib.request

    from test_nodes_support import node_env

    web, grpc = free_port(), free_port()
    log = tmp_path / "launch.log"
    proc = subprocess.Popen([sys.executable, "-m", "svg_control.nodes.bringup.launcher", "point_mass",
                             "--duration", "60", "--run_dir", str(tmp_path / "run"), "--view", "true",
                             "--param", f"viewer.web_port={web}", "--param", f"viewer.grpc_port={grpc}"],
                            env=node_env(DOMAIN), stdout=log.open("w"), stderr=subprocess.STDOUT, text=True)
    try:
        deadline, status = time.monotonic() + 45, None
        while time.monotonic() < deadline and not (status == 200 and "live view of" in log.read_text()):
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{web}/", timeout=2).status
            except OSError:
                time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    out = log.read_text()
    assert status == 200, out[-3000:]
    assert f"live view of point_mass: open http://localhost:{web}/" in out, out[-3000:]
    assert proc.returncode == 0 and "Traceback" not in out, out[-3000:]

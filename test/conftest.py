"""Shared fixtures: one torch thread (2-core CI machine) and a float64 switch for gradient checks.

torch's compiler is switched off for the suite and the processes it starts (``TORCH_COMPILE_DISABLE``, read when
torch is imported): sac-svg compiles its update by default, and tens of seconds of compiling in every test that
builds one would double the suite. The compiled update's own tests switch it back on (``compiler``).
"""
from __future__ import annotations

import os

os.environ.setdefault("TORCH_COMPILE_DISABLE", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Every test starts on one torch thread: a learner node built in-process sets its own (``threads``)."""
    torch.set_num_threads(1)
    yield


@pytest.fixture
def float64():
    """Run a test with float64 as torch's default dtype (gradient comparisons need it)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


@pytest.fixture(scope="module")
def ros(request):
    """One rclpy context per node-test module, on that module's own ROS_DOMAIN_ID (``DOMAIN``)."""
    from test_nodes_support import Ros

    r = Ros(request.module.DOMAIN)
    yield r
    r.close()


@pytest.fixture
def probe(ros):
    """A test node on the other end of the node under test."""
    from test_nodes_support import Probe

    p = ros.add(Probe(ros.context))
    yield p
    ros.remove(p)


@pytest.fixture
def compiler(monkeypatch):
    """torch's compiler on for one test, in this process and in those it starts."""
    import torch._dynamo

    monkeypatch.delenv("TORCH_COMPILE_DISABLE", raising=False)
    with torch._dynamo.config.patch(disable=False):
        yield

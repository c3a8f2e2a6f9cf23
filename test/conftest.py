"""Shared fixtures: one torch thread (2-core CI machine) and a float64 switch for gradient checks."""
from __future__ import annotations

import pytest
import torch

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

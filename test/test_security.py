"""Security: nothing is unpickled or evaluated, weights are hash-checked over DDS, DDS security fails closed.

* A static scan (Python's ``ast``, so comments and docstrings that *say* "pickle" do not count) of the
  package, launch files, benchmarks and tests: no pickle-family imports, no ``eval``/``exec``, no
  ``torch.load`` without ``weights_only=True``, no ``yaml.load`` without a safe loader (nor
  ``full_load``/``unsafe_load``), no ``np.load(allow_pickle=True)``, no ``shell=True``.
* Weights tampered with on the wire (over real DDS, to a controller in this process) are refused by
  the content hash and the running policy is untouched. The hash is an integrity check, not an
  authentication: a forger who recomputes it is accepted, which this test shows on purpose;
  authenticity and confidentiality are DDS Security's job (docs/SECURITY.md).
* ``ROS_SECURITY_ENABLE=true`` + ``ROS_SECURITY_STRATEGY=Enforce``: a node whose enclave is missing, or
  whose DDS cannot do security (the PyPI wheels' Fast DDS is built without it), refuses to start; it
  never runs unsecured.
"""
from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

import pytest
import torch
from std_msgs.msg import UInt8MultiArray
from test_nodes_support import REPO, Probe, node_command, node_env, node_policy, pick_domain

from svg_control.core.policy import GaussianPolicy
from svg_control.core.serialization import _digest, policy_to_bytes
from svg_control.core.toy import point_mass
from svg_control.nodes.interface import qos
from svg_control.nodes.robot.robot_controller import RobotControllerNode

DOMAIN = pick_domain()
SPEC = point_mass().spec
SCANNED = ("svg_control", "launch", "benchmarks", "test", "setup.py")
FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "shelve", "marshal", "joblib"}


def python_files() -> list[Path]:
    files: list[Path] = []
    for entry in SCANNED:
        path = REPO / entry
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return ""


def keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def violations(source: str, where: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        line = f"{where}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            found += [f"{line}: import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in FORBIDDEN_MODULES:
            found.append(f"{line}: from {node.module} import")
        elif isinstance(node, ast.Call):
            name = dotted(node.func)
            if name in ("eval", "exec", "builtins.eval", "builtins.exec", "__import__"):
                found.append(f"{line}: {name}()")
            elif name.endswith("torch.load"):
                weights_only = keyword(node, "weights_only")
                if not (isinstance(weights_only, ast.Constant) and weights_only.value is True):
                    found.append(f"{line}: torch.load without weights_only=True")
            elif name in ("yaml.load", "yaml.load_all"):
                loader = keyword(node, "Loader") or (node.args[1] if len(node.args) > 1 else None)
                if not dotted(loader or ast.Name("")).endswith(("SafeLoader", "CSafeLoader")):
                    found.append(f"{line}: {name} without SafeLoader")
            elif name in ("yaml.unsafe_load", "yaml.full_load", "yaml.unsafe_load_all", "yaml.full_load_all"):
                found.append(f"{line}: {name}")
            elif name.endswith(("np.load", "numpy.load")):
                allow = keyword(node, "allow_pickle")
                if isinstance(allow, ast.Constant) and allow.value is True:
                    found.append(f"{line}: np.load(allow_pickle=True)")
            shell = keyword(node, "shell")
            if isinstance(shell, ast.Constant) and shell.value is True:
                found.append(f"{line}: shell=True")
    return found


def test_scanner_catches_what_it_looks_for():
    bad = ("import pickle\nfrom dill import loads\nimport torch, yaml, numpy as np, subprocess\n"
           "eval('1')\nexec('x=1')\ntorch.load('f')\ntorch.load('f', weights_only=False)\nyaml.load(s)\n"
           "yaml.load(s, Loader=yaml.Loader)\nyaml.unsafe_load(s)\nnp.load('f', allow_pickle=True)\n"
           "subprocess.run('ls', shell=True)\n")
    assert len(violations(bad, "bad.py")) == 11, violations(bad, "bad.py")
    good = ("import torch, yaml, numpy as np\n'''never pickle'''\n# pickle.loads(x)\nmodel.eval()\n"
            "torch.load('f', weights_only=True)\nyaml.safe_load(s)\nyaml.load(s, Loader=yaml.SafeLoader)\n"
            "np.load('f')\n")
    assert violations(good, "good.py") == []


def test_no_pickle_eval_or_unsafe_loaders_anywhere():
    files = python_files()
    assert len(files) > 30, files
    found = [v for f in files for v in violations(f.read_text(), str(f.relative_to(REPO)))]
    assert found == [], "\n".join(found)


# -- weights over DDS --------------------------------------------------------------------------------------
def policy() -> GaussianPolicy:
    return node_policy()


def header(blob: bytes) -> tuple[int, dict]:
    n = int.from_bytes(blob[:8], "little")
    return n, json.loads(blob[8:8 + n])


def with_header(blob: bytes, new_header: dict) -> bytes:
    n, _ = header(blob)
    text = json.dumps(new_header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + blob[8 + n:]


def test_tampered_weights_refused_over_dds(ros):
    probe = ros.add(Probe(ros.context))
    ctrl = ros.make(RobotControllerNode, {"task": "point_mass", "watchdog_timeout": 60.0})
    pub = probe.create_publisher(UInt8MultiArray, "policy_weights", qos.POLICY_WEIGHTS)
    assert ros.spin_until(lambda: pub.get_subscription_count() > 0)
    genuine = policy()
    blob = policy_to_bytes(genuine, 1)
    pub.publish(UInt8MultiArray(data=blob))
    assert ros.spin_until(lambda: ctrl.runner.version == 1)
    reference = {k: v.clone() for k, v in ctrl.runner.policy.state_dict().items()}

    def send(data: bytes) -> None:
        n = ctrl.counters["weights_rejected"] + ctrl.counters["weights_loaded"]
        pub.publish(UInt8MultiArray(data=data))
        assert ros.spin_until(lambda: ctrl.counters["weights_rejected"] + ctrl.counters["weights_loaded"] > n, 10.0)

    # 1) one weight changed in transit, metadata (and its hash) kept: refused
    n, head = header(blob)
    name = next(k for k in head if k != "__metadata__" and len(head[k]["shape"]) == 2)
    start = 8 + n + head[name]["data_offsets"][0]
    tampered = bytearray(blob)
    tampered[start:start + 4] = torch.tensor([123.0], dtype=torch.float32).numpy().tobytes()
    meta = dict(head["__metadata__"], version="2")
    send(with_header(bytes(tampered), dict(head, __metadata__=meta)))
    # 2) a wrong hash written into the metadata of genuine weights: refused
    send(with_header(blob, dict(head, __metadata__=dict(meta, sha256="0" * 64))))
    # 3) the hash removed: refused
    send(with_header(blob, dict(head, __metadata__={k: v for k, v in meta.items() if k != "sha256"})))
    assert ctrl.counters["weights_rejected"] == 3 and ctrl.runner.version == 1
    for k, v in ctrl.runner.policy.state_dict().items():
        assert torch.equal(v, reference[k])

    # the documented limit: the hash is not a signature. A forger who recomputes it is accepted;
    # only DDS Security (authenticated, access-controlled writers) keeps forgers off the topic.
    forged = policy()
    with torch.no_grad():
        next(p for p in forged.parameters() if p.dim() == 2).mul_(-1.0)
    forged_blob = policy_to_bytes(forged, 7)
    tensors = {k: v.detach().clone() for k, v in forged.state_dict().items()}
    assert header(forged_blob)[1]["__metadata__"]["sha256"] == _digest(tensors)
    send(forged_blob)
    assert ctrl.runner.version == 7 and ctrl.counters["weights_loaded"] == 2
    ros.remove(ctrl)
    ros.remove(probe)


# -- DDS security: fails closed ------------------------------------------------------------------------------
@pytest.mark.timeout(120)
def test_enforced_security_never_runs_unsecured(tmp_path):
    keystore = tmp_path / "keystore"
    enclave = keystore / "enclaves" / "svg_control" / "simulator"
    enclave.mkdir(parents=True)
    for f in ("cert.pem", "key.pem", "identity_ca.cert.pem", "permissions_ca.cert.pem", "governance.p7s",
              "permissions.p7s"):
        (enclave / f).write_text("placeholder: not a valid certificate\n")
    secure = {"ROS_SECURITY_ENABLE": "true", "ROS_SECURITY_STRATEGY": "Enforce",
              "ROS_SECURITY_KEYSTORE": str(keystore)}
    base = node_command("simulator", {"task": "point_mass"})
    runs = {
        "no enclave": base + ["--enclave", "/svg_control/missing"],
        "enclave": base + ["--enclave", "/svg_control/simulator"],
    }
    procs = {k: subprocess.Popen(cmd, env=node_env(DOMAIN, **secure), stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True) for k, cmd in runs.items()}
    for what, proc in procs.items():
        try:
            out, _ = proc.communicate(timeout=100)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            pytest.fail(f"{what}: a node ran with security enforced and an unusable keystore:\n{out}")
        assert proc.returncode != 0, out
        assert "simulating" not in out, f"{what}: the simulator started\n{out}"
        assert "SECURITY" in out.upper(), out

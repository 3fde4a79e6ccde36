"""The sandbox alone: a pool of pre-warmed workers running tiny jobs (no bank setup, no course data)."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from kenali.grading.run import Limits, Pool, parse_payload

LIMITS = Limits(timeout=2.5, cell_timeout=0.5, memory_mb=256)


def job(*cells: str, targets: dict[str, tuple[str, int | None]] | None = None) -> list[dict]:
    """One notebook: ``cells`` in order; ``targets`` maps exercise id -> (variable, answer cell index)."""
    return [{
        "bank": "none.yaml", "notebook": "t.ipynb", "cells": list(cells), "skip": [False] * len(cells),
        "targets": [{"id": i, "variable": v, "cell": c, "alt": None} for i, (v, c) in (targets or {}).items()],
    }]


def run(pool: Pool, notebooks: list[dict], key: object = "k", wait: float = 30.0):
    pool.submit(key, notebooks)
    end = time.monotonic() + wait
    while time.monotonic() < end:
        for got_key, result in pool.poll(0.5):
            assert got_key == key
            return result
    raise AssertionError("no result")


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    data = tmp_path_factory.mktemp("no-data")
    with Pool(1, {}, data, LIMITS) as p:
        yield p


def test_tiny_job(pool):
    res = run(pool, job("x = 6 * 7", 'jawaban = x\ncek("9.1", jawaban)\nprint("100/100")', "y = 'not run?'",
                        targets={"9.1": ("jawaban", 1), "9.2": ("y", 2)}))
    assert res.error is None and res.fatal is None and res.exit == 0 and not res.timed_out
    one, two = res.answers[(0, "9.1")], res.answers[(0, "9.2")]
    assert (one["via"], one["plain"]) == ("cek", {"kind": "number", "value": 42})
    assert (two["via"], two["plain"]) == ("variable", {"kind": "text", "value": "not run?"})
    assert [c["i"] for c in res.cells] == [0, 1, 2] and all(c["error"] is None for c in res.cells)
    assert res.done["output_chars"] == len("100/100\n")


def test_children_start_fresh(pool):
    run(pool, job("import sys\nsys.leak = 1\nsecret = 5"))
    res = run(pool, job("import sys\nleaked = hasattr(sys, 'leak')",
                        targets={"9.1": ("leaked", 0), "9.2": ("secret", None)}))
    assert res.answers[(0, "9.1")]["plain"] == {"kind": "bool", "value": False}
    assert res.answers[(0, "9.2")]["via"] == "missing"


def test_errors_and_soft_cell_timeout_keep_later_cells(pool):
    res = run(pool, job("a = 1 / 0", "while True:\n    pass", "b = 2", "c = (",
                        targets={"9.1": ("a", 0), "9.2": ("z", 1), "9.3": ("b", 2), "9.4": ("c", 3)}))
    a, z, b, c = (res.answers[(0, f"9.{i}")] for i in range(1, 5))
    assert a["error_kind"] == "error" and a["error"].startswith("ZeroDivisionError")
    assert z["error_kind"] == "timeout"
    assert b["plain"] == {"kind": "number", "value": 2} and b["error"] is None
    assert c["error_kind"] == "syntax"
    assert res.exit == 0 and not res.timed_out


def test_ignoring_the_cell_timer_hits_the_wall_clock_limit(pool):
    started = time.monotonic()
    res = run(pool, job("a = 1", "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass",
                        "b = 2", targets={"9.1": ("a", 0), "9.2": ("b", 2)}))
    assert res.timed_out and res.signal == signal.SIGKILL
    assert res.answers[(0, "9.1")]["plain"] == {"kind": "number", "value": 1}  # streamed before the loop
    assert (0, "9.2") not in res.answers
    assert time.monotonic() - started < LIMITS.timeout + 3


def test_child_killed_keeps_earlier_answers(pool):
    res = run(pool, job("a = 1", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "b = 2",
                        targets={"9.1": ("a", 0), "9.2": ("b", 2)}))
    assert res.signal == signal.SIGKILL and res.done is None
    assert res.answers[(0, "9.1")]["plain"] == {"kind": "number", "value": 1}
    assert (0, "9.2") not in res.answers
    res = run(pool, job("import os\nos._exit(3)"))
    assert res.exit == 3


def test_memory_limit(pool):
    res = run(pool, job("x = bytearray(4 * 1024**3)", "y = [0] * 10**10", "z = 1",
                        targets={"9.1": ("x", 0), "9.2": ("y", 1), "9.3": ("z", 2)}))
    assert res.answers[(0, "9.1")]["error_kind"] == "memory"
    assert res.answers[(0, "9.2")]["error_kind"] == "memory"
    assert res.answers[(0, "9.3")]["plain"] == {"kind": "number", "value": 1}


def test_answers_come_back_as_plain_data_only(pool, tmp_path):
    marker = tmp_path / "unpickled"
    res = run(pool, job(
        "import os\nclass Evil:\n    def __reduce__(self):\n"
        f"        return (os.system, ('touch {marker}',))\nx = Evil()",
        "class Loud:\n    def __str__(self):\n        raise RuntimeError('no')\ny = {Loud(): 1}",
        targets={"9.1": ("x", 0), "9.2": ("y", 1)}))
    assert res.answers[(0, "9.1")]["plain"] == {"kind": "other", "type": "Evil"}
    assert res.answers[(0, "9.2")]["plain"]["kind"] == "other"
    assert not marker.exists()


def test_output_is_capped(pool):
    res = run(pool, job('print("x" * 5_000_000)', "a = 1", targets={"9.1": ("a", 1)}))
    assert res.done["output_chars"] == 5_000_001 and res.done["output_cap"] == LIMITS.output_bytes
    assert res.answers[(0, "9.1")]["plain"] == {"kind": "number", "value": 1}


def test_worker_death_restarts_it(tmp_path):
    with Pool(1, {}, tmp_path, LIMITS) as p:
        assert run(p, job("a = 1", targets={"9.1": ("a", 0)})).exit == 0
        first = p.workers[0].proc.pid
        p.submit("slow", job("import time\ntime.sleep(2)"))
        deadline = time.monotonic() + 10
        while p.workers[0].job is None and time.monotonic() < deadline:
            p.poll(0.05)
        assert p.workers[0].job == "slow"
        os.kill(first, signal.SIGKILL)
        results = []
        while not results and time.monotonic() < deadline + 10:
            results = p.poll(0.5)
        ((key, died),) = results
        assert key == "slow" and "died" in died.error
        res = run(p, job("a = 2", targets={"9.1": ("a", 0)}))  # the restarted worker takes the next job
        assert res.error is None and res.answers[(0, "9.1")]["plain"] == {"kind": "number", "value": 2}
        assert p.workers[0].proc.pid != first


def test_worker_that_cannot_start_fails_jobs_not_the_batch(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.executable", "/bin/false")
    with Pool(1, {}, tmp_path, LIMITS) as p:
        p.submit("a", job("x = 1"))
        results = []
        deadline = time.monotonic() + 20
        while not results and time.monotonic() < deadline:
            results = p.poll(0.2)
        assert results and results[0][0] == "a" and results[0][1].error
        assert p.errors


def test_parse_payload_skips_malformed_lines():
    lines = [
        {"t": "answer", "nb": 0, "id": "5.1", "plain": {"kind": "none"}},
        {"t": "answer", "nb": "0", "id": "5.2"},
        {"t": "answer", "nb": 0, "id": 5},
        [1, 2],
        {"t": "cell", "i": 0},
        {"t": "done", "output_chars": 3},
    ]
    payload = b"\n".join(json.dumps(x).encode() for x in lines) + b"\n{garbage\n\xff\xfe\n"
    res = parse_payload({"t": "result", "exit": 0, "seconds": 0.5}, payload)
    assert list(res.answers) == [(0, "5.1")]
    assert len(res.cells) == 1 and res.done == {"t": "done", "output_chars": 3} and res.exit == 0


# -- confinement (issue 10): what a child may not do, on the layers that hold here -------------------------

def _refused(pool, code: str) -> list[str]:
    """Run ``code`` (which fills the list ``r`` with what it managed) and return ``r``."""
    res = run(pool, job("r = []\n" + code, targets={"9.1": ("r", 0)}))
    return [item["value"] for item in res.answers[(0, "9.1")]["plain"]["items"]]


def test_no_network(pool):
    if not (pool.layers.get("netns") or int(pool.layers.get("landlock") or 0) >= 4):
        pytest.skip("neither a network namespace nor Landlock ABI 4 here")
    done = _refused(pool, '''
import socket
for target in [("127.0.0.1", 22), ("1.1.1.1", 53)]:
    try:
        socket.create_connection(target, timeout=0.5); r.append("connected")
    except OSError:
        pass
try:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); r.append("listening")
except OSError:
    pass''')
    assert done == []


def test_no_privileges_and_no_reading_outside(pool, tmp_path):
    if not pool.layers.get("caps"):
        pytest.skip("the grader does not run as root here")
    secret = tmp_path / "classmate.ipynb"
    secret.write_text("secret")
    done = _refused(pool, f'''
import ctypes, os, socket
try:
    socket.sethostname("pwned"); r.append("hostname")
except OSError:
    pass
if ctypes.CDLL(None).mount(b"none", b"/mnt", b"tmpfs", 0, None) == 0:
    r.append("mount")
try:
    socket.socket(socket.AF_UNIX); r.append("unix socket")
except OSError:
    pass
for path in ["{secret}", "/dev/vda", "/dev/sda", "/dev/mem"]:
    try:
        open(path, "rb").read(1); r.append(path)
    except OSError:
        pass''')
    if not pool.layers.get("read_limited"):
        done = [d for d in done if d != str(secret)]
    assert done == []


def test_signals_stay_inside(pool):
    done = _refused(pool, f'''
import os, signal
try:
    os.kill({os.getpid()}, 0); r.append("grader seen")
except OSError:
    pass''')
    if pool.layers.get("pidns") or int(pool.layers.get("landlock") or 0) >= 6:
        assert done == []


def test_a_killed_worker_takes_its_jobs_processes_along(tmp_path):
    """The grader kills a worker that stops answering: what its job started must die with it."""
    import subprocess

    with Pool(1, {}, tmp_path, Limits(timeout=20, cell_timeout=15, memory_mb=256)) as pool:
        run(pool, job("x = 1"))  # the worker is ready: its layers are known
        if not pool.layers.get("pidns"):
            pytest.skip("no PID namespace here")
        pool.submit("k", job('import subprocess, time\nsubprocess.Popen(["sleep", "313.75"], start_new_session=True)\n'
                             'time.sleep(12)'))
        time.sleep(3)
        pool.poll(0)
        worker = pool.workers[0]
        os.kill(worker.proc.pid, signal.SIGKILL)
        time.sleep(1)
        left = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "sleep 313.75" not in left


def test_the_graders_environment_stays_out(tmp_path, monkeypatch):
    """A token in the instructor's shell must not become a learner's answer (and feedback page)."""
    monkeypatch.setenv("KENALI_TEST_TOKEN", "s3cr3t")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t")
    with Pool(1, {}, tmp_path, LIMITS) as pool:
        res = run(pool, job("import os\nleaked = [v for v in os.environ.values() if 's3cr3t' in v]",
                            targets={"9.1": ("leaked", 0)}))
    assert res.answers[(0, "9.1")]["plain"]["items"] == []

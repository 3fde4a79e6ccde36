"""Load test of a class on JupyterHub: simulated learners answering through the hub's proxy into the class server.

What it does, on this machine only (localhost):

1. starts a JupyterHub with ``deploy/jupyterhub_config.py`` (the same file and the same harness the hub tests
   use: free ports, a temporary folder, the class server ``kenali serve`` as a managed service);
2. creates N users and, through the hub's REST API, one token each with the scopes a learner's server token
   carries (``users:activity!user``, ``access:services!service=kenali``);
3. runs N simulated learners (asyncio, tornado's ``AsyncHTTPClient``: a new connection per request, as the
   kernel's urllib client does), each answering every 2-5 s (uniformly random, seeded) for ``--seconds``:
   half of the clicks ask the server to check an answer (``POST api/check``), half sync a locally checked
   record (``POST api/records``); answers are drawn from the course's single-choice, multiple-choice and
   role-assignment exercises, right or wrong;
4. reports the latency from request start to the server's answer (sent after the database commit): p50, p95,
   p99, max, per endpoint and overall; errors; requests per second; the class server's memory (VmRSS and
   VmHWM from ``/proc/<pid>/status``) and CPU (``/proc/<pid>/stat``), and the hub's and the proxy's CPU;
5. with ``--ramp 200,400,800``: the same with more learners and shorter pauses (``--ramp-every``, default
   1-2 s), ``--ramp-seconds`` each, to show where the limit lies.

It is a benchmark that prints figures, never a timed test. Examples::

    python bench/class_load.py                                  # 200 learners, 3 minutes, through the proxy
    python bench/class_load.py --seconds 60 --through direct    # straight to the class server (as kernels do)
    python bench/class_load.py --seconds 30 --ramp 200,400,800 --ramp-seconds 30
    python bench/class_load.py --postgres --seconds 30 --ramp 400,800  # a throw-away PostgreSQL cluster
    python bench/class_load.py --db postgresql+psycopg://kenali@127.0.0.1:5432/kelas

The last line is a JSON object with every figure, for tools.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from hub.hub import SERVER_TOKEN_SCOPES, Hub, processes_in, start_hub  # noqa: E402 (tests/hub/hub.py)

from kenali.bank import load_course  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- what a learner sends ---------------------------------------------------------------------------------


def answer_pool() -> list[tuple[str, list[Any]]]:
    """Exercises with answers to draw from: (id, [right answer, wrong answers...])."""
    pool: list[tuple[str, list[Any]]] = []
    for ex in load_course().exercises(graded_only=True):
        if ex.type == "pilihan":
            pool.append((ex.id, [ex.key, *[k for k in ex.choices if k != ex.key]]))
        elif ex.type == "pilihan_ganda":
            keys = list(ex.key)
            others = [k for k in ex.choices if k not in keys]
            pool.append((ex.id, [keys, keys[:-1], [*keys, *others[:1]]]))
        elif ex.type == "peran":
            right = {item.id: item.key for item in ex.items}
            roles = list(ex.choices)
            wrong = {k: roles[(roles.index(v) + 1) % len(roles)] for k, v in right.items()}
            pool.append((ex.id, [right, wrong, {**right, next(iter(right)): wrong[next(iter(right))]}]))
    return pool


@dataclass
class Learner:
    name: str
    token: str
    seq: dict[str, int] = field(default_factory=dict)

    def next_seq(self, exercise: str) -> int:
        self.seq[exercise] = self.seq.get(exercise, 0) + 1
        return self.seq[exercise]


@dataclass
class Sample:
    endpoint: str
    seconds: float
    ok: bool
    status: int


# -- process figures --------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def memory_kib(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            out[key] = int(value.split()[0])
    return out


def find_pids(hub: Hub) -> dict[str, int]:
    pids = {"hub": hub.process.pid}
    for pid, cmd in processes_in(hub.work).items():
        if "kenali serve" in cmd:
            pids["class server"] = pid
        elif "configurable-http-proxy" in cmd:
            pids["proxy"] = pid
    return pids


# -- one run ----------------------------------------------------------------------------------------------


async def learner_loop(learner: Learner, base: str, pool: list[tuple[str, list[Any]]], every: tuple[float, float],
                       until: float, rng: random.Random, samples: list[Sample], client: Any) -> None:
    from tornado.httpclient import HTTPClientError

    await asyncio.sleep(rng.uniform(0, every[1]))  # learners do not start in step
    headers = {"Authorization": f"token {learner.token}", "Content-Type": "application/json"}
    while time.monotonic() < until:
        exercise, answers = rng.choice(pool)
        answer = rng.choice(answers)
        seq = learner.next_seq(exercise)
        if rng.random() < 0.5:
            endpoint, body = "api/check", {"exercise": exercise, "answer": answer, "seq": seq}
        else:
            endpoint, body = "api/records", {"records": [{"exercise": exercise, "seq": seq, "answer": answer}]}
        started = time.perf_counter()
        status = 0
        try:
            response = await client.fetch(f"{base}{endpoint}", method="POST", body=json.dumps(body), headers=headers,
                                          request_timeout=30, connect_timeout=10)
            status = response.code
        except HTTPClientError as exc:
            status = exc.code
        except Exception:  # refused, reset, timed out: an error, counted
            status = 0
        samples.append(Sample(endpoint, time.perf_counter() - started, status == 200, status))
        await asyncio.sleep(min(rng.uniform(*every), max(0.0, until - time.monotonic())))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summarize(samples: list[Sample], seconds: float) -> dict[str, Any]:
    def figures(group: list[Sample]) -> dict[str, Any]:
        ok = [s.seconds * 1000 for s in group if s.ok]
        return {
            "requests": len(group), "errors": sum(not s.ok for s in group),
            "p50_ms": round(percentile(ok, 50), 1), "p95_ms": round(percentile(ok, 95), 1),
            "p99_ms": round(percentile(ok, 99), 1), "max_ms": round(max(ok), 1) if ok else None,
            "mean_ms": round(statistics.fmean(ok), 1) if ok else None,
        }

    out = figures(samples)
    out["per_second"] = round(len(samples) / seconds, 1)
    out["by_endpoint"] = {e: figures([s for s in samples if s.endpoint == e]) for e in ("api/check", "api/records")}
    statuses: dict[str, int] = {}
    for s in samples:
        if not s.ok:
            statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
    out["error_statuses"] = statuses
    return out


async def run_level(hub: Hub, learners: list[Learner], base: str, pool: list[tuple[str, list[Any]]],
                    every: tuple[float, float], seconds: float, seed: int) -> dict[str, Any]:
    from tornado.httpclient import AsyncHTTPClient

    client = AsyncHTTPClient(force_instance=True, max_clients=len(learners) + 10)
    pids = find_pids(hub)
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    self_before = time.process_time()
    rss_peak = 0
    samples: list[Sample] = []
    started = time.monotonic()
    until = started + seconds
    rng = random.Random(seed)
    tasks = [asyncio.ensure_future(learner_loop(learner, base, pool, every, until, random.Random(rng.random()),
                                                samples, client)) for learner in learners]
    while time.monotonic() < until:  # sample the class server's memory while it works
        await asyncio.sleep(1.0)
        if "class server" in pids:
            rss_peak = max(rss_peak, memory_kib(pids["class server"]).get("VmRSS", 0))
    await asyncio.gather(*tasks)
    wall = time.monotonic() - started
    client.close()
    out = summarize(samples, wall)
    out["learners"] = len(learners)
    out["every_s"] = list(every)
    out["seconds"] = round(wall, 1)
    out["cpu_percent_of_one_core"] = {
        name: round(100 * (cpu_seconds(pid) - cpu_before[name]) / wall, 1) for name, pid in pids.items()
    }
    out["cpu_percent_of_one_core"]["load generator"] = round(100 * (time.process_time() - self_before) / wall, 1)
    if "class server" in pids:
        mem = memory_kib(pids["class server"])
        out["class_server_rss_mib"] = round(mem.get("VmRSS", 0) / 1024, 1)
        out["class_server_rss_peak_mib"] = round(max(rss_peak, mem.get("VmHWM", 0)) / 1024, 1)
    return out


def print_level(title: str, r: dict[str, Any]) -> None:
    print(f"\n== {title}: {r['learners']} learners, a click every {r['every_s'][0]:g}-{r['every_s'][1]:g} s, "
          f"{r['seconds']:g} s")
    print(f"   {r['requests']} requests ({r['per_second']}/s), {r['errors']} errors {r['error_statuses'] or ''}")
    print(f"   latency ms: p50 {r['p50_ms']}  p95 {r['p95_ms']}  p99 {r['p99_ms']}  max {r['max_ms']}")
    for endpoint, f in r["by_endpoint"].items():
        print(f"     {endpoint:12} {f['requests']:6} req  p50 {f['p50_ms']}  p95 {f['p95_ms']}  p99 {f['p99_ms']}")
    cpu = ", ".join(f"{k} {v}%" for k, v in r["cpu_percent_of_one_core"].items())
    print(f"   CPU (% of one core): {cpu}")
    if "class_server_rss_mib" in r:
        print(f"   class server memory: RSS {r['class_server_rss_mib']} MiB "
              f"(peak {r['class_server_rss_peak_mib']} MiB)")


# -- a throw-away PostgreSQL cluster (--postgres) ----------------------------------------------------------


class Postgres:
    """``initdb`` + ``pg_ctl start`` in a temporary folder, on a free port of 127.0.0.1 (trust login, default
    durability settings: fsync on); as the ``postgres`` user when run as root, since PostgreSQL refuses root."""

    def __init__(self, root: Path):
        import glob
        import shutil
        import subprocess

        from hub.hub import free_port

        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
        if not found[-1]:
            raise SystemExit("class_load.py: --postgres needs PostgreSQL's server programs "
                             "(apt-get install postgresql)")
        self.bindir = Path(found[-1]).parent
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.root, self.port = root, free_port()
        root.mkdir(parents=True, exist_ok=True)
        if self.run_as:
            os.chmod(root.parent, 0o755)  # the temporary folder is private to root: let postgres pass through
            shutil.chown(root, "postgres")
        self.data = root / "data"
        self._run = lambda *a: subprocess.run([*self.run_as, *a], check=True, capture_output=True, timeout=120)
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(root / "server.log"), "-w", "-o",
                  f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=100", "start")
        self._run(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "kenali")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/kenali"

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


# -- main -------------------------------------------------------------------------------------------------


def make_learners(hub: Hub, count: int) -> list[Learner]:
    names = [f"peserta{n:04d}" for n in range(count)]
    for start in range(0, count, 100):
        hub.api("POST", "users", body={"usernames": names[start:start + 100]})
    return [Learner(name, hub.token(name, scopes=list(SERVER_TOKEN_SCOPES), note="load test")) for name in names]


def parse_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition(",")
    return float(low), float(high or low)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--every", default="2,5", help="pause between a learner's clicks, min,max seconds")
    parser.add_argument("--through", choices=["proxy", "direct"], default="proxy",
                        help="through the hub's proxy (/services/kenali/) or straight to the class server")
    parser.add_argument("--ramp", default="", help="more levels after the main run, e.g. 200,400,800")
    parser.add_argument("--ramp-every", default="1,2", help="pause between clicks during the ramp, min,max s")
    parser.add_argument("--ramp-seconds", type=float, default=30.0)
    parser.add_argument("--db", default="", help="class database URL (default: SQLite in the hub's folder)")
    parser.add_argument("--postgres", action="store_true",
                        help="start a throw-away PostgreSQL cluster for the class database (stopped at the end)")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args(argv)

    ramp = [int(n) for n in args.ramp.split(",") if n.strip()]
    most = max([args.learners, *ramp])
    pool = answer_pool()
    results: dict[str, Any] = {"through": args.through, "machine_cores": os.cpu_count(), "levels": []}
    with tempfile.TemporaryDirectory(prefix="kenali-load-") as tmp:
        extra = {"KENALI_CULL_IDLE": "0"}
        postgres = Postgres(Path(tmp) / "postgres") if args.postgres else None
        if args.db or postgres:
            extra["KENALI_CLASS_DB"] = postgres.url if postgres else args.db
        t0 = time.monotonic()
        try:
            hub = start_hub(Path(tmp) / "hub", extra=extra)
        except BaseException:
            if postgres:
                postgres.stop()
            raise
        try:
            print(f"hub up in {time.monotonic() - t0:.1f} s at {hub.url}; class server at {hub.service_url}")
            t0 = time.monotonic()
            learners = make_learners(hub, most)
            print(f"{most} users and tokens made through the hub API in {time.monotonic() - t0:.1f} s")
            base = hub.service_public if args.through == "proxy" else hub.service_url
            health = json.loads(__import__("requests").get(f"{base}api/health", timeout=10).text)
            results["db"] = health.get("db")
            levels = [("main", args.learners, parse_range(args.every), args.seconds)]
            levels += [(f"ramp {n}", n, parse_range(args.ramp_every), args.ramp_seconds) for n in ramp]
            for n, (title, count, every, seconds) in enumerate(levels):
                r = asyncio.run(run_level(hub, learners[:count], base, pool, every, seconds, args.seed + n))
                r["title"] = title
                print_level(title, r)
                results["levels"].append(r)
        finally:
            strays = hub.stop()
            if strays:
                print(f"warning: ended {len(strays)} processes the hub left running", file=sys.stderr)
            if postgres:
                postgres.stop()
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

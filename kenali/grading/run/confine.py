"""Confinement: what keeps one submission's code inside its own box, and what the kernel allows.

Layers, each detected at worker start (:func:`probe`) and recorded (``kenali grade`` prints them):

``pidns``
    Each job's child is PID 2 of a new PID namespace whose PID 1 is a tiny ``cat``
    (``unshare(CLONE_NEWPID)`` in the worker, spawn, fork; ``setns`` back for the next job). Killing
    that PID 1 kills every process the learner started, whatever it did (new sessions, double forks,
    daemons). Needs root or a user namespace.
``userns``
    A worker that is not root first enters a user namespace of its own (where the kernel allows
    unprivileged ones), which makes the PID and network namespaces and the tmpfs possible.
``netns``
    The child enters a new network namespace: no interface but a loopback that is down, so
    ``connect`` fails and a listening socket cannot be reached. Needs root or a user namespace.
``landlock``
    Linux 5.13+: files may be created or changed only in the job's folder; reads only of Python,
    the system libraries, the course data and the job's folder (not the submissions, not the
    grader's output); Linux 6.7+ (ABI 4) TCP ``bind``/``connect`` refused; Linux 6.12+ (ABI 6)
    no signals to processes outside the box.
``cgroup``
    Per worker slot a cgroup (v2, or v1 ``memory`` + ``pids`` controllers) caps the memory of all
    the job's processes together and their number, and kills them all after the job.
``tmpfs``
    The worker gets a private mount namespace and each slot's job folder is a size-capped tmpfs:
    the bytes a job writes in its folder are capped in total, not per file.
``caps``
    A child running as root drops every capability (bounding set included) before the learner's
    code runs: no mount, module, clock, hostname, raw device or ``/proc/kcore`` access.
``seccomp``
    ``socket(AF_UNIX)`` refused: no named Unix socket (docker, X, databases) reachable.
``rlimits``
    Always: address space and CPU per process, file size, no core dumps; processes per uid when
    the child runs as an unprivileged user (``RLIMIT_NPROC`` does not apply to root).

Fallback when neither PID namespace nor cgroup holds: after each job every process whose
environment carries the job's marker is killed (a scan of ``/proc``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import sys
from pathlib import Path
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
MARKER = "KENALI_GRADING_JOB"

_libc: Any = None


def libc() -> Any:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _unshare(flags: int) -> bool:
    return libc().unshare(ctypes.c_int(flags)) == 0


# -- PID namespaces (worker side) ---------------------------------------------------------------

class PidNamespaces:
    """Fork each job's child into a fresh PID namespace, when the kernel lets us.

    The namespace's PID 1 is a tiny ``cat`` spawned first (cheap: no copy of the worker) reading a
    pipe whose other end only the worker holds: if the worker dies, ``cat`` reads end-of-file and
    exits, and the kernel kills the namespace. The child is forked next and is PID 2, still the
    worker's own child (its exit status is its own). Killing the ``cat`` kills every process in the
    namespace."""

    def __init__(self) -> None:
        self.own: int | None = None
        with contextlib.suppress(OSError):
            self.own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        self.cat = next((p for p in ("/bin/cat", "/usr/bin/cat") if os.path.exists(p)), None)
        self.lifeline: int | None = None

    def fork(self) -> tuple[int, int | None]:
        """``os.fork()``; also the (worker-side) pid of the namespace's init, or None without a namespace."""
        init = None
        if self.own is not None and self.cat and _unshare(CLONE_NEWPID):
            r, w = os.pipe()
            try:
                init = os.posix_spawn(self.cat, ["cat"], {}, file_actions=[(os.POSIX_SPAWN_DUP2, r, 0)])
                self.lifeline = w
            except OSError:
                init = None
                os.close(w)
            finally:
                os.close(r)
            if init is None:
                libc().setns(ctypes.c_int(self.own), ctypes.c_int(CLONE_NEWPID))
        try:
            pid = os.fork()
        finally:
            if init is not None and self.own is not None:
                libc().setns(ctypes.c_int(self.own), ctypes.c_int(CLONE_NEWPID))
        return pid, init

    def done(self) -> None:
        """After the job (the init killed): drop the lifeline."""
        if self.lifeline is not None:
            with contextlib.suppress(OSError):
                os.close(self.lifeline)
            self.lifeline = None


def enter_userns() -> bool:
    """In a worker that is not root: a user namespace of its own, where it is root (its own uid and gid
    mapped to 0), so that PID and network namespaces and a tmpfs work unprivileged (where the kernel
    allows unprivileged user namespaces). Nothing outside the namespace is gained."""
    uid, gid = os.geteuid(), os.getegid()
    if uid == 0 or not _unshare(CLONE_NEWUSER):
        return False
    try:
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
        Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    except OSError:
        return False
    return True


def pidns_cycle_works() -> bool:
    """Whether a worker can make a PID namespace per job and fork normally afterwards (tried in a
    throw-away child: ``setns`` back fails where the original namespace belongs to another user namespace)."""
    pid = os.fork()
    if pid == 0:
        try:
            namespaces = PidNamespaces()
            job, init = namespaces.fork()
            if job == 0:
                os._exit(0)
            os.waitpid(job, 0)
            if init is None:
                os._exit(1)
            os.kill(init, signal.SIGKILL)
            os.waitpid(init, 0)
            namespaces.done()
            again = os.fork()
            if again == 0:
                os._exit(0)
            os.waitpid(again, 0)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def become_pid1() -> bool:
    """In a worker in its own user namespace: go on as PID 1 of a PID namespace owned by it (so that it may
    ``setns`` back after each job). The original process only waits, and dies with it; the new one dies
    when the original is killed (``PR_SET_PDEATHSIG``)."""
    if not _unshare(CLONE_NEWPID):
        return False
    pid = os.fork()
    if pid:
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70)
    libc().prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    return True


def enter_netns() -> bool:
    """In the child: a new network namespace (loopback down: nothing to connect to)."""
    return _unshare(CLONE_NEWNET)


def private_tmpfs(folder: Path, size_mb: int) -> bool:
    """In the worker: a private mount namespace and a tmpfs of ``size_mb`` at ``folder``."""
    lib = libc()
    if not _unshare(CLONE_NEWNS):
        return False
    if lib.mount(b"none", b"/", None, ctypes.c_ulong(MS_REC | MS_PRIVATE), None) != 0:
        return False
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={int(size_mb)}m,mode=0755".encode()
    return lib.mount(b"kenali", str(folder).encode(), b"tmpfs", ctypes.c_ulong(0), options) == 0


# -- cgroups ------------------------------------------------------------------------------------

class Cgroup:
    """One worker slot's cgroup: memory and process caps for all of a job's processes, and kill-all."""

    def __init__(self, name: str, memory_bytes: int, pids: int):
        self.version = 0
        self.dirs: dict[str, Path] = {}
        v2 = Path("/sys/fs/cgroup")
        own = self._own()
        with contextlib.suppress(OSError):
            if (v2 / "cgroup.controllers").exists():
                base = v2 / own.get("", "/").lstrip("/")
                controllers = (base / "cgroup.subtree_control").read_text().split()
                if {"memory", "pids"} <= set(controllers):
                    folder = base / name
                    folder.mkdir(exist_ok=True)
                    (folder / "memory.max").write_text(str(memory_bytes))
                    (folder / "memory.swap.max").write_text("0") if (folder / "memory.swap.max").exists() else None
                    (folder / "pids.max").write_text(str(pids))
                    self.dirs = {"": folder}
                    self.version = 2
                    return
        try:
            dirs = {}
            for ctl in ("memory", "pids"):
                root = v2 / ctl
                if not (root / "cgroup.procs").exists():
                    raise OSError(f"no cgroup v1 {ctl} controller")
                folder = root / own.get(ctl, "/").lstrip("/") / name
                folder.mkdir(exist_ok=True)
                dirs[ctl] = folder
            (dirs["memory"] / "memory.limit_in_bytes").write_text(str(memory_bytes))
            with contextlib.suppress(OSError):
                (dirs["memory"] / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
            (dirs["pids"] / "pids.max").write_text(str(pids))
            self.dirs, self.version = dirs, 1
        except OSError:
            self.dirs, self.version = {}, 0

    @staticmethod
    def _own() -> dict[str, str]:
        out: dict[str, str] = {}
        with contextlib.suppress(OSError):
            for line in Path("/proc/self/cgroup").read_text().splitlines():
                _, ctls, path = line.split(":", 2)
                for ctl in ctls.split(",") if ctls else [""]:
                    out[ctl] = path
        return out

    def join(self) -> bool:
        """Move this process (and so everything it starts) into the cgroup. The worker joins once: its
        children are born inside (moving each child would cost ~15 ms of cgroup migration per job)."""
        ok = bool(self.dirs)
        for folder in self.dirs.values():
            try:
                (folder / "cgroup.procs").write_text("0")
            except OSError:
                ok = False
        return ok

    def kill_all(self) -> None:
        """In the worker, after a job: every process still in the cgroup but the worker is killed."""
        for folder in self.dirs.values():
            for _ in range(5):
                try:
                    pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                pids = [pid for pid in pids if pid != os.getpid()]
                if not pids:
                    break
                for pid in pids:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)

    def remove(self) -> None:
        for folder in self.dirs.values():
            with contextlib.suppress(OSError):
                folder.rmdir()

    @classmethod
    def remove_left(cls, worker_pid: int) -> None:
        """In the grader, after killing a worker: remove the cgroup it made (empty once its processes died)."""
        own = cls._own()
        base = Path("/sys/fs/cgroup")
        for folder in (base / own.get("", "/").lstrip("/"), base / "memory" / own.get("memory", "/").lstrip("/"),
                       base / "pids" / own.get("pids", "/").lstrip("/")):
            with contextlib.suppress(OSError):
                (folder / f"kenali-{worker_pid}").rmdir()


def kill_marked(token: str) -> int:
    """Fallback: kill every process whose environment carries ``MARKER=token`` (scan of /proc)."""
    needle = f"{MARKER}={token}".encode()
    killed = 0
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as fh:
                env = fh.read()
        except OSError:
            continue
        if needle in env.split(b"\0"):
            with contextlib.suppress(OSError):
                os.kill(int(name), signal.SIGKILL)
                killed += 1
    return killed


# -- rlimits ------------------------------------------------------------------------------------

def set_limits(limits: dict[str, Any], unprivileged: bool) -> None:
    """Per-process limits (always): address space, CPU, file size, no core dumps, processes per uid."""
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/statm") as fh:
        vm = int(fh.read().split()[0]) * page
    memory = vm + int(limits["memory_mb"]) * 1024 * 1024
    cpu = int(limits["timeout"]) + 1
    fsize = int(limits.get("disk_mb", 64)) << 20
    settings = [
        (resource.RLIMIT_AS, (memory, memory)),
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_FSIZE, (fsize, fsize)),
        (resource.RLIMIT_CORE, (0, 0)),
    ]
    if unprivileged:  # counts processes of the child's own uid only
        settings.append((resource.RLIMIT_NPROC, (int(limits.get("processes", 64)),) * 2))
    for which, value in settings:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(which, value)


# -- Landlock -----------------------------------------------------------------------------------

_CREATE, _ADD_RULE, _RESTRICT = 444, 445, 446  # the same on every architecture


def landlock_abi() -> int:
    try:
        lib = libc()
        lib.syscall.restype = ctypes.c_long
        return int(lib.syscall(_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1)))
    except (OSError, AttributeError):
        return -1


def read_roots(extra: list[str]) -> list[str]:
    """Folders the learner's code may read: Python and its packages, system files, and ``extra``."""
    roots = {"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/proc", "/sys", "/opt/conda",
             "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/shm", "/dev/fd", "/dev/pts",
             sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    for entry in sys.path:
        if entry and os.path.isdir(entry) and ("site-packages" in entry or "dist-packages" in entry
                                               or entry.startswith((sys.prefix, sys.base_prefix))):
            roots.add(entry)
    roots.update(extra)
    return sorted(r for r in roots if r and os.path.exists(r))


def prepare(writable: list[str], readable: list[str] | None) -> tuple[int, int]:
    """A Landlock ruleset (fd, ABI), made once in the worker; -1 where Landlock is unavailable.

    Writes only under ``writable``; reads only under ``readable`` (None: reads not restricted);
    ABI 4+: no TCP bind/connect; ABI 6+: no signals to processes outside, no abstract Unix sockets.
    Rules hold inodes, not names: give folders that outlive the jobs."""
    abi = landlock_abi()
    if abi < 1:
        return -1, 0
    syscall = libc().syscall
    file_write = 1 << 1 | (1 << 14 if abi >= 3 else 0)  # WRITE_FILE, TRUNCATE
    write_rights = file_write | sum(1 << b for b in range(4, 13)) | (1 << 13 if abi >= 2 else 0)
    read_file, read_dir = 1 << 2, 1 << 3
    handled = write_rights | (read_file | read_dir if readable is not None else 0)

    class Ruleset(ctypes.Structure):
        _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]

    class Beneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("access", ctypes.c_uint64), ("fd", ctypes.c_int32)]

    net = 0b11 if abi >= 4 else 0  # LANDLOCK_ACCESS_NET_BIND_TCP | CONNECT_TCP, no rule: both refused
    attr = Ruleset(handled, net, 0b11 if abi >= 6 else 0)  # SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = syscall(_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return -1, 0
    rules: dict[str, int] = {}
    for path in writable:
        rules[path] = rules.get(path, 0) | write_rights | (read_file | read_dir if readable is not None else 0)
    for path in readable or []:
        rules[path] = rules.get(path, 0) | read_file | read_dir
    for path, rights in rules.items():
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                if not os.path.isdir(path):
                    rights &= file_write | read_file
                rule = Beneath(rights & handled, fd)
                syscall(_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(1), ctypes.byref(rule), ctypes.c_uint32(0))
            finally:
                os.close(fd)
    return int(ruleset), abi


def apply(ruleset: int) -> bool:
    """In the child: restrict this process and its future children with a prepared ruleset."""
    if ruleset < 0:
        return False
    lib = libc()
    if lib.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return lib.syscall(_RESTRICT, ctypes.c_int(ruleset), ctypes.c_uint32(0)) == 0


def restrict(writable: list[str], readable: list[str] | None) -> int:
    """Prepare and apply at once (returns the ABI applied, 0 when not)."""
    ruleset, abi = prepare(writable, readable)
    try:
        return abi if apply(ruleset) else 0
    finally:
        if ruleset >= 0:
            os.close(ruleset)


def drop_capabilities() -> bool:
    """Drop every capability, the bounding set included (a root child keeps its uid, loses its powers)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    lib = libc()
    for cap in range(64):
        if lib.prctl(24, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:  # PR_CAPBSET_DROP; EINVAL: past the last
            break

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (Data * 2)()
    with contextlib.suppress(OSError):
        lib.prctl(47, 4, 0, 0, 0)  # PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL
    return lib.capset(ctypes.byref(header), ctypes.byref(data)) == 0


_ARCHES = {0xC000003E: 41, 0xC00000B7: 198}  # AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64: the number of socket()


def no_unix_sockets() -> bool:
    """seccomp: ``socket(AF_UNIX, ...)`` fails with EACCES (``socketpair`` still works). A named Unix socket
    (``/var/run/docker.sock``, an X server, a database) would otherwise be reachable by a root child:
    Landlock does not guard ``connect`` on them, and the network namespace does not hide the file."""
    import platform

    arch = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}.get(platform.machine())
    if arch is None:
        return False
    nr = _ARCHES[arch]

    class Filter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(Filter))]

    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K
    allow, deny = 0x7FFF0000, 0x00050000 | 13  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EACCES
    program = [
        Filter(ld, 0, 0, 4),  # arch
        Filter(jeq, 1, 0, arch),
        Filter(ret, 0, 0, allow),
        Filter(ld, 0, 0, 0),  # syscall number
        Filter(jge, 3, 0, 0x40000000),  # x32 syscalls: refused
        Filter(jeq, 0, 3, nr),
        Filter(ld, 0, 0, 16),  # args[0]: the address family
        Filter(jeq, 0, 1, 1),  # AF_UNIX
        Filter(ret, 0, 0, deny),
        Filter(ret, 0, 0, allow),
    ]
    # (the x32 jump lands on "deny": 4 + 1 + 3 = 8)
    array = (Filter * len(program))(*program)
    prog = Prog(len(program), array)
    lib = libc()
    if lib.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return lib.prctl(22, 2, ctypes.byref(prog), 0, 0) == 0  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER


def platform_problem() -> str | None:
    """Why code answers cannot be re-executed on this system (None on Linux)."""
    if sys.platform.startswith("linux"):
        return None
    return ("code answers can only be re-executed on Linux (the sandbox needs fork, Landlock and namespaces); "
            f"on {sys.platform} widget answers are graded and code answers are marked not graded: "
            "grade on a Linux machine, WSL2 or a Linux container")

"""Build a wheelhouse for a workshop venue without (reliable) internet.

Downloads, once and with internet, every wheel a learner's ``pip install -r requirements.txt`` needs, for the
platforms and Python versions of the room, plus a built wheel of the course package itself and the build
backend (setuptools) that the editable install ``-e .`` in requirements.txt builds with. In the room the
install then reads only that folder (see deploy/offline/README.md)::

    python deploy/offline/make_wheelhouse.py                       # Windows, macOS, Linux x Python 3.11-3.13
    python deploy/offline/make_wheelhouse.py --platform windows --python 3.12
    python deploy/offline/make_wheelhouse.py --check               # is the folder complete for every target?

It runs ``pip download --only-binary=:all: --platform TAG --python-version X.Y`` per pair, so it needs no
compiler and works from any machine. pip evaluates environment markers for the machine it runs on, not for the
target, so a Windows-only dependency (``pywinpty; os_name == 'nt'``) is skipped when the wheelhouse is built on
Linux; after each download the script walks the dependency graph of the wheels in the folder with the target's
markers and downloads what is missing, until nothing is. ``--check`` does only the walk. Needs ``packaging``
(installed with JupyterLab; pip's own copy otherwise).
"""

from __future__ import annotations

import argparse
import email.parser
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

try:
    from packaging import tags as pkg_tags
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name, parse_wheel_filename
    from packaging.version import Version
except ImportError:  # pragma: no cover - pip always carries a copy
    from pip._vendor.packaging import tags as pkg_tags  # type: ignore[no-redef]
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]
    from pip._vendor.packaging.utils import canonicalize_name, parse_wheel_filename  # type: ignore[no-redef]
    from pip._vendor.packaging.version import Version  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
COURSE = HERE.parent.parent
PYTHONS = ["3.11", "3.12", "3.13"]
# What the editable install of the course (`-e .`) needs to build without an index: pyproject's build backend.
BUILD_REQUIREMENTS = ["setuptools>=68"]


@dataclass(frozen=True)
class Target:
    """A platform of the room: the wheel tags pip is asked for and the values of its environment markers."""

    name: str
    pip_platforms: tuple[str, ...]
    markers: dict[str, str]

    def platform_tags(self) -> list[str]:
        """Every platform tag a wheel for this target may carry (macOS tags expanded as pip does)."""
        out: list[str] = []
        for tag in self.pip_platforms:
            if tag.startswith("macosx_"):
                _, major, minor, arch = tag.split("_", 3)
                out += list(pkg_tags.mac_platforms((int(major), int(minor)), arch))
            else:
                out.append(tag)
        return out

    def environment(self, python: str) -> dict[str, str]:
        base = {"implementation_name": "cpython", "platform_python_implementation": "CPython",
                "python_version": python, "python_full_version": f"{python}.0", "implementation_version": f"{python}.0",
                "platform_release": "", "platform_version": "", "extra": ""}
        return {**base, **self.markers}


# pip adds older versions and universal2 to a macOS tag, but a manylinux_2_X tag only stands for itself: Linux
# lists the glibc levels wheels are published for. Floors: glibc 2.28 (Debian 10, Ubuntu 20.04, RHEL 8), macOS 12.
_POSIX = {"os_name": "posix"}
TARGETS: dict[str, Target] = {
    "windows": Target("windows", ("win_amd64",),
                      {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows",
                       "platform_machine": "AMD64"}),
    "macos-arm": Target("macos-arm", ("macosx_12_0_arm64",),
                        {**_POSIX, "sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"}),
    "macos-intel": Target("macos-intel", ("macosx_12_0_x86_64",),
                          {**_POSIX, "sys_platform": "darwin", "platform_system": "Darwin",
                           "platform_machine": "x86_64"}),
    "linux": Target("linux", ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
                    {**_POSIX, "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"}),
}


def supported_tags(target: Target, python: str) -> set[pkg_tags.Tag]:
    version = tuple(int(v) for v in python.split("."))
    platforms = target.platform_tags()
    interpreter = f"cp{version[0]}{version[1]}"
    return {*pkg_tags.cpython_tags(version, platforms=platforms),
            *pkg_tags.compatible_tags(version, interpreter=interpreter, platforms=platforms)}


def _wheels_for(folder: Path, supported: set[pkg_tags.Tag]) -> dict[str, Path]:
    """name -> the newest wheel in ``folder`` installable on the target."""
    best: dict[str, tuple[Version, Path]] = {}
    for path in folder.glob("*.whl"):
        try:
            name, version, _, wheel_tags = parse_wheel_filename(path.name)
        except Exception:
            continue
        if wheel_tags & supported and (name not in best or version > best[name][0]):
            best[name] = (version, path)
    return {name: path for name, (version, path) in best.items()}


def _requires(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
        message = email.parser.Parser().parsestr(zf.read(meta).decode("utf-8"))
    return message.get_all("Requires-Dist") or []


def missing(folder: Path, roots: Iterable[str], target: Target, python: str) -> list[str]:
    """Requirements (as pip accepts them) that no wheel in ``folder`` satisfies for ``target`` and ``python``,
    following every dependency whose environment marker holds there, with the extras asked for."""
    wheels = _wheels_for(folder, supported_tags(target, python))
    env = target.environment(python)
    queue = [Requirement(r) for r in roots]
    seen: set[tuple[str, frozenset[str], str]] = set()
    out: list[str] = []
    while queue:
        req = queue.pop()
        key = (canonicalize_name(req.name), frozenset(req.extras), str(req.specifier))
        if key in seen:
            continue
        seen.add(key)
        wheel = wheels.get(key[0])
        if wheel is None or (req.specifier and not req.specifier.contains(parse_wheel_filename(wheel.name)[1], True)):
            out.append(str(req).split(";")[0].strip())
            continue
        for line in _requires(wheel):
            dep = Requirement(line)
            extras = sorted(req.extras) or [""]
            if dep.marker is None or any(dep.marker.evaluate({**env, "extra": e}) for e in ["", *extras]):
                dep.marker = None
                queue.append(dep)
    return sorted(set(out))


def _run(cmd: list[str]) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def build_course_wheel(out: Path) -> Path:
    """Build the course package's own wheel into ``out`` (for the non-editable install) and return it."""
    with tempfile.TemporaryDirectory() as tmp:
        _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", tmp, str(COURSE)])
        built = next(Path(tmp).glob("kenali-*.whl"))
        target = out / built.name
        shutil.copy2(built, target)
    return target


def download(out: Path, target: Target, python: str, requirements: list[str]) -> None:
    """``pip download`` binary wheels of ``requirements`` (and their dependencies) for one target."""
    cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--dest", str(out),
           "--python-version", python, "--implementation", "cp"]
    for tag in target.pip_platforms:
        cmd += ["--platform", tag]
    _run([*cmd, *requirements])


def fill(out: Path, target: Target, python: str, roots: list[str], rounds: int = 4) -> list[str]:
    """Download until the dependency walk finds nothing missing; returns what is still missing."""
    for _ in range(rounds):
        needed = missing(out, roots, target, python)
        if not needed:
            return []
        download(out, target, python, needed)
    return missing(out, roots, target, python)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("*.whl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--platform", action="append", choices=sorted(TARGETS),
                        help="target platform (repeatable; default: all)")
    parser.add_argument("--python", action="append", choices=PYTHONS,
                        help="target Python version (repeatable; default: 3.11, 3.12 and 3.13)")
    parser.add_argument("--out", type=Path, default=HERE / "wheels", help="wheelhouse folder (default: %(default)s)")
    parser.add_argument("--extras", default="", help="extras of the course package to include too, e.g. 'class'")
    parser.add_argument("--check", action="store_true", help="only report what the folder lacks for each target")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    root = f"kenali[{args.extras}]" if args.extras else "kenali"
    roots = [root, *BUILD_REQUIREMENTS]
    if not args.check:
        course_wheel = build_course_wheel(args.out)
        first = [f"{root} @ {course_wheel.as_uri()}", *BUILD_REQUIREMENTS]
    failed: list[str] = []
    for name in args.platform or sorted(TARGETS):
        for python in args.python or PYTHONS:
            target = TARGETS[name]
            try:
                if args.check:
                    left = missing(args.out, roots, target, python)
                else:
                    download(args.out, target, python, first)
                    left = fill(args.out, target, python, roots)
            except subprocess.CalledProcessError:
                left = ["(pip download failed, see its message above)"]
            status = "complete" if not left else "missing " + ", ".join(left)
            print(f"{name} / Python {python}: {status}", flush=True)
            if left:
                failed.append(f"{name} / Python {python}")
    wheels = len(list(args.out.glob("*.whl")))
    print(f"\n{args.out}: {wheels} wheels, {folder_size(args.out) / 2**20:.0f} MiB")
    if failed:
        print("not complete for: " + ", ".join(failed), file=sys.stderr)
        return 1
    print(f"In the room: pip install --no-index --find-links {args.out} -r requirements.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build a wheelhouse for a workshop venue without (reliable) internet.

Downloads, once and with internet, every wheel a learner's ``pip install -r requirements.txt`` needs, for the
platforms and Python versions of the room, plus a built wheel of the course package itself and the build
backend (setuptools) that the editable install ``-e .`` in requirements.txt builds with. In the room the
install then reads only that folder (see deploy/offline/README.md)::

    python deploy/offline/make_wheelhouse.py                       # Windows, macOS, Linux x Python 3.11-3.13
    python deploy/offline/make_wheelhouse.py --platform linux --python 3.12

It runs ``pip download --only-binary=:all: --platform TAG --python-version X.Y`` per pair, so it needs no
compiler and works from any machine, and it prints the size of the folder at the end. Standard library only.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
COURSE = HERE.parent.parent

# pip expands a macOS tag to every older compatible one (and universal2), but a manylinux_2_X tag only to itself:
# Linux lists the glibc levels wheels are published for. The floors: glibc 2.28 (Debian 10, Ubuntu 20.04,
# RHEL 8 and later), macOS 12, 64-bit Windows.
PLATFORMS: dict[str, list[str]] = {
    "windows": ["win_amd64"],
    "macos-arm": ["macosx_12_0_arm64"],
    "macos-intel": ["macosx_12_0_x86_64"],
    "linux": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
}
PYTHONS = ["3.11", "3.12", "3.13"]
# What the editable install of the course (`-e .`) needs to build without an index: pyproject's build backend.
BUILD_REQUIREMENTS = ["setuptools>=68"]


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


def download(out: Path, course_wheel: Path, platform_tags: list[str], python: str, extras: str) -> None:
    """Download the course's dependencies (and the build backend) for one platform and Python version."""
    requirement = f"kenali[{extras}] @ {course_wheel.as_uri()}" if extras else str(course_wheel)
    cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--dest", str(out),
           "--python-version", python, "--implementation", "cp"]
    for tag in platform_tags:
        cmd += ["--platform", tag]
    _run([*cmd, requirement, *BUILD_REQUIREMENTS])


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("*.whl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS),
                        help="target platform (repeatable; default: all)")
    parser.add_argument("--python", action="append", choices=PYTHONS,
                        help="target Python version (repeatable; default: 3.11, 3.12 and 3.13)")
    parser.add_argument("--out", type=Path, default=HERE / "wheels", help="wheelhouse folder (default: %(default)s)")
    parser.add_argument("--extras", default="", help="extras of the course package to include too, e.g. 'class'")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    course_wheel = build_course_wheel(args.out)
    failed: list[str] = []
    for name in args.platform or sorted(PLATFORMS):
        for python in args.python or PYTHONS:
            try:
                download(args.out, course_wheel, PLATFORMS[name], python, args.extras)
            except subprocess.CalledProcessError:
                failed.append(f"{name} / Python {python}")
    wheels = len(list(args.out.glob("*.whl")))
    print(f"\n{args.out}: {wheels} wheels, {folder_size(args.out) / 2**20:.0f} MiB")
    if failed:
        print("not complete for: " + ", ".join(failed) + " (a dependency has no wheel there; see pip's message above)",
              file=sys.stderr)
        return 1
    print("In the room: pip install --no-index --find-links " f"{args.out} -r requirements.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The link that hands the course to every learner on a JupyterHub: nbgitpuller's ``git-pull`` URL.

A learner who opens it logs in (if needed), gets their server started, has the course cloned into their home
(first time) or updated (later: their own edits are kept, nbgitpuller merges), and lands on the start notebook.
Progress never lives in the tracked files: ``.kenali/`` is git-ignored (and on the hub ``KENALI_HOME`` is
``~/.kenali``, outside the clone), so a re-pull never conflicts with it. ``kenali hub-link`` prints it.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from ..launch import START_NOTEBOOK


class LinkError(ValueError):
    """A hub or repository address that cannot make a link (the message says which and why)."""


def course_folder(repo: str) -> str:
    """The folder the course is cloned into: the repository's last path segment without ``.git``."""
    name = repo.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    if not name or name in {".", ".."}:
        raise LinkError(f"cannot tell a folder name from the repository address {repo!r}")
    return name


def pull_path(repo: str, branch: str = "main", folder: str | None = None) -> str:
    """The server-relative part of the link (``git-pull?...``), also usable as ``Spawner.default_url``."""
    folder = folder or course_folder(repo)
    query = urlencode(
        {"repo": repo, "branch": branch, "targetpath": folder, "urlpath": f"lab/tree/{folder}/{START_NOTEBOOK}"}
    )
    return f"git-pull?{query}"


def hub_link(hub: str, repo: str, branch: str = "main", folder: str | None = None) -> str:
    """The whole link: ``<hub>/hub/user-redirect/git-pull?repo=…&branch=…&targetpath=…&urlpath=…``.

    ``hub`` is the hub's public address (``https://kelas.example.org`` or with a base path); ``repo`` any URL
    git clones from (``https://…``, ``file:///…``)."""
    parts = urlsplit(hub)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise LinkError(f"the hub address must start with http:// or https://, got {hub!r}")
    if not repo.strip():
        raise LinkError("the repository address is empty")
    if not branch.strip():
        raise LinkError("the branch name is empty")
    base = hub.rstrip("/")
    if base.endswith("/hub"):  # the hub's own page was given: its base is one level up
        base = base[: -len("/hub")]
    return f"{base}/hub/user-redirect/{pull_path(repo.strip(), branch.strip(), folder)}"

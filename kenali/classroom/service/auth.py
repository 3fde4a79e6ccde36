"""Who is asking: a learner's kernel (a hub token in the ``Authorization`` header) or a facilitator's browser.

Two backends, one interface (:class:`Backend`):

* :class:`HubBackend` (what ``kenali serve`` uses under JupyterHub): the hub resolves every token and
  OAuth cookie (:class:`jupyterhub.services.auth.HubOAuth`, answers cached for a minute). A kernel's token
  is the single-user server's ``$JUPYTERHUB_API_TOKEN``; it is accepted when it belongs to a *user* and
  carries the scope ``access:services!service=<name>`` (the hub grants it with
  ``c.Spawner.server_token_scopes`` and ``c.JupyterHub.extra_user_scopes``; see docs/classroom.md).
  Browsers log in through the hub (OAuth); the cookie is this service's own.
* :class:`TokenFileBackend` (tests and the load benchmark only, ``kenali serve --tokens FILE``): a YAML or
  JSON map ``token: {name: ..., admin: true|false, groups: [...]}``. Never the default.

The identity of a learner is always the hub user name, never a field of a request body. Facilitators are
hub admins and members of the hub group ``kenali-fasilitator``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from tornado import web

FACILITATOR_GROUP = "kenali-fasilitator"
_TOKEN_HEADER = ("token ", "bearer ")


class AuthError(Exception):
    """A request that is identified but not allowed, or a setup that cannot authenticate (status, reason)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class AuthConfigError(ValueError):
    """The authentication cannot be set up (no hub environment, a bad token file); a clear message."""


@dataclass(frozen=True)
class Identity:
    """A hub user (or, in a token file, a stand-in for one)."""

    name: str
    admin: bool = False
    groups: frozenset[str] = field(default_factory=frozenset)

    @property
    def facilitator(self) -> bool:
        return self.admin or FACILITATOR_GROUP in self.groups


def header_token(handler: web.RequestHandler) -> str | None:
    """The token of an ``Authorization: token …`` (or ``Bearer …``) header."""
    value = handler.request.headers.get("Authorization", "")
    for prefix in _TOKEN_HEADER:
        if value[: len(prefix)].lower() == prefix:
            token = value[len(prefix):].strip()
            return token or None
    return None


class Backend(Protocol):
    kind: str

    async def kernel(self, handler: web.RequestHandler) -> Identity | None:
        """The user of a kernel's request (token header only, never a cookie); None when no valid token.
        Raises :class:`AuthError` when the token is valid but not allowed here."""

    async def browser(self, handler: web.RequestHandler) -> Identity | None:
        """The user of a browser's request (cookie, or a token header); None when not logged in."""

    def login_url(self, handler: web.RequestHandler) -> str | None:
        """Where to send a browser that is not logged in (None: nowhere, answer 401)."""

    def handlers(self, prefix: str) -> list[tuple[str, Any, dict[str, Any]]]:
        """Extra routes (the OAuth callback)."""


def _identity(model: dict[str, Any]) -> Identity:
    return Identity(name=str(model["name"]), admin=bool(model.get("admin")),
                    groups=frozenset(str(g) for g in model.get("groups") or ()))


class HubBackend:
    """Tokens and cookies resolved by JupyterHub (see the module docstring)."""

    kind = "hub"

    def __init__(self, service_name: str | None = None, prefix: str | None = None, cache_seconds: int = 60):
        from jupyterhub.services.auth import HubOAuth

        if not os.environ.get("JUPYTERHUB_API_TOKEN"):
            raise AuthConfigError(
                "JUPYTERHUB_API_TOKEN is not set: `kenali serve` runs as a JupyterHub service (the hub starts it "
                "and sets the JUPYTERHUB_* variables). For a test or a benchmark without a hub, give --tokens FILE.")
        self.service_name = service_name or os.environ.get("JUPYTERHUB_SERVICE_NAME") or "kenali"
        # A service the hub starts gets every JUPYTERHUB_* variable; one started by an administrator (an
        # "external" service) may have only the token and the API URL: the rest follows JupyterHub's defaults.
        settings: dict[str, Any] = {"cache_max_age": cache_seconds}
        if not os.environ.get("JUPYTERHUB_CLIENT_ID"):
            settings["oauth_client_id"] = f"service-{self.service_name}"
        if not os.environ.get("JUPYTERHUB_SERVICE_PREFIX") and prefix:
            settings["base_url"] = prefix
        self.hub_auth = HubOAuth(**settings)
        self.required = {f"access:services!service={self.service_name}"}
        self.hub_auth.access_scopes = set(self.required)

    async def kernel(self, handler: web.RequestHandler) -> Identity | None:
        token = header_token(handler)
        if not token:
            return None
        model = await self.hub_auth.user_for_token(token, sync=False)
        return self._allowed(model)

    def _allowed(self, model: dict[str, Any] | None) -> Identity | None:
        if not model:
            return None
        if model.get("kind", "user") != "user":
            raise AuthError(403, f"{model.get('kind')} {model.get('name')!r} is not a hub user; only users' "
                                 "servers report to the class server")
        if not self.hub_auth.check_scopes(self.required, model):
            raise AuthError(403, f"this token of user {model.get('name')!r} lacks the scope "
                                 f"{next(iter(self.required))}: grant it with c.Spawner.server_token_scopes "
                                 "and c.JupyterHub.extra_user_scopes (see docs/classroom.md)")
        return _identity(model)

    async def browser(self, handler: web.RequestHandler) -> Identity | None:
        model = await self.hub_auth.get_user(handler, sync=False)
        return self._allowed(model)

    def login_url(self, handler: web.RequestHandler) -> str | None:
        from tornado.httputil import url_concat

        hub_auth = self.hub_auth
        params: dict[str, str] = {}
        code_verifier = None
        if hub_auth.pkce_enabled:
            code_verifier, challenge, method = hub_auth.generate_pkce_code_challenge()
            params.update(code_challenge=challenge, code_challenge_method=method)
        params["state"] = hub_auth.set_state_cookie(handler, next_url=handler.request.uri,
                                                    code_verifier=code_verifier)
        return url_concat(hub_auth.login_url, params)

    def handlers(self, prefix: str) -> list[tuple[str, Any, dict[str, Any]]]:
        from jupyterhub.services.auth import HubOAuthCallbackHandler

        class Callback(HubOAuthCallbackHandler):
            def initialize(self, hub_auth: Any) -> None:
                self.hub_auth = hub_auth

        return [(prefix + "oauth_callback", Callback, {"hub_auth": self.hub_auth})]


class TokenFileBackend:
    """Tokens from a file, for tests and the benchmark (``--tokens FILE``); browsers send the token as a
    header, or once as ``?token=`` (kept in a signed cookie)."""

    kind = "tokens"
    cookie = "kenali-bench"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.users = self._load(self.path)

    @staticmethod
    def _load(path: Path) -> dict[str, Identity]:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise AuthConfigError(f"token file {path} cannot be read: {exc.strerror or exc}") from None
        try:
            data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            kind = "JSON" if path.suffix == ".json" else "YAML"
            raise AuthConfigError(f"token file {path} is not valid {kind}: {exc}") from None
        if not isinstance(data, dict) or not data:
            raise AuthConfigError(f"token file {path}: expected a map of token -> {{name, admin, groups}}")
        users: dict[str, Identity] = {}
        for token, spec in data.items():
            where = f"token file {path}, token {str(token)[:4]}…"
            if isinstance(spec, str):
                spec = {"name": spec}
            if not isinstance(token, str) or len(token) < 8:
                raise AuthConfigError(f"{where}: tokens are text of at least 8 characters")
            if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
                raise AuthConfigError(f"{where}: needs a user name (name: ...)")
            unknown = set(spec) - {"name", "admin", "groups"}
            if unknown:
                raise AuthConfigError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
            groups = spec.get("groups") or []
            if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
                raise AuthConfigError(f"{where}: groups is a list of group names")
            if not isinstance(spec.get("admin", False), bool):
                raise AuthConfigError(f"{where}: admin is true or false")
            users[token] = Identity(spec["name"], bool(spec.get("admin", False)), frozenset(groups))
        return users

    def _lookup(self, token: str | None) -> Identity | None:
        if not token:
            return None
        for known, identity in self.users.items():  # constant time per comparison
            if secrets.compare_digest(known.encode(), token.encode()):
                return identity
        return None

    async def kernel(self, handler: web.RequestHandler) -> Identity | None:
        return self._lookup(header_token(handler))

    async def browser(self, handler: web.RequestHandler) -> Identity | None:
        token = header_token(handler)
        if token is None:
            given = handler.get_query_argument("token", None)
            if given and self._lookup(given):
                handler.set_signed_cookie(self.cookie, hashlib.sha256(given.encode()).hexdigest(), httponly=True,
                                          samesite="Strict")
                token = given
            else:
                digest = handler.get_signed_cookie(self.cookie, max_age_days=1)
                if digest:
                    token = next((t for t in self.users if
                                  secrets.compare_digest(hashlib.sha256(t.encode()).hexdigest().encode(), digest)),
                                 None)
        return self._lookup(token)

    def login_url(self, handler: web.RequestHandler) -> str | None:
        return None

    def handlers(self, prefix: str) -> list[tuple[str, Any, dict[str, Any]]]:
        return []

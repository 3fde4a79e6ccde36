"""A small in-process imitation of the class server's kernel API (``api/check``, ``api/records``) for the
client tests: http.server in a thread, keys from the full fixture course, the policy's disclosure and
attempt count, dedupe by (user, exercise, seq). It can be stopped and started again on the same port, and
made to hang or fail."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kenali.bank import Course
from kenali.classroom import wire
from kenali.classroom.policy import PRACTICE, Policy, attempts_left, disclosure, is_final, redact
from kenali.session import check_answer


@dataclass
class FakeClass:
    course: Course  # with keys
    policy: Policy = PRACTICE
    tokens: dict[str, str] = field(default_factory=lambda: {"tok-ani": "ani"})
    mode: str = "up"  # "up", "hang" (sleep ``hang`` seconds first), "fail" (HTTP 500)
    hang: float = 5.0
    stored: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    verdicts: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    received: int = 0  # records received by api/records, duplicates included
    checks: int = 0
    batches: list[int] = field(default_factory=list)  # records per api/records request
    sizes: list[int] = field(default_factory=list)  # bytes per api/records request
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/kenali/"

    def attempts(self, user: str, exercise: str) -> int:
        return sum(1 for (u, e, _s), v in self.stored.items() if u == user and e == exercise and v["judged"])

    def judge(self, user: str, exercise: str, answer: Any, seq: int | None, hints: int) -> dict[str, Any]:
        if seq is not None and (user, exercise, seq) in self.verdicts:
            return self.verdicts[(user, exercise, seq)]
        ex = self.course.exercise(exercise)
        n = self.attempts(user, exercise) + 1
        if self.policy.attempts is not None and n > self.policy.attempts:
            out = wire.CheckOut(exercise=exercise, status="over_limit", attempt=n - 1, attempts_left=0, final=True,
                                seq=seq)
        else:
            result = check_answer(ex, answer)
            d = disclosure(self.policy, attempt=n, correct=result.correct)
            shown = redact(ex, result, d)
            out = wire.CheckOut(
                exercise=exercise, status=result.status, score=result.score,
                messages=[wire.msg_to_json(m) for m in shown.messages], parts=dict(shown.parts), attempt=n,
                attempts_left=attempts_left(self.policy, n), final=is_final(self.policy, attempt=n,
                                                                            correct=result.correct),
                disclosure=wire.DisclosureOut(parts=d.parts, explanation=d.explanation, distance=d.distance),
                explanation=ex.explanation if d.explanation else None, seq=seq,
                late=self.policy.deadline is not None and datetime.now(UTC) > self.policy.deadline)
        key = (user, exercise, seq if seq is not None else -self.checks)
        self.stored[key] = {"answer": answer, "judged": out.status != "over_limit", "hints": hints}
        data = out.model_dump(mode="json")
        self.verdicts[key] = data
        return data

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                if fake.mode == "hang":
                    time.sleep(fake.hang)
                if fake.mode == "fail":
                    return self._send(500, {"error": "broken", "status": 500})
                auth = self.headers.get("Authorization", "")
                user = fake.tokens.get(auth.removeprefix("token "))
                if user is None:
                    return self._send(403, {"error": "unknown token", "status": 403})
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    if self.path.endswith("/api/check"):
                        req = wire.parse(wire.CheckIn, body)
                        fake.checks += 1
                        return self._send(200, fake.judge(user, req.exercise, req.answer, req.seq, req.hints))
                    if self.path.endswith("/api/records"):
                        recs = wire.parse(wire.RecordsIn, body)
                        fake.batches.append(len(recs.records))
                        fake.sizes.append(len(body))
                        accepted, results = [], []
                        for r in recs.records:
                            fake.received += 1
                            key = (user, r.exercise, r.seq)
                            if r.status == "pending":
                                results.append(fake.judge(user, r.exercise, r.answer, r.seq, r.hints))
                            elif key not in fake.stored:
                                fake.stored[key] = {"answer": r.answer, "judged": r.status in
                                                    {"correct", "wrong", "partial"}, "hints": r.hints}
                            accepted.append({"exercise": r.exercise, "seq": r.seq})
                        return self._send(200, {"accepted": accepted, "results": results, "rejected": []})
                except wire.WireError as exc:
                    return self._send(400, {"error": str(exc), "status": 400})
                return self._send(404, {"error": "no such path", "status": 404})

        return Handler

    def start(self) -> FakeClass:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

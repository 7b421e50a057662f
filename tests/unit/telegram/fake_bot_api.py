"""A real HTTP server on 127.0.0.1 that speaks the slice of the Telegram Bot API brokergate uses.

It records every sendMessage, serves getUpdates from updates the test pushes (long-polling for the
`timeout` the bot asks for, as Telegram does, and waking as soon as an update arrives), and answers
401 to any other token, as Telegram does.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "123456:fake-token-for-tests"


class FakeBotApi:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.sent: list[dict] = []
        self.calls: list[str] = []
        self.polls: list[dict] = []  # the parameters of every getUpdates call
        self.fail_sends = 0  # answer this many sendMessage calls with 502 first
        self._updates: list[dict] = []
        self._next_update_id = 1000
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeBotApi:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def push(self, chat_id: int, text: str, *, chat_type: str = "private", username: str = "someone") -> None:
        """A user writes `text` to the bot from `chat_id`."""
        with self._changed:
            self._next_update_id += 1
            self._updates.append(
                {
                    "update_id": self._next_update_id,
                    "message": {
                        "message_id": self._next_update_id,
                        "chat": {"id": chat_id, "type": chat_type},
                        "from": {"id": chat_id, "username": username},
                        "text": text,
                    },
                }
            )
            self._changed.notify_all()

    def texts_to(self, chat_id: int) -> list[str]:
        return [message["text"] for message in list(self.sent) if message["chat_id"] == chat_id]

    def _answer(self, method: str, params: dict) -> tuple[int, dict]:
        self.calls.append(method)
        if method == "getMe":
            return 200, {"ok": True, "result": {"id": 1, "is_bot": True, "username": "brokergate_test_bot"}}
        if method == "getUpdates":
            self.polls.append(params)
            offset = int(params.get("offset") or 0)
            with self._changed:
                self._changed.wait_for(
                    lambda: any(u["update_id"] >= offset for u in self._updates),
                    timeout=float(params.get("timeout") or 0),  # no timeout: a short poll
                )
                return 200, {"ok": True, "result": [u for u in self._updates if u["update_id"] >= offset]}
        if method == "sendMessage":
            if self.fail_sends > 0:
                self.fail_sends -= 1
                return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            self.sent.append({"chat_id": params["chat_id"], "text": params["text"]})
            return 200, {"ok": True, "result": {"message_id": len(self.sent)}}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                params = json.loads(self.rfile.read(length) or b"{}")
                prefix, _, method = self.path.rpartition("/")
                if prefix != f"/bot{fake.token}":
                    status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                else:
                    status, body = fake._answer(method, params)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bot stopped while its long poll was waiting

            def log_message(self, *args) -> None:
                pass

        return Handler

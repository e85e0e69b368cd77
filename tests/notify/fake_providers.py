"""A local stand-in for the SMS providers: an HTTP server speaking ClickSend's REST v3 and
Twilio's 2010-04-01 Messages API (their documented request and response shapes), which
records what it accepts and can be told to fail: 500, 429 with Retry-After, 400, a timeout
(no answer, nothing kept), or "accept then hang" (kept, but the answer never comes back).
Used by the notify tests and by bench/notify.py.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections import deque
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
TWILIO_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")


class FakeProviders:
    def __init__(self, clicksend_user="radbridge", clicksend_key="test-key",
                 twilio_sid="AC" + "0" * 32, twilio_token="test-token"):
        self.clicksend_auth = (clicksend_user, clicksend_key)
        self.twilio_auth = (twilio_sid, twilio_token)
        self.accepted: list[dict] = []  # every message a provider took, in order
        self.requests: list[dict] = []  # every send request, with its outcome
        self.failures: deque = deque()
        self.hang_seconds = 5.0
        self.release = threading.Event()
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                outer.handle(self, "POST")

            def do_GET(self):
                outer.handle(self, "GET")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, *modes) -> None:
        """Queue failures for the next send requests: "500", "400", "timeout",
        "accept_then_hang", or ("429", retry_after_seconds)."""
        self.failures.extend(modes)

    def bodies(self, provider: str | None = None) -> list[str]:
        return [m["body"] for m in self.accepted if provider in (None, m["provider"])]

    # -- request handling -------------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        twilio = TWILIO_PATH.match(parts.path)
        if parts.path.startswith("/v3/sms/"):
            if not self.authorised(handler, self.clicksend_auth):
                return self.reply(handler, 401, {"http_code": 401, "response_code": "UNAUTHORIZED",
                                                 "response_msg": "Invalid credentials"})
            if method == "POST" and parts.path == "/v3/sms/send":
                return self.clicksend_send(handler, raw)
            if method == "GET" and parts.path == "/v3/sms/history":
                return self.clicksend_history(handler, parse_qs(parts.query))
        elif twilio and twilio["sid"] == self.twilio_auth[0]:
            if not self.authorised(handler, self.twilio_auth):
                return self.reply(handler, 401, {"code": 20003, "message": "Authenticate",
                                                 "status": 401})
            if method == "POST":
                return self.twilio_send(handler, raw)
            return self.twilio_list(handler, parse_qs(parts.query))
        self.reply(handler, 404, {"message": f"no such resource {parts.path}"})

    @staticmethod
    def authorised(handler, expected: tuple[str, str]) -> bool:
        header = handler.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return (user, password) == expected

    @staticmethod
    def reply(handler, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the client went away (timeout, killed worker)

    def failure(self, handler, provider: str, accept) -> bool:
        """Apply the next queued failure, if any; True when the request was answered."""
        with self.lock:
            mode = self.failures.popleft() if self.failures else None
        if mode is None:
            return False
        self.requests.append({"provider": provider, "at": time.time(), "failure": mode})
        if isinstance(mode, tuple) and mode[0] == "429":
            self.reply(handler, 429, {"code": 20429, "message": "Too Many Requests",
                                      "status": 429}, {"Retry-After": str(mode[1])})
        elif mode == "500":
            self.reply(handler, 500, {"code": 20500, "message": "Internal Server Error",
                                      "status": 500})
        elif mode == "400":
            self.reply(handler, 400, {"code": 21211, "message": "The 'To' number is not a "
                                      "valid phone number.", "status": 400})
        elif mode == "timeout":
            time.sleep(self.hang_seconds)
            handler.close_connection = True
        elif mode == "accept_then_hang":
            accept()
            self.release.wait(self.hang_seconds)
            handler.close_connection = True
        return True

    # -- ClickSend ----------------------------------------------------------------------------

    def clicksend_send(self, handler, raw: bytes) -> None:
        try:
            messages = json.loads(raw)["messages"]
            assert isinstance(messages, list) and all("to" in m and "body" in m for m in messages)
        except (ValueError, KeyError, TypeError, AssertionError):
            return self.reply(handler, 400, {"http_code": 400, "response_code": "BAD_REQUEST",
                                             "response_msg": "messages[] with to and body"})
        answers = [self.clicksend_answer(m) for m in messages]

        def accept():
            with self.lock:
                for message, answer in zip(messages, answers, strict=True):
                    if answer["status"] == "SUCCESS":
                        self.accepted.append({
                            "provider": "clicksend", "to": message["to"], "body": message["body"],
                            "key": message.get("custom_string", ""), "id": answer["message_id"],
                            "at": time.time(), "date": answer["date"],
                        })

        if self.failure(handler, "clicksend", accept):
            return
        accept()
        self.requests.append({"provider": "clicksend", "at": time.time(), "count": len(messages)})
        self.reply(handler, 200, {
            "http_code": 200, "response_code": "SUCCESS",
            "response_msg": "Messages queued for delivery.",
            "data": {"total_count": len(messages),
                     "queued_count": sum(a["status"] == "SUCCESS" for a in answers),
                     "messages": answers, "_currency": {"currency_name_short": "USD"}},
        })

    @staticmethod
    def clicksend_answer(message: dict) -> dict:
        valid = bool(E164.match(str(message["to"])))
        return {
            "direction": "out", "date": int(time.time()), "to": message["to"],
            "body": message["body"], "from": message.get("from", ""), "schedule": 0,
            "message_id": str(uuid.uuid4()).upper(), "message_parts": 1,
            "message_price": "0.0770", "custom_string": message.get("custom_string", ""),
            "status": "SUCCESS" if valid else "INVALID_RECIPIENT",
        }

    def clicksend_history(self, handler, query: dict) -> None:
        date_from = int(query.get("date_from", ["0"])[0])
        limit = int(query.get("limit", ["15"])[0])
        page = int(query.get("page", ["1"])[0])
        with self.lock:
            rows = [m for m in self.accepted if m["provider"] == "clicksend"
                    and m["date"] >= date_from]
        last_page = max(1, -(-len(rows) // limit))
        chunk = rows[(page - 1) * limit : page * limit]
        self.reply(handler, 200, {"http_code": 200, "response_code": "SUCCESS", "data": {
            "total": len(rows), "per_page": limit, "current_page": page, "last_page": last_page,
            "data": [{"message_id": m["id"], "custom_string": m["key"], "to": m["to"],
                      "body": m["body"], "date": m["date"], "status": "Sent"} for m in chunk],
        }})

    # -- Twilio -------------------------------------------------------------------------------

    def twilio_send(self, handler, raw: bytes) -> None:
        form = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
        if not form.get("To") or not form.get("Body"):
            return self.reply(handler, 400, {"code": 21604, "message": "A 'To' phone number "
                                             "and a Body are required.", "status": 400})
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return self.reply(handler, 400, {"code": 21603, "message": "A 'From' phone number "
                                             "is required.", "status": 400})
        if not E164.match(form["To"]):
            return self.reply(handler, 400, {"code": 21211, "message": f"The 'To' number "
                                             f"{form['To']} is not a valid phone number.",
                                             "status": 400})
        sid = "SM" + uuid.uuid4().hex
        resource = {
            "sid": sid, "account_sid": self.twilio_auth[0], "to": form["To"],
            "from": form.get("From"), "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form["Body"], "status": "queued", "date_created": formatdate(usegmt=True),
            "date_sent": None, "num_segments": "1", "direction": "outbound-api",
            "api_version": "2010-04-01", "error_code": None, "error_message": None,
        }

        def accept():
            with self.lock:
                self.accepted.append({"provider": "twilio", "to": form["To"], "body": form["Body"],
                                      "key": "", "id": sid, "at": time.time(),
                                      "callback": form.get("StatusCallback", ""),
                                      "resource": resource})

        if self.failure(handler, "twilio", accept):
            return
        accept()
        self.requests.append({"provider": "twilio", "at": time.time(), "count": 1})
        self.reply(handler, 201, resource)

    def twilio_list(self, handler, query: dict) -> None:
        to = query.get("To", [None])[0]
        with self.lock:
            rows = [m["resource"] for m in self.accepted
                    if m["provider"] == "twilio" and to in (None, m["to"])]
        self.reply(handler, 200, {"messages": list(reversed(rows)), "page": 0,
                                  "page_size": len(rows), "next_page_uri": None})

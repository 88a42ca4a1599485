"""A stand-in for llama.cpp's ``llama-server``: the same command line, ``/health``,
and a streamed ``/v1/chat/completions`` answering every request with one function.

``--alias crash`` exits at once with a message (a server that cannot start);
``--alias slow`` is never healthy; ``--alias nousage`` streams no usage report (as
when the client hangs up at the code's end), and its ``/apply-template`` and
``/tokenize`` count one token per word. It records its pid in ``$FAKE_LLAMA_PIDFILE``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWER = ["```python\n", "def add(a, b):\n", "    return a + b\n", "```\n", "Done."]
CONTINUATION = ["    return a + b\n", "```\n", "Done."]
"""The answer to a request whose last message is the assistant's start (a prefill)."""


def main() -> None:
    argv = sys.argv[1:]
    opts = {argv[i]: argv[i + 1] for i in range(len(argv) - 1) if argv[i].startswith("--")}
    alias, port = opts["--alias"], int(opts["--port"])
    pidfile = os.environ.get("FAKE_LLAMA_PIDFILE")
    if pidfile:
        with open(pidfile, "w") as f:
            f.write(str(os.getpid()))
    print(f"fake llama-server: model {opts['--model']} as {alias}", flush=True)
    if alias == "crash":
        print("error: failed to load model", flush=True)
        sys.exit(3)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            status = 503 if alias == "slow" else 200
            body = b'{"status":"ok"}'
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def reply(self, obj: dict[str, Any]) -> None:
            body = json.dumps(obj).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path == "/apply-template":
                self.reply({"prompt": " ".join(m["content"] for m in request["messages"])})
                return
            if self.path == "/tokenize":
                self.reply({"tokens": list(range(len(request["content"].split())))})
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            last = request["messages"][-1]
            prefilled = last["role"] == "assistant"
            # llama.cpp's server streams the prefilled start back first, in pieces here.
            echo = [last["content"][:5], last["content"][5:]] if prefilled else []
            for piece in [*echo, *CONTINUATION] if prefilled else ANSWER:
                chunk = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                time.sleep(0.01)
            end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            usage = {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": len(ANSWER)},
                     "model": request.get("model")}
            for event in (end, usage) if alias != "nousage" else (end,):
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()

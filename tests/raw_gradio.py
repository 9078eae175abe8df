"""gradio's protocols over plain HTTP, with no client of ours and no gradio_client: what a raw caller
of the Director server can send (the bad-input corpus and the door tests use it)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import httpx

from blender_movie_director.common import protocol


class Raw:
    """gradio's queue protocol over plain HTTP: no client of ours, no gradio_client."""

    def __init__(self, url: str, client_id: str | None) -> None:
        self.url = url
        self.headers = {protocol.CLIENT_ID_HEADER: client_id} if client_id else {}
        config = httpx.get(f"{url}/config", timeout=10).json()
        self.fn = {d["api_name"]: d.get("id", i) for i, d in enumerate(config["dependencies"]) if d.get("api_name")}

    def call(self, endpoint: str, data: list[Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        session = secrets.token_hex(8)
        sent_headers = self.headers if headers is None else headers
        joined = httpx.post(f"{self.url}/gradio_api/queue/join", headers=sent_headers, timeout=30,
                            json={"data": data, "fn_index": self.fn[endpoint], "session_hash": session,
                                  "event_data": None, "trigger_id": None})
        if joined.status_code != 200:
            return {"http": joined.status_code, "text": joined.text[:2000]}
        with httpx.stream("GET", f"{self.url}/gradio_api/queue/data", params={"session_hash": session},
                          headers=sent_headers, timeout=60) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    if message.get("msg") in ("process_completed", "unexpected_error"):
                        return message
        return {"msg": "no answer"}

    def join(self, body: str) -> dict[str, Any]:
        """A queue join of any body (not only gradio's shape): its HTTP answer if refused."""
        joined = httpx.post(f"{self.url}/gradio_api/queue/join", headers={**self.headers, "content-type":
                            "application/json"}, content=body.encode(), timeout=30)
        return {"http": joined.status_code, "text": joined.text[:2000]} if joined.status_code != 200 \
            else {"msg": "joined", "output": joined.json()}

    def direct(self, endpoint: str, data: list[Any], route: str = "run") -> dict[str, Any]:
        """A plain POST to gradio's REST route of an endpoint (/gradio_api/run/<endpoint>), past the queue."""
        answer = httpx.post(f"{self.url}/gradio_api/{route}/{endpoint}", json={"data": data}, headers=self.headers,
                            timeout=30)
        if answer.status_code != 200:
            return {"http": answer.status_code, "text": answer.text[:300]}
        return {"msg": "answered directly", "output": answer.json()}

    def burst(self, endpoint: str, arguments: list[list[Any]]) -> tuple[int, int]:
        """Many calls in one session, as fast as they go; returns (answered, refused at the door: HTTP 429)."""
        session = secrets.token_hex(8)
        joined = refused = 0
        with httpx.Client(headers=self.headers, timeout=60) as http:
            for data in arguments:
                reply = http.post(f"{self.url}/gradio_api/queue/join", json={
                    "data": data, "fn_index": self.fn[endpoint], "session_hash": session, "event_data": None,
                    "trigger_id": None})
                if reply.status_code == 429:
                    refused += 1
                    continue
                reply.raise_for_status()
                joined += 1
            answered = 0
            if joined:
                with http.stream("GET", f"{self.url}/gradio_api/queue/data",
                                 params={"session_hash": session}) as stream:
                    for line in stream.iter_lines():
                        if line.startswith("data:") and json.loads(line[5:]).get("msg") == "process_completed":
                            answered += 1
                            if answered == joined:
                                break
        return answered, refused

    def upload(self, path: Path) -> dict[str, Any]:
        with path.open("rb") as handle:
            answer = httpx.post(f"{self.url}/gradio_api/upload", files={"files": (path.name, handle)},
                                headers=self.headers, timeout=120)
        if answer.status_code != 200:
            return {"http": answer.status_code, "text": answer.text[:300]}
        return {"path": answer.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}

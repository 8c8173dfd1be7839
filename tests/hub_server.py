"""A stand-in for the Hugging Face hub on 127.0.0.1, for download tests (HF_ENDPOINT points at
it). It serves model repos in the hub's URL layout, as huggingface_hub expects them:

- GET /api/models/{repo} and /api/models/{repo}/revision/{rev}: the repo's commit and files
  (with ?blobs=true their sizes, git blob ids and LFS sha256), as the hub's JSON;
- HEAD and GET /{repo}/resolve/{rev}/{file}: the file, with X-Repo-Commit and ETag headers
  (for LFS files - weights - X-Linked-Etag and X-Linked-Size, the sha256 and size, as the
  hub sends them), Content-Length, and byte ranges (Range: bytes=N-) answered with 206.

Files go out in small chunks (`chunk_size`, `chunk_delay`), so a client sees many pieces.
Test hooks: `requests` records every request (method, path, Range header); `drop_after[name]
= n` drops the connection once after n bytes of that file; `hold[name] = (n, event)` sends n
bytes of it, sets `event.reached`, and sends the rest only once `event` is set;
`hold_listing`, an event, holds back the answers to /api/models until it is set.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

COMMIT = "0123456789abcdef0123456789abcdef01234567"
# The hub id the fixture model is served under (tests/conftest.py's `hub` fixture).
FIXTURE_REPO = "photofind-test/tiny-clip"
LFS_SUFFIXES = (".safetensors", ".bin", ".h5", ".msgpack", ".onnx")


@dataclass
class Hold:
    """Pause a file's transfer after `after` bytes until `release` is set."""

    after: int
    release: threading.Event = field(default_factory=threading.Event)
    reached: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    range: str | None

    @property
    def file(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def range_start(self) -> int:
        match = re.fullmatch(r"bytes=(\d+)-\d*", self.range or "")
        return int(match.group(1)) if match else 0


class HubServer:
    """`with HubServer({"org/name": {"config.json": b"...", ...}}) as hub: hub.endpoint`"""

    def __init__(
        self,
        repos: dict[str, dict[str, bytes]],
        chunk_size: int = 16 * 1024,
        chunk_delay: float = 0.0,
    ) -> None:
        self.repos = repos
        self.chunk_size = chunk_size
        self.chunk_delay = chunk_delay
        self.requests: list[Request] = []
        self.drop_after: dict[str, int] = {}
        self.hold: dict[str, Hold] = {}
        self.hold_listing: threading.Event | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def gets(self, filename: str) -> list[Request]:
        """The GET requests for a file, in order."""
        with self._lock:
            return [r for r in self.requests if r.method == "GET" and r.file == filename]

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        for hold in self.hold.values():
            hold.release.set()
        if self.hold_listing is not None:
            self.hold_listing.set()

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)


def repo_from_folder(folder: Path, **extra: bytes) -> dict[str, bytes]:
    """A repo's files: every file of `folder`, plus `extra` (name -> content)."""
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    return {**files, **extra}


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _is_lfs(name: str) -> bool:
    return name.endswith(LFS_SUFFIXES)


def _handler(hub: HubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._serve(body=False)

        def do_GET(self) -> None:
            self._serve(body=True)

        def _serve(self, body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            hub._record(Request(self.command, path, self.headers.get("Range")))
            api = re.fullmatch(r"/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?", path)
            resolve = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
            if api:
                self._api(api.group(1), "blobs" in (urlsplit(self.path).query or ""))
            elif resolve:
                self._file(resolve.group(1), resolve.group(2), resolve.group(3), body)
            else:
                self._error(404, "RepoNotFound", "not found")

        def _api(self, repo: str, blobs: bool) -> None:
            if hub.hold_listing is not None:
                hub.hold_listing.wait()
            files = hub.repos.get(repo)
            if files is None:
                self._error(404, "RepoNotFound", f"Repository {repo} not found")
                return
            siblings = []
            for name, data in sorted(files.items()):
                sibling: dict[str, object] = {"rfilename": name}
                if blobs:
                    sibling["size"] = len(data)
                    sibling["blobId"] = _git_blob_id(data)
                    if _is_lfs(name):
                        sha = hashlib.sha256(data).hexdigest()
                        sibling["lfs"] = {"size": len(data), "sha256": sha, "pointerSize": 134}
                siblings.append(sibling)
            info = {
                "_id": "0" * 24,
                "id": repo,
                "modelId": repo,
                "sha": COMMIT,
                "private": False,
                "gated": False,
                "disabled": False,
                "downloads": 0,
                "likes": 0,
                "tags": ["transformers", "clip"],
                "library_name": "transformers",
                "siblings": siblings,
            }
            payload = json.dumps(info).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _file(self, repo: str, revision: str, name: str, body: bool) -> None:
            files = hub.repos.get(repo)
            if files is None:
                self._error(404, "RepoNotFound", f"Repository {repo} not found")
                return
            if revision not in ("main", COMMIT):
                self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
                return
            data = files.get(name)
            if data is None:
                self._error(404, "EntryNotFound", f"{name} does not exist on main")
                return
            size = len(data)
            start = 0
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
            if match:
                start = int(match.group(1))
                if start >= size:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            self.send_response(206 if match else 200)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "application/octet-stream")
            if _is_lfs(name):
                sha = hashlib.sha256(data).hexdigest()
                self.send_header("ETag", f'"{sha}"')
                self.send_header("X-Linked-Etag", f'"{sha}"')
                self.send_header("X-Linked-Size", str(size))
            else:
                self.send_header("ETag", f'"{_git_blob_id(data)}"')
            if match:
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            self.send_header("Content-Length", str(size - start))
            self.end_headers()
            if body:
                self._send(name, data, start)

        def _send(self, name: str, data: bytes, start: int) -> None:
            drop = hub.drop_after.pop(name, None)
            hold = hub.hold.pop(name, None)
            stop = len(data) if drop is None else min(len(data), drop)
            position = start
            try:
                while position < stop:
                    if hold is not None and position >= hold.after:
                        hold.reached.set()
                        hold.release.wait()
                        hold = None
                    end = min(position + hub.chunk_size, stop)
                    if hold is not None and position < hold.after:
                        end = min(end, hold.after)
                    self.wfile.write(data[position:end])
                    self.wfile.flush()
                    position = end
                    if hub.chunk_delay:
                        threading.Event().wait(hub.chunk_delay)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
                return
            if drop is not None:  # the connection drops with the body cut short
                self.close_connection = True

        def _error(self, status: int, code: str, message: str) -> None:
            payload = json.dumps({"error": message}).encode()
            self.send_response(status)
            self.send_header("X-Error-Code", code)
            self.send_header("X-Error-Message", message)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler

"""The console's CSS and JavaScript, read into memory at start-up and served from `/static/<name>`.

Serving from a dict of the files that exist makes path traversal impossible rather than guarded
against: `/static/../../.env` is simply a name that is not in the dict.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from gateway.observability import note

STATIC = Path(__file__).resolve().parent / "static"
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}


class Assets:
    def __init__(self, folder: Path = STATIC) -> None:
        self._files: dict[str, tuple[bytes, str, str]] = {}
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix in _TYPES:
                content = path.read_bytes()
                etag = '"' + hashlib.sha256(content).hexdigest()[:16] + '"'
                self._files[path.name] = (content, _TYPES[path.suffix], etag)

    async def serve(self, request: Request) -> Response:
        note(request.scope, route="static")
        found = self._files.get(request.path_params["name"])
        if found is None:
            raise HTTPException(404)
        content, media_type, etag = found
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return Response(content, media_type=media_type, headers={"ETag": etag, "Cache-Control": "no-cache"})

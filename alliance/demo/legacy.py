"""The internal REST service that some demo parks already run: the system their adapter reads from.

Paged JSON behind a bearer token, as such services are; the data is the park's file in the demo's data dir.
"""

from __future__ import annotations

import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from alliance.demo.data import LEGACY_TOKEN


def legacy_app(parks_dir: Path) -> Starlette:
    async def enterprises(request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {LEGACY_TOKEN}":
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        park_id = request.path_params["park_id"]
        path = parks_dir / park_id / f"{park_id}-legacy.json"
        if not path.is_file():
            return JSONResponse({"error": f"no such park {park_id}"}, status_code=404)
        try:
            page = max(1, int(request.query_params.get("page", "1")))
            size = min(500, max(1, int(request.query_params.get("size", "100"))))
        except ValueError:
            return JSONResponse({"error": "page and size are numbers"}, status_code=400)
        items = json.loads(path.read_text(encoding="utf-8"))
        chunk = items[(page - 1) * size: page * size]
        return JSONResponse({"data": {"total": len(items), "items": chunk}})

    return Starlette(routes=[Route("/api/v2/parks/{park_id}/enterprises", enterprises)])

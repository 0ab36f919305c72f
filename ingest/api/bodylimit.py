"""Refuse oversized request bodies before they are read whole (pure ASGI).

A declared Content-Length over the limit is refused at once; otherwise the body is
counted as it streams in and refused the moment it passes the limit, so a chunked
upload without a length cannot fill memory either.
"""
from __future__ import annotations

import json

JSON_LIMIT = 64 * 1024
MULTIPART_LIMIT = 600 * 1024   # a 500 KB selfie, the JSON part and the multipart framing
# Routes that take bigger uploads: a leave request carries up to 3 documents of 2 MB each.
ROUTE_MULTIPART_LIMITS = {"/api/v1/leaves": 3 * 2 * 1024 * 1024 + 64 * 1024}


def _too_large(limit: int) -> bytes:
    return json.dumps({"error": {
        "code": "payload_too_large",
        "message_id": f"Permintaan terlalu besar (maks. {limit // 1024} KB)",
        "message_en": f"Request body too large (max {limit // 1024} KB)"}}).encode()


class BodyLimit:
    def __init__(self, app, json_limit: int = JSON_LIMIT, multipart_limit: int = MULTIPART_LIMIT):
        self.app, self.json_limit, self.multipart_limit = app, json_limit, multipart_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("path", "").startswith("/iclock/"):
            # terminals: a reboot re-sends its whole log at once; the receiver has its own limit
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        ctype = headers.get(b"content-type", b"").lower()
        limit = self.json_limit
        if ctype.startswith(b"multipart/"):
            limit = ROUTE_MULTIPART_LIMITS.get(scope.get("path", ""), self.multipart_limit)
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = -1
            if size < 0:
                return await self._refuse(send, 400, b'{"error": {"code": "bad_request", "message_id": '
                                          b'"Content-Length tidak sah", "message_en": "Invalid Content-Length"}}')
            if size > limit:
                return await self._refuse(send, 413, _too_large(limit))
            if size == 0:
                return await self.app(scope, receive, send)
        # Read up to the limit, then hand the app the buffered body.
        chunks, total = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            body = message.get("body", b"")
            total += len(body)
            if total > limit:
                return await self._refuse(send, 413, _too_large(limit))
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send, status: int, body: bytes) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

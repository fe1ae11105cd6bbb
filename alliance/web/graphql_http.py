"""GraphQL over HTTP, to the letter of the GraphQL-over-HTTP specification.

Hand-written because neither strawberry's nor graphene's views speak `application/graphql-response+json`
with its status codes; both schemas run on graphql-core, so one endpoint serves the gateway and the park node.

- Media types: `application/graphql-response+json` when the client accepts it (status codes carry meaning:
  400 for a request error, 200 once execution started), else `application/json` (200 for any well-formed
  request). Nothing acceptable: 406.
- GET for queries only (a mutation over GET is 405), POST with `application/json` bodies (else 415).
- A browser asking for HTML gets GraphiQL.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_BODY = 1_000_000

ContextFactory = Callable[[Request], Awaitable[Any]]
ErrorFormatter = Callable[[GraphQLError], dict[str, Any]]


class RequestError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def _accepted(request: Request) -> str | None:
    """The response media type, or None when the client accepts neither."""
    header = request.headers.get("accept", "")
    if not header.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for part in header.split(","):
        bits = [b.strip() for b in part.split(";")]
        media, q = bits[0].lower(), 1.0
        for param in bits[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        for candidate, rank in ((GRAPHQL_RESPONSE, 0), (JSON, 1)):
            if media in (candidate, "application/*", "*/*"):
                chosen = candidate if media == candidate else GRAPHQL_RESPONSE
                key = (-q, rank if media == candidate else 2, chosen)
                if best is None or key < best:
                    best = key
    return best[2] if best else None


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.method == "GET" and "text/html" in accept and "query" not in request.query_params


class GraphQLEndpoint:
    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        context: ContextFactory,
        rules: Sequence[type] = (),
        max_tokens: int = 2000,
        introspection: bool = True,
        graphiql: str | None = None,
        format_error: ErrorFormatter | None = None,
    ) -> None:
        self.schema = schema
        self.context = context
        self.rules = [*specified_rules, *rules]
        if not introspection:
            self.rules.append(NoSchemaIntrospectionCustomRule)
        self.max_tokens = max_tokens
        self.graphiql = graphiql
        # Parsing and validating dominate small requests; a client sends the same few documents again and again.
        self._documents: OrderedDict[str, tuple[DocumentNode, list[GraphQLError]]] = OrderedDict()
        self.format_error = format_error or (lambda e: e.formatted)

    async def __call__(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return self._plain(405, "GraphQL takes GET or POST", {"Allow": "GET, POST"})
        if self.graphiql and _wants_html(request):
            return HTMLResponse(self.graphiql)
        media = _accepted(request)
        if media is None:
            return self._plain(406, f"accept {GRAPHQL_RESPONSE} or {JSON}")
        try:
            params = await self._params(request)
            document, errors = self._checked(params["query"])
        except RequestError as exc:
            if exc.status != 400:
                return self._plain(exc.status, str(exc), exc.headers)
            return self._respond(media, ExecutionResult(None, [GraphQLError(str(exc))]), request_error=True)
        except GraphQLError as exc:
            return self._respond(media, ExecutionResult(None, [exc]), request_error=True)

        if errors:
            return self._respond(media, ExecutionResult(None, errors), request_error=True)
        operation = _operation(document, params.get("operationName"))
        if operation is None:
            err = GraphQLError("operationName does not name an operation of the document")
            return self._respond(media, ExecutionResult(None, [err]), request_error=True)
        if request.method == "GET" and operation.operation != OperationType.QUERY:
            return self._plain(405, "only queries may be sent with GET; use POST", {"Allow": "POST"})

        context = await self.context(request)
        result = execute(
            self.schema,
            document,
            context_value=context,
            variable_values=params.get("variables"),
            operation_name=params.get("operationName"),
        )
        if not isinstance(result, ExecutionResult):
            result = await result
        return self._respond(media, result, request_error=False)

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            raw: dict[str, Any] = dict(request.query_params)
            if "variables" in raw:
                raw["variables"] = _json_param(raw["variables"], "variables")
            if "extensions" in raw:
                raw["extensions"] = _json_param(raw["extensions"], "extensions")
        else:
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != JSON:
                raise RequestError(415, f"send the request as {JSON}, not {ctype or 'no content type'}")
            body = await request.body()
            if len(body) > MAX_BODY:
                raise RequestError(413, f"request body over {MAX_BODY} bytes")
            try:
                raw = json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise RequestError(400, f"the body is not valid JSON: {exc}") from exc
            if not isinstance(raw, dict):
                raise RequestError(400, "the body must be a JSON object")
        query = raw.get("query")
        if not isinstance(query, str) or not query.strip():
            raise RequestError(400, "the request has no query string")
        if raw.get("variables") is not None and not isinstance(raw["variables"], dict):
            raise RequestError(400, "variables must be a JSON object")
        if raw.get("operationName") is not None and not isinstance(raw["operationName"], str):
            raise RequestError(400, "operationName must be a string")
        return raw

    def _checked(self, query: str) -> tuple[DocumentNode, list[GraphQLError]]:
        """The parsed document and its validation errors, from a small LRU keyed by the query text."""
        held = self._documents.get(query)
        if held is not None:
            self._documents.move_to_end(query)
            return held
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError as exc:
            if "token limit" in exc.message:
                raise GraphQLError(f"the query has more than {self.max_tokens} tokens") from exc
            raise
        held = (document, validate(self.schema, document, self.rules))
        self._documents[query] = held
        if len(self._documents) > 256:
            self._documents.popitem(last=False)
        return held

    def _respond(self, media: str, result: ExecutionResult, *, request_error: bool) -> Response:
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [self.format_error(e) for e in result.errors]
        if not request_error:
            body["data"] = result.data
        status = 400 if request_error and media == GRAPHQL_RESPONSE else 200
        return JSONResponse(body, status_code=status, media_type=f"{media}; charset=utf-8")

    @staticmethod
    def _plain(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse({"errors": [{"message": message}]}, status_code=status, headers=headers)


def _json_param(value: str, name: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise RequestError(400, f"{name} is not valid JSON: {exc}") from exc


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return ops[0] if len(ops) == 1 else None
    return next((o for o in ops if o.name and o.name.value == name), None)

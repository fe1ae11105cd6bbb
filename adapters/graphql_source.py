"""A foreign GraphQL API as a rating source: a query template whose variables carry the paging.

The query is checked when the source is made (it parses, it is a query and not a mutation, it declares the
paging variables), so a broken template is a configuration error, not a failure half-way through an import.
A response with GraphQL `errors` aborts the run: partial data with errors is not a complete collection.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from graphql import GraphQLSyntaxError, OperationDefinitionNode, OperationType, parse

from adapters.base import SourceError
from adapters.httpjson import request_json
from adapters.paged_source import PagedHttpSource
from adapters.paging import PageRequest, Paging
from alliance.errors import InvalidInput


def paging_variables(paging: Paging) -> list[str]:
    names = {
        "none": [],
        "page": [paging.page, paging.size],
        "offset": [paging.offset, paging.size],
        "cursor": [paging.cursor, paging.size],
    }[paging.style]
    return [n for n in names if n]


def query_problems(query: str, paging: Paging, operation: str | None = None) -> list[str]:
    """What is wrong with a query template, as configuration problems."""
    if paging.style == "next_link":
        return ["GraphQL 不支持 next_link 分页，请用 page、offset 或 cursor (next_link paging is REST only)"]
    try:
        document = parse(query)
    except GraphQLSyntaxError as e:
        return [f"GraphQL 查询语法错误 (query syntax error: {e.message} at {e.locations})"]
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation is not None:
        ops = [op for op in ops if op.name and op.name.value == operation]
    if len(ops) != 1:
        return [
            f"查询模板应恰有一个操作{'（名为 ' + operation + '）' if operation else ''} "
            f"(the template must hold exactly one operation{' named ' + operation if operation else ''}, "
            f"found {len(ops)})"
        ]
    op = ops[0]
    if op.operation is not OperationType.QUERY:
        return [f"只能用 query，不能用 {op.operation.value} (only a query may be used: imports never write)"]
    declared = {v.variable.name.value for v in op.variable_definitions or ()}
    missing = [n for n in paging_variables(paging) if n not in declared]
    if missing:
        return [
            f"查询没有声明分页变量 ${', $'.join(missing)} (the query does not declare the paging variables)"
        ]
    return []


class GraphQLSource(PagedHttpSource):
    def __init__(
        self,
        url: str,
        query: str,
        *,
        items: str,
        variables: Mapping[str, Any] | None = None,
        operation: str | None = None,
        headers: Mapping[str, str] | None = None,
        paging: Paging | None = None,
        id_field: str | None = None,
        total: str | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
        verify_tls: bool = True,
    ) -> None:
        super().__init__(headers=headers, items=items, paging=paging, id_field=id_field, total=total,
                         timeout=timeout, retries=retries, backoff=backoff, verify_tls=verify_tls)
        self.url = url
        self.query = query
        self.variables = dict(variables or {})
        self.operation = operation
        problems = query_problems(query, self.paging, operation)
        if problems:
            raise InvalidInput("GraphQL 查询模板有误 (invalid query template)", problems)

    def describe(self) -> str:
        return f"GraphQL 服务 {self.url} (paging: {self.paging.style})"

    async def _page(self, client: httpx.AsyncClient, request: PageRequest, where: str) -> Any:
        body: dict[str, Any] = {"query": self.query, "variables": {**self.variables, **request.values}}
        if self.operation:
            body["operationName"] = self.operation
        # A query is a read: retrying it is safe although it travels as a POST.
        doc, _ = await request_json(
            client, "POST", self.url, json=body, where=where, retries=self.retries, backoff=self.backoff
        )
        return self._data(doc, where)

    @staticmethod
    def _data(doc: Any, where: str) -> Any:
        if not isinstance(doc, dict):
            raise SourceError(f"{where}: 不是 GraphQL 响应 (not a GraphQL response)")
        errors = doc.get("errors")
        if errors:
            messages = "; ".join(
                str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors[:3]
            )
            raise SourceError(f"{where}: GraphQL 服务返回错误 (GraphQL errors: {messages})")
        data = doc.get("data")
        if not isinstance(data, dict):
            raise SourceError(f"{where}: GraphQL 响应没有 data (no data in the response)")
        return data

"""Query limits as graphql-core validation rules.

Written as plain validation rules (not strawberry extensions) because the same limits guard the strawberry
gateway and the graphene park node: both run on graphql-core.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
)


def depth_limit(max_depth: int) -> type[ASTValidationRule]:
    class DepthLimit(ASTValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {f.name.value: f for f in self.context.document.definitions if hasattr(f, "type_condition")}
            depth = _depth(node.selection_set, fragments, 0, set())
            if depth > max_depth:
                name = node.name.value if node.name else "anonymous"
                self.report_error(
                    GraphQLError(f"query '{name}' is {depth} levels deep; the limit is {max_depth}", node)
                )

    return DepthLimit


def _depth(selection_set: SelectionSetNode | None, fragments: dict, level: int, seen: set[str]) -> int:
    if selection_set is None:
        return level
    deepest = level
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            if sel.name.value.startswith("__"):
                continue  # introspection has its own switch
            deepest = max(deepest, _depth(sel.selection_set, fragments, level + 1, seen))
        elif isinstance(sel, InlineFragmentNode):
            deepest = max(deepest, _depth(sel.selection_set, fragments, level, seen))
        elif isinstance(sel, FragmentSpreadNode):
            name = sel.name.value
            if name in seen or name not in fragments:
                continue  # cycles and unknown fragments are reported by the standard rules
            deepest = max(deepest, _depth(fragments[name].selection_set, fragments, level, seen | {name}))
    return deepest


def alias_limit(max_aliases: int) -> type[ASTValidationRule]:
    class AliasLimit(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.count = 0

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is not None:
                self.count += 1
                if self.count == max_aliases + 1:
                    self.report_error(GraphQLError(f"more than {max_aliases} aliases in one document", node))

    return AliasLimit

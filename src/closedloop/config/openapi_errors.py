"""Error responses in the OpenAPI document, added to every operation from what it accepts.

The exception handlers in config/api.py answer every failure with one shape, ErrorsOut, whatever the
operation. Declaring 401, 403, 422… on each of 90 operations by hand would drift from those
handlers; instead the served document is completed here from facts every operation already states:
whether it needs authentication, takes a body, has path parameters or any parameters at all. An
operation's own declaration of a status always wins."""

from typing import Any

from closedloop.config.api_errors import ErrorsOut

ERRORS_REF = {"$ref": "#/components/schemas/ErrorsOut"}

# Status → (when it applies, what it means). Each predicate reads one OpenAPI operation object.
_RULES: list[tuple[int, str, Any]] = [
    (400, "The body is not well-formed JSON.", lambda op: "requestBody" in op),
    (401, "No valid bearer token or session.", lambda op: bool(op.get("security"))),
    (403, "Authenticated, but the role or token scope may not do this.", lambda op: bool(op.get("security"))),
    (
        404,
        "No object with that identifier (or not one this user may see).",
        lambda op: any(p.get("in") == "path" for p in op.get("parameters", [])),
    ),
    (413, "The body is larger than the server accepts.", lambda op: "requestBody" in op),
    (
        422,
        "A parameter or a field of the body is invalid; each error names it in `loc`.",
        lambda op: "requestBody" in op or bool(op.get("parameters")),
    ),
]


def _ensure_error_schemas(schemas: dict[str, Any]) -> None:
    generated = ErrorsOut.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in generated.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault("ErrorsOut", generated)


def add_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Complete every operation of `document` (changed in place and returned) with the error
    responses the API's handlers can give it."""
    _ensure_error_schemas(document.setdefault("components", {}).setdefault("schemas", {}))
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            declared = {int(status) for status in responses if str(status).isdigit()}
            for status, description, applies in _RULES:
                if status not in declared and applies(operation):
                    responses[status] = {
                        "description": description,
                        "content": {"application/json": {"schema": ERRORS_REF}},
                    }
    return document

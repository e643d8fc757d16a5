"""The smallest request an OpenAPI operation accepts: required parameters and body fields only,
each with a plain valid value. Used to reach an operation's role check with a well-formed request."""

from typing import Any

NONEXISTENT_ID = 999_999  # path objects that do not exist: the role check runs before the lookup


def resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def minimal_value(schema: dict[str, Any], doc: dict[str, Any]) -> Any:
    schema = resolve(schema, doc)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [resolve(s, doc) for s in schema[key]]
            usable = [s for s in options if s.get("type") != "null"] or options
            return minimal_value(usable[0], doc)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(resolve(part, doc))
        return minimal_value(merged, doc)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: minimal_value(props[name], doc) for name in schema.get("required", []) if name in props}
    if kind == "array":
        count = schema.get("minItems", 0)
        return [minimal_value(schema.get("items", {}), doc) for _ in range(count)]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), int(schema.get("exclusiveMinimum", 0)) + 1)
    if kind == "number":
        return max(float(schema.get("minimum", 1)), 1.0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    fmt = schema.get("format")
    samples = {
        "date-time": "2026-06-01T09:00:00Z",
        "date": "2026-06-01",
        "email": "lead@example.org",
        "uuid": "00000000-0000-4000-8000-000000000000",
        "uri": "https://example.org/",
    }
    if fmt in samples:
        return samples[fmt]
    return "x" * max(1, int(schema.get("minLength", 1)))


def minimal_request(path: str, operation: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    """{"path": "/api/v1/contacts/999999", "query": {...}, "body": {...} or None}."""
    query: dict[str, Any] = {}
    for param in operation.get("parameters", []):
        param = resolve(param, doc)
        schema = resolve(param.get("schema", {}), doc)
        if param["in"] == "path":
            value = NONEXISTENT_ID if schema.get("type") == "integer" else "x"
            path = path.replace("{" + param["name"] + "}", str(value))
        elif param["in"] == "query" and param.get("required"):
            query[param["name"]] = minimal_value(schema, doc)
    body = form = None
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = minimal_value(content["application/json"].get("schema", {}), doc)
    elif "multipart/form-data" in content:
        schema = resolve(content["multipart/form-data"].get("schema", {}), doc)
        form = {}
        for name in schema.get("required", []):
            prop = resolve(schema.get("properties", {}).get(name, {}), doc)
            is_file = (
                prop.get("format") == "binary"
                or resolve(prop.get("items", {}), doc).get("format") == "binary"
            )
            form[name] = UploadedFileStandIn() if is_file else minimal_value(prop, doc)
    return {"path": path, "query": query, "body": body, "form": form}


class UploadedFileStandIn:
    """A tiny text file for multipart operations; made into a real upload by the test client."""

    def as_upload(self) -> Any:
        from django.core.files.uploadedfile import SimpleUploadedFile

        return SimpleUploadedFile("matrix.txt", b"access matrix probe", content_type="text/plain")

"""The access-control matrix, discovered at run time: every page in the URL map and every operation
in the API, with the roles its permission check lets in. Pages record their roles through
`accounts.access.requires`; API operations are read for their `require_role(request, Permission.X)`
call. New pages and operations join the matrix (and its test) without being listed anywhere.

`python -m tests.security.matrix --write` rewrites the matrix section of docs/security.md."""

import ast
import inspect
import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ANONYMOUS = "anonymous"
ADMIN = "admin"
DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
START, END = "<!-- access-matrix:start -->", "<!-- access-matrix:end -->"
# The operators' admin has its own staff check and CSRF login; it is covered by Django's tests.
SKIPPED_PREFIXES = ("admin/",)


@dataclass(frozen=True)
class Entry:
    """One page URL pattern or one API operation and who may use it."""

    kind: str  # "page" or "api"
    route: str  # "contacts/<int:contact_id>/" or "/api/v1/contacts/{contact_id}"
    method: str  # "GET"/"POST" for API operations; "" for pages (any method the view takes)
    permission: str  # "VIEW_CONTACTS", "signed in" or "public"
    roles: frozenset[str]  # roles (and ANONYMOUS) that are let in
    view: Callable[..., Any] | None = None
    operation_id: str = ""
    documented: bool = True  # False for operations hidden from the OpenAPI document

    def allows(self, role: str) -> bool:
        # Admins are superusers, and `User.has_role` lets superusers through every role check.
        return role in self.roles or (role == ADMIN and ANONYMOUS not in self.roles)

    @property
    def label(self) -> str:
        return f"{self.method} {self.route}".strip()


def all_roles() -> list[str]:
    from closedloop.accounts.roles import Role

    return list(Role.values)


def permission_table() -> dict[str, frozenset[str]]:
    from closedloop.accounts.roles import Permission

    return {
        name: value
        for name, value in vars(Permission).items()
        if name.isupper() and isinstance(value, frozenset)
    }


def _function_ast(func: Callable[..., Any]) -> ast.FunctionDef | None:
    func = inspect.unwrap(func)
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return None
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == func.__name__:
            return node  # type: ignore[return-value]
    return None


def _permission_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Permission":
        return node.attr
    return None


def _decorator_permission(func: Callable[..., Any]) -> str | None:
    """The X in `@requires(Permission.X)` on a page view; names equal role sets apart in the docs."""
    node = _function_ast(func)
    for dec in node.decorator_list if node else []:
        if isinstance(dec, ast.Call) and getattr(dec.func, "id", None) == "requires" and dec.args:
            return _permission_name(dec.args[0])
    return None


def _require_role_check(func: Callable[..., Any], depth: int = 0) -> tuple[str, frozenset[str]] | None:
    """(name, roles) of the first `require_role(request, X)` in an API operation, where X is
    `Permission.NAME` or a module-level role set such as `MEETING_READERS`; a helper of the same
    module that makes the call (`_reader(request)`) is followed."""
    node = _function_ast(func)
    if node is None:
        return None
    every_call = sorted(
        (n for n in ast.walk(node) if isinstance(n, ast.Call)), key=lambda c: (c.lineno, c.col_offset)
    )
    calls = [n for n in every_call if getattr(n.func, "id", None) == "require_role" and len(n.args) >= 2]
    if not calls:
        module_globals = inspect.unwrap(func).__globals__
        for call in every_call if depth == 0 else []:
            helper = module_globals.get(getattr(call.func, "id", ""))
            if inspect.isfunction(helper) and helper.__module__ == inspect.unwrap(func).__module__:
                found = _require_role_check(helper, depth + 1)
                if found:
                    return found
        return None
    arg = min(calls, key=lambda c: (c.lineno, c.col_offset)).args[1]
    name = _permission_name(arg)
    if name is not None:
        return name, permission_table()[name]
    if isinstance(arg, ast.Name):
        value = inspect.unwrap(func).__globals__.get(arg.id)
        if isinstance(value, frozenset | set):
            return arg.id, frozenset(value)
    return None


def _walk_urls(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    from django.urls import URLResolver

    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk_urls(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


def _open_prefixes() -> tuple[str, ...]:
    from closedloop.accounts.middleware import OPEN_PREFIXES

    return tuple(OPEN_PREFIXES)


def page_entries() -> list[Entry]:
    """Every page of the URL map except the API's operations (see api_entries) and the admin."""
    from django.urls import get_resolver

    open_prefixes = _open_prefixes()
    everyone = frozenset(all_roles())
    entries = []
    for route, pattern in _walk_urls(get_resolver().url_patterns):
        view = pattern.callback
        if route.startswith(SKIPPED_PREFIXES) or getattr(view, "__module__", "") == "ninja.operation":
            continue
        roles = getattr(view, "required_roles", None)
        is_open = ("/" + route).startswith(open_prefixes)
        if roles is not None:
            name = _decorator_permission(view) or _name_of(roles)
            entries.append(Entry("page", route, "", name, frozenset(roles), view))
        elif is_open:
            entries.append(Entry("page", route, "", "public", everyone | {ANONYMOUS}, view))
        else:
            entries.append(Entry("page", route, "", "signed in", everyone, view))
    return entries


def _name_of(roles: frozenset[str]) -> str:
    if isinstance(getattr(roles, "name", None), str):  # a NamedPermission knows which it is
        return roles.name  # type: ignore[attr-defined]
    names = [n for n, v in permission_table().items() if v == roles]
    return " / ".join(names) if names else "custom role set"


def _ninja_operations() -> Iterator[tuple[str, str, Any]]:
    """(path as in the OpenAPI document, method, ninja Operation) for every API operation."""
    from closedloop.config.api import api

    root = _api_root()
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            for op in path_view.operations:
                for method in op.methods:
                    yield root + _openapi_path(bound.prefix, path), method, op


def _api_root() -> str:
    from django.urls import reverse

    return reverse("api:api-root").rstrip("/")


def _openapi_path(prefix: str, path: str) -> str:
    full = "/".join(part.strip("/") for part in (prefix, path) if part.strip("/"))
    # Ninja writes path parameters as {name} or {int:name}; the OpenAPI document uses {name}.
    full = re.sub(r"\{(?:\w+:)?(\w+)\}", r"{\1}", full)
    return "/" + full


def api_entries() -> list[Entry]:
    from closedloop.config.api import api

    everyone = frozenset(all_roles())
    entries = []
    for path, method, op in _ninja_operations():
        op_id = op.operation_id or api.get_openapi_operation_id(op)
        check = _require_role_check(op.view_func)
        if not op.auth_callbacks:
            permission, roles = "public", everyone | {ANONYMOUS}
        elif check is None:
            permission, roles = "signed in", everyone
        else:
            permission, roles = check
        documented = bool(getattr(op, "include_in_schema", True))
        entries.append(Entry("api", path, method, permission, roles, op.view_func, op_id, documented))
    return entries


def render_markdown() -> str:
    """The matrix as markdown tables: ✔ allowed, · refused. Admins are superusers and pass every
    role check; where a service adds an object-level rule (only the heads sign) the page or
    operation is still reachable and the service refuses with a message."""
    roles = [*all_roles(), ANONYMOUS]
    head = "| " + " | ".join(["", "permission", *roles]) + " |"
    rule = "|" + "---|" * (len(roles) + 2)

    def rows(entries: list[Entry]) -> list[str]:
        out = []
        for e in sorted(entries, key=lambda e: (e.route, e.method)):
            marks = ["✔" if e.allows(r) else "·" for r in roles]
            label = f"{e.method} /{e.route}" if e.kind == "page" else e.label
            out.append(f"| `{label.strip()}` | {e.permission} | " + " | ".join(marks) + " |")
        return out

    perms = ["| permission | roles |", "|---|---|"]
    for name, value in permission_table().items():
        perms.append(f"| {name} | {', '.join(sorted(value))} |")
    return "\n".join(
        [
            START,
            "",
            "### Permissions (accounts/roles.py)",
            "",
            *perms,
            "",
            "### Pages",
            "",
            head,
            rule,
            *rows(page_entries()),
            "",
            "### API operations",
            "",
            head,
            rule,
            *rows(api_entries()),
            "",
            END,
        ]
    )


def document_with_matrix(text: str) -> str:
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    return before + render_markdown() + after


def main(argv: list[str]) -> int:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "closedloop.config.settings")
    django.setup()
    updated = document_with_matrix(DOC.read_text())
    if "--write" in argv:
        DOC.write_text(updated)
    else:
        sys.stdout.write(render_markdown() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

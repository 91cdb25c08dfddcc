"""Write docs/api.md from the application's OpenAPI schema (`python scripts/gen_api_docs.py`).

`tests/test_api_docs.py` fails when the file is out of date, so the reference cannot drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = """# API reference

Generated from the OpenAPI schema by `python scripts/gen_api_docs.py`; do not edit by hand. A running
backend serves the same schema at `/openapi.json` and an explorer at `/docs`. Errors always have the shape
`{"error": {"code", "message", "fields": [{"field", "message"}]}, "request_id"}`.

## Examples

```bash
API=http://127.0.0.1:8000
# Owners and viewers: a bearer token from the built-in issuer (or an external IdP, docs/security.md)
TOKEN=$(curl -s $API/auth/token -H 'Content-Type: application/json' \\
  -d '{"email": "owner@example.com", "password": "…"}' | python -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -H "Authorization: Bearer $TOKEN" $API/stores
curl -H "Authorization: Bearer $TOKEN" "$API/stores/$STORE/dashboard?period=week&date=2026-11-20"
curl -H "Authorization: Bearer $TOKEN" "$API/stores/$STORE/footfall?from=2026-11-01&to=2026-11-20&bucket=day&format=csv"
curl -H "Authorization: Bearer $TOKEN" $API/stores/$STORE/transactions -H 'Content-Type: application/json' \\
  -d '{"transactions": [{"external_id": "till-1-0001", "ts": "2026-11-20T10:15:00Z", "amount": "12.50", "currency": "EUR"}]}'

# Workers: the camera's key
curl -H "X-Worker-Key: $KEY" $API/worker/config
curl -H "X-Worker-Key: $KEY" $API/worker/events -H 'Content-Type: application/json' \\
  -d '{"events": [{"event_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "type": "IN", "ts": "2026-11-20T10:15:03Z", "tracker_id": 7}]}'

# Admins (superadmin token)
curl -H "Authorization: Bearer $ADMIN" $API/admin/organizations -H 'Content-Type: application/json' -d '{"name": "Corner Shops Ltd"}'
curl -H "Authorization: Bearer $ADMIN" "$API/admin/cameras/health?org_id=$ORG"
```
"""

AUDIENCES = (
    ("Public", lambda p: p.startswith(("/auth", "/.well-known", "/health", "/ready"))),
    ("Owners and viewers", lambda p: p == "/me" or p.startswith("/stores")),
    ("Workers (`X-Worker-Key`)", lambda p: p.startswith("/worker")),
    ("Admins (superadmin bearer token)", lambda p: p.startswith("/admin")),
)


def _schema_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return "`" + schema["$ref"].rsplit("/", 1)[-1] + "`"
    if schema.get("type") == "array" and "items" in schema:
        return f"list of {_schema_name(schema['items'])}"
    if "anyOf" in schema:
        return " or ".join(_schema_name(s) for s in schema["anyOf"] if s.get("type") != "null")
    return "`" + str(schema.get("type", "object")) + "`"


def _operation(path: str, method: str, op: dict[str, Any]) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", ""]
    description = (op.get("description") or op.get("summary") or "").strip()
    if description:
        lines += [description, ""]
    params = [p for p in op.get("parameters", []) if p.get("in") in {"query", "path"}]
    if params:
        lines += ["| parameter | in | type | required | description |", "|---|---|---|---|---|"]
        for p in params:
            schema = p.get("schema", {})
            kind = schema.get("type") or _schema_name(schema).strip("`")
            if "enum" in schema:
                kind = " \\| ".join(f"`{v}`" for v in schema["enum"])
            desc = (p.get("description") or schema.get("description") or "").replace("\n", " ")
            lines.append(
                f"| `{p['name']}` | {p['in']} | {kind} | {'yes' if p.get('required') else 'no'} | {desc} |"
            )
        lines.append("")
    body = op.get("requestBody", {}).get("content", {})
    if body:
        kinds = ", ".join(
            f"{ctype} {_schema_name(spec.get('schema'))}".strip() for ctype, spec in body.items()
        )
        lines += [f"Body: {kinds}", ""]
    responses = []
    for status, spec in sorted(op.get("responses", {}).items()):
        content = spec.get("content", {})
        schema = next(iter(content.values()), {}).get("schema") if content else None
        what = _schema_name(schema) or spec.get("description", "")
        responses.append(f"`{status}` {what}".strip())
    if responses:
        lines += ["Responses: " + "; ".join(responses), ""]
    return lines


def render() -> str:
    """The whole document."""
    from backend.config import Settings
    from storeintel_app import create_app

    schema = create_app(Settings(data_dir=Path("/nonexistent-docs-build"))).openapi()
    out = [HEADER]
    for title, belongs in AUDIENCES:
        out += [f"## {title}", ""]
        for path, methods in schema["paths"].items():
            if not belongs(path):
                continue
            for method, op in methods.items():
                out += _operation(path, method, op)
    out += ["## Schemas", ""]
    for name, spec in sorted(schema.get("components", {}).get("schemas", {}).items()):
        props = spec.get("properties", {})
        if not props:
            continue
        required = set(spec.get("required", []))
        out += [f"### `{name}`", ""]
        if spec.get("description"):
            out += [spec["description"].strip(), ""]
        out += ["| field | type | required |", "|---|---|---|"]
        for field, fspec in props.items():
            out.append(
                f"| `{field}` | {_schema_name(fspec).strip('`') or 'any'} | {'yes' if field in required else 'no'} |"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def main() -> None:
    """Write docs/api.md."""
    (ROOT / "docs" / "api.md").write_text(render())


if __name__ == "__main__":
    main()

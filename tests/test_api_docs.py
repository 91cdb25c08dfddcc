"""docs/api.md is generated from the OpenAPI schema and must match the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_api_reference_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("gen_api_docs", ROOT / "scripts" / "gen_api_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.render()
    actual = (ROOT / "docs" / "api.md").read_text()
    assert actual == expected, "docs/api.md is stale: run `python scripts/gen_api_docs.py`"


def _authenticated_operations() -> list[tuple[str, str, dict]]:
    from storeintel_app import create_app

    document = create_app().openapi()
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    ]


def test_every_authenticated_operation_documents_401() -> None:
    operations = _authenticated_operations()
    assert len(operations) >= 45
    missing = [f"{m} {p}" for m, p, op in operations if "401" not in op["responses"]]
    assert missing == [], f"operations that require authentication but omit 401: {missing}"

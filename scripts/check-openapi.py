#!/usr/bin/env python3
"""Checks shipping-api's OpenAPI document against real traffic (bins/shipping-api/tests/it/openapi.rs).

Input: one JSON file {"document": ..., "answers": [...], "requests": [...]}.
- The document must be a valid OpenAPI 3.1 document (openapi-spec-validator).
- Each answer {method, path, status, content_type, body} must be documented: its status (or
  "default") is listed for the operation with that content type, and a JSON body validates
  against the schema given (JSON Schema 2020-12).
- Each accepted request body {method, path, body} validates against the operation's request
  body schema.
Objects are closed: a body may not carry a field the document does not name, except inside
schemas that another schema extends with allOf (a flattened struct), where the closing is done
at the extending level.
Exit 1 with every failure listed.
"""
import copy
import json
import sys

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate


def close_objects(node, extended, closable=True):
    """Adds unevaluatedProperties: false to object schemas with properties. The parts of an
    allOf are closed together at the allOf, and schemas in `extended` (ids) not at all."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "allOf":
                for part in value:
                    close_objects(part, extended, closable=False)
            else:
                close_objects(value, extended)
        open_ended = "additionalProperties" in node or id(node) in extended or not closable
        if ("properties" in node or "allOf" in node) and not open_ended:
            node["unevaluatedProperties"] = False
    elif isinstance(node, list):
        for value in node:
            close_objects(value, extended)


def main(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    doc = data["document"]
    try:
        validate(doc)
    except Exception as e:  # the validator's errors name the place in the document
        print(f"not a valid OpenAPI 3.1 document: {e}")
        return 1
    components = copy.deepcopy(doc.get("components", {}))
    schemas = components.get("schemas", {})
    # Schemas pulled into another by allOf are closed where they are used, not on their own.
    referenced_in_allof = set()

    def find_allof(node):
        if isinstance(node, dict):
            for part in node.get("allOf", []):
                ref = part.get("$ref", "") if isinstance(part, dict) else ""
                if ref.startswith("#/components/schemas/"):
                    referenced_in_allof.add(ref.rsplit("/", 1)[1])
            for value in node.values():
                find_allof(value)
        elif isinstance(node, list):
            for value in node:
                find_allof(value)

    find_allof(doc)
    extended = {id(schemas[name]) for name in referenced_in_allof if name in schemas}
    close_objects(components, extended)
    failures = []

    def check(schema, instance, what):
        root = {"components": components, "allOf": [schema]}
        if schema:  # `{}` documents any JSON on purpose (this document, Shiprocket's webhook)
            root["unevaluatedProperties"] = False
        errors = sorted(Draft202012Validator(root).iter_errors(instance), key=lambda e: list(e.path))
        for e in errors[:5]:
            failures.append(f"{what}: {e.message} at {'/'.join(map(str, e.path)) or '(root)'}")

    for a in data["answers"]:
        what = f"{a['method'].upper()} {a['path']} -> {a['status']}"
        op = doc["paths"].get(a["path"], {}).get(a["method"])
        if op is None:
            failures.append(f"{what}: not in the document")
            continue
        responses = op.get("responses", {})
        response = responses.get(str(a["status"])) or responses.get("default")
        if response is None:
            failures.append(f"{what}: status not documented")
            continue
        content = response.get("content", {})
        if a["content_type"] not in content:
            failures.append(f"{what}: content type {a['content_type']!r} not documented (has {sorted(content)})")
            continue
        if a["content_type"] == "application/json":
            check(content["application/json"].get("schema", {}), a["body"], what)

    for r in data["requests"]:
        what = f"{r['method'].upper()} {r['path']} request"
        op = doc["paths"].get(r["path"], {}).get(r["method"], {})
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            failures.append(f"{what}: no JSON request body documented")
            continue
        check(body.get("schema", {}), r["body"], what)

    for f in failures:
        print(f)
    print(f"{len(data['answers'])} answers, {len(data['requests'])} requests, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

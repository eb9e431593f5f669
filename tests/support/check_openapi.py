"""Independent check of Centinela's API against its OpenAPI document.

usage: check_openapi.py OPENAPI.json RESPONSES.txt
RESPONSES.txt: one line per saved answer, "operationId status file.json".
The document must be valid OpenAPI 3.0 (openapi-spec-validator), and every answer must
match the schema its operation declares for that status (openapi-schema-validator, which
knows OpenAPI's `nullable`). Prints "N responses match" on success; exits 1 otherwise.
"""
import json
import sys

from openapi_spec_validator import validate
from openapi_schema_validator import OAS30Validator


def resolve(node, root):
    """Inlines every local $ref, so each schema stands alone."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = root
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return resolve(target, root)
        return {k: resolve(v, root) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, root) for v in node]
    return node


def main():
    spec = json.load(open(sys.argv[1]))
    validate(spec)
    full = resolve(spec, spec)
    operations = {}
    for path, item in full["paths"].items():
        for method, op in item.items():
            operations[op["operationId"]] = (method.upper(), path, op)
    failures = []
    checked = 0
    for line in open(sys.argv[2]):
        line = line.strip()
        if not line:
            continue
        op_id, status, file = line.split(" ", 2)
        if op_id not in operations:
            failures.append(f"{op_id}: no such operation in the document")
            continue
        method, path, op = operations[op_id]
        response = op["responses"].get(status)
        if response is None:
            failures.append(f"{method} {path}: status {status} is not documented")
            continue
        body = json.load(open(file))
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            failures.append(f"{method} {path} {status}: a body where the document has none")
            continue
        errors = sorted(OAS30Validator(schema).iter_errors(body), key=lambda e: list(e.path))
        for e in errors[:5]:
            where = "/".join(str(p) for p in e.absolute_path)
            failures.append(f"{method} {path} {status} at /{where}: {e.message[:300]}")
        checked += 1
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"{checked} responses match")


main()

#!/usr/bin/env python3
"""Validates `--json` documents against the committed schemas: python3 docs/schemas/validate.py DIR, where
DIR holds COMMAND.N.json files (JSONSchemaTests writes them from real runs). Prints one line per failure and
exits 1 if any document breaks its schema, has no schema, or prints a field its schema does not name (the
schemas are checked as closed: an object schema with `properties` and no `additionalProperties` allows no
other keys here, so a field added to a command without its schema fails; a reader still ignores unknown ones)."""
import json, os, sys
from jsonschema import Draft202012Validator

def closed(schema):
    """The schema with `additionalProperties: false` on every object schema that lists its properties."""
    if isinstance(schema, list):
        return [closed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    result = {k: closed(v) if k in ("items", "prefixItems", "anyOf", "oneOf", "allOf") else v for k, v in schema.items()}
    if "properties" in schema:
        result["properties"] = {k: closed(v) for k, v in schema["properties"].items()}
        result.setdefault("additionalProperties", False)
    return result

def main(samples):
    here = os.path.dirname(os.path.abspath(__file__))
    failures = 0
    for name in sorted(os.listdir(samples)):
        if not name.endswith(".json"):
            continue
        command = name.rsplit(".", 2)[0]
        path = os.path.join(here, f"{command}.schema.json")
        if not os.path.exists(path):
            print(f"{name}: no schema docs/schemas/{command}.schema.json")
            failures += 1
            continue
        with open(path) as f:
            schema = json.load(f)
        Draft202012Validator.check_schema(schema)
        with open(os.path.join(samples, name)) as f:
            document = json.load(f)
        for error in Draft202012Validator(closed(schema)).iter_errors(document):
            print(f"{name}: {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}")
            failures += 1
    print(f"{failures} failure(s)")
    sys.exit(1 if failures else 0)

if __name__ == "__main__":
    main(sys.argv[1])

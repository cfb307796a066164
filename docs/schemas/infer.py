#!/usr/bin/env python3
"""Drafts a JSON Schema per command from real `--json` documents (the samples JSONSchemaTests keeps when
ELDER_JSON_SAMPLES=DIR is set): usage: python3 docs/schemas/infer.py DIR docs/schemas. A draft is a start,
not the contract: read it, tighten it (enums, formats, what may be null) and commit it; the test then checks
every later output against the committed file. Files are named COMMAND.N.json; COMMAND may hold a dot
(`bisect.log`)."""
import json, os, sys
from collections import defaultdict

def kind(v):
    if v is None: return "null"
    if isinstance(v, bool): return "boolean"
    if isinstance(v, int): return "integer"
    if isinstance(v, float): return "number"
    if isinstance(v, str): return "string"
    if isinstance(v, list): return "array"
    return "object"

def infer(values):
    types = sorted({kind(v) for v in values})
    if "integer" in types and "number" in types: types.remove("integer")
    schema = {"type": types[0] if len(types) == 1 else types}
    objects = [v for v in values if isinstance(v, dict)]
    if objects:
        keys = sorted(set().union(*[o.keys() for o in objects]))
        schema["properties"] = {k: infer([o[k] for o in objects if k in o]) for k in keys}
        schema["required"] = [k for k in keys if all(k in o for o in objects)]
    arrays = [v for v in values if isinstance(v, list)]
    items = [x for a in arrays for x in a]
    if items: schema["items"] = infer(items)
    return schema

def main(samples, out):
    docs = defaultdict(list)
    for name in sorted(os.listdir(samples)):
        if name.endswith(".json"):
            command = name.rsplit(".", 2)[0]
            with open(os.path.join(samples, name)) as f:
                docs[command].append(json.load(f))
    for command, values in docs.items():
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": f"https://elder.invalid/schemas/{command}.schema.json",
                  "title": f"elder {command.replace('.', ' ')} --json"}
        schema.update(infer(values))
        if schema.get("type") == "object":
            schema["properties"]["schemaVersion"] = {"const": 1}
        with open(os.path.join(out, f"{command}.schema.json"), "w") as f:
            json.dump(schema, f, indent=2, sort_keys=False)
            f.write("\n")
        print(command, len(values))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

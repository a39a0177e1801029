"""Validates wa-sim's answers and webhooks against Meta's OpenAPI description.

Run by crates/wa-sim/tests/it/openapi.rs: CAPTURED_FILE holds what the simulator answered, each
item {"method", "path" (Meta's path template), "status", "body"} or {"webhook": body}. For each
one Meta describes, the body is checked against Meta's schema (with `$ref`s resolved) by the
small JSON Schema subset below (type, enum, required, properties, items, allOf, oneOf, anyOf,
nullable, minLength, maxLength, maxItems, minimum, maximum). Prints one line per check
("ok", "FAIL", or "undescribed" where Meta's document has no schema for that answer) and exits 1
on any FAIL.
"""

import json
import os
import sys

import yaml

SPEC = yaml.safe_load(open(os.environ["OPENAPI_FILE"], encoding="utf-8"))
captured = json.load(open(os.environ["CAPTURED_FILE"], encoding="utf-8"))


def resolve(schema, seen=()):
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        if ref in seen:
            return {}
        seen = seen + (ref,)
        node = SPEC
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
}


def check(value, schema, where, problems, depth=0):
    schema = resolve(schema)
    if not isinstance(schema, dict) or depth > 40:
        return
    if value is None and schema.get("nullable"):
        return
    for sub in schema.get("allOf", []):
        check(value, sub, where, problems, depth + 1)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            results = []
            for sub in schema[key]:
                found = []
                check(value, sub, where, found, depth + 1)
                results.append(found)
            if all(results):
                closest = min(results, key=len)
                problems.append(f"{where}: matches none of {key}; closest: {closest[:3]}")
    kind = schema.get("type")
    if kind == "integer":
        if not (isinstance(value, int) and not isinstance(value, bool)):
            problems.append(f"{where}: expected integer, got {type(value).__name__} {value!r}")
            return
    elif kind == "number":
        if not (isinstance(value, (int, float)) and not isinstance(value, bool)):
            problems.append(f"{where}: expected number, got {type(value).__name__}")
            return
    elif kind in TYPES and not isinstance(value, TYPES[kind]):
        problems.append(f"{where}: expected {kind}, got {type(value).__name__} {value!r}"[:200])
        return
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{where}: longer than {schema['maxLength']}")
        if "minLength" in schema and len(value) < schema["minLength"]:
            problems.append(f"{where}: shorter than {schema['minLength']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{where}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{where}: above {schema['maximum']}")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{where}: required field {name} missing")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                check(value[name], sub, f"{where}.{name}", problems, depth + 1)
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(f"{where}: more than {schema['maxItems']} items")
        if "items" in schema:
            for at, item in enumerate(value):
                check(item, schema["items"], f"{where}[{at}]", problems, depth + 1)


def response_schema(method, path, status):
    operation = SPEC["paths"].get(path, {}).get(method.lower())
    if operation is None:
        return None
    responses = operation.get("responses", {})
    answer = responses.get(str(status)) or responses.get(int(status)) if status else None
    if answer is None:
        return None
    answer = resolve(answer)
    content = answer.get("content", {}).get("application/json", {})
    return content.get("schema")


# Where Meta's document contradicts itself, the simulator follows the rest of Meta's document
# and the line says so ("meta-inconsistent") instead of failing.
META_INCONSISTENT = {
    ("GET /{Version}/{WABA-ID}/phone_numbers", ".status:"): (
        "the listing's item schema enumerates PENDING/LINKED/UNLINKED/...; Meta's "
        "WhatsAppBusinessAccountToNumberStatus and the number node use CONNECTED, as wa-sim does"
    ),
    ("webhook messages", "required field messaging_product missing"): (
        "the webhook's IncomingMessage maps type text to #/components/schemas/TextMessage, which "
        "is the send request's schema (messaging_product, recipient_type, to); Meta's own webhook "
        "example for a text message has none of those, as wa-sim sends it"
    ),
}


def known(label, problem):
    for (where, fragment), why in META_INCONSISTENT.items():
        if label.startswith(where) and fragment in problem:
            return why
    return None


failures = 0
checked = 0
for item in captured:
    if "webhook" in item:
        label = f"webhook {item['kind']}"
        schema = resolve(SPEC["paths"]["/whatsapp/webhooks"]["post"]["requestBody"])
        schema = schema["content"]["application/json"]["schema"]
        body = item["webhook"]
        entry = resolve(resolve(schema)["properties"]["entry"]["items"])
        fields = resolve(entry["properties"]["changes"]["items"])
        described = fields["properties"]["field"].get("enum", [])
        if item["kind"] not in described:
            print(f"undescribed {label} :: Meta's document describes the fields {described} only")
            continue
    else:
        label = f"{item['method']} {item['path']} {item['status']}"
        schema = response_schema(item["method"], item["path"], item["status"])
        body = item["body"]
    if schema is None:
        print(f"undescribed {label} :: Meta's document has no JSON schema for this answer")
        continue
    problems = []
    check(body, schema, "$", problems)
    checked += 1
    explained = [known(label, p) for p in problems]
    if problems and all(explained):
        print(f"meta-inconsistent {label} :: {explained[0]}")
        continue
    if problems:
        failures += 1
        print(f"FAIL {label} :: {'; '.join(problems[:5])}")
    else:
        print(f"ok {label} :: {json.dumps(body)[:120]}")

print(f"openapi: {checked} checked, {failures} failure(s)")
sys.exit(1 if failures or checked == 0 else 0)

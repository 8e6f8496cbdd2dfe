"""Defaults and validation with a CRD's structural OpenAPI v3 schema, as the API server does.

Enough of apiextensions.k8s.io/v1 for tern's two CRDs: types, required, enum, minimum/maximum,
minLength/maxLength, pattern, minItems/maxItems, additionalProperties (a schema),
x-kubernetes-preserve-unknown-fields, x-kubernetes-int-or-string, list-type map keys and the
int32/int64/date-time formats. Unknown fields (outside the root's metadata) are errors here:
the API server would prune them silently, and a sample that relies on a dropped field is wrong
either way.
"""

import copy
import re

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def apply_defaults(obj, schema):
    """A copy of obj with the schema's defaults filled in, nested ones included, as the API
    server does: a missing property with a default gets a copy of it, then defaulting goes on
    inside every present value (so `default: {}` on an object brings its children's defaults)."""
    obj = copy.deepcopy(obj)
    _default(obj, schema)
    return obj


def _default(x, s):
    if isinstance(x, dict):
        props = s.get("properties", {})
        for name, prop in props.items():
            if "default" in prop and name not in x:
                x[name] = copy.deepcopy(prop["default"])
        additional = s.get("additionalProperties")
        for name, value in x.items():
            if name in props:
                _default(value, props[name])
            elif isinstance(additional, dict):
                _default(value, additional)
    elif isinstance(x, list) and isinstance(s.get("items"), dict):
        for item in x:
            _default(item, s["items"])


def validate(obj, schema, path=""):
    """The list of errors ("path: message") of obj against schema; empty when valid."""
    errors = []
    _validate(obj, schema, path or "<root>", errors)
    return errors


def _type_ok(x, t):
    if t == "object":
        return isinstance(x, dict)
    if t == "array":
        return isinstance(x, list)
    if t == "string":
        return isinstance(x, str)
    if t == "boolean":
        return isinstance(x, bool)
    if t == "integer":
        return isinstance(x, int) and not isinstance(x, bool)
    if t == "number":
        return isinstance(x, (int, float)) and not isinstance(x, bool)
    raise ValueError(f"unknown type {t!r}")


def _validate(x, s, path, errors):
    if s.get("x-kubernetes-int-or-string"):
        if not (isinstance(x, str) or (isinstance(x, int) and not isinstance(x, bool))):
            errors.append(f"{path}: must be an integer or a string")
            return
    elif "type" in s:
        if not _type_ok(x, s["type"]):
            errors.append(f"{path}: must be of type {s['type']}, got {type(x).__name__}")
            return
    elif not s.get("x-kubernetes-preserve-unknown-fields"):
        errors.append(f"{path}: the schema has no type (not structural)")
        return

    if "enum" in s and x not in s["enum"]:
        errors.append(f"{path}: {x!r} is not one of {s['enum']}")
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        if "minimum" in s and x < s["minimum"]:
            errors.append(f"{path}: {x} is less than the minimum {s['minimum']}")
        if "maximum" in s and x > s["maximum"]:
            errors.append(f"{path}: {x} is greater than the maximum {s['maximum']}")
        if s.get("format") in _INT_RANGES:
            lo, hi = _INT_RANGES[s["format"]]
            if not lo <= x <= hi:
                errors.append(f"{path}: {x} does not fit {s['format']}")
    if isinstance(x, str):
        if "minLength" in s and len(x) < s["minLength"]:
            errors.append(f"{path}: shorter than {s['minLength']}")
        if "maxLength" in s and len(x) > s["maxLength"]:
            errors.append(f"{path}: longer than {s['maxLength']}")
        if "pattern" in s and not re.search(s["pattern"], x):
            errors.append(f"{path}: {x!r} does not match {s['pattern']}")
        if s.get("format") == "date-time" and not _DATE_TIME.match(x):
            errors.append(f"{path}: {x!r} is not an RFC 3339 date-time")
    if isinstance(x, list):
        if "minItems" in s and len(x) < s["minItems"]:
            errors.append(f"{path}: fewer than {s['minItems']} items")
        if "maxItems" in s and len(x) > s["maxItems"]:
            errors.append(f"{path}: more than {s['maxItems']} items")
        items = s.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(x):
                _validate(item, items, f"{path}[{i}]", errors)
        if s.get("x-kubernetes-list-type") == "map":
            keys = s.get("x-kubernetes-list-map-keys", [])
            seen = set()
            for i, item in enumerate(x):
                if isinstance(item, dict):
                    key = tuple(item.get(k) for k in keys)
                    if key in seen:
                        errors.append(f"{path}[{i}]: duplicate entry for {dict(zip(keys, key))}")
                    seen.add(key)
        if s.get("x-kubernetes-list-type") == "set" and len(set(map(repr, x))) != len(x):
            errors.append(f"{path}: duplicate items in a set")
    if isinstance(x, dict):
        for name in s.get("required", []):
            if name not in x:
                errors.append(f"{path}: {name} is required")
        props = s.get("properties", {})
        additional = s.get("additionalProperties")
        for name, value in x.items():
            child = f"{name}" if path == "<root>" else f"{path}.{name}"
            if name in props:
                _validate(value, props[name], child, errors)
            elif isinstance(additional, dict):
                _validate(value, additional, child, errors)
            elif not s.get("x-kubernetes-preserve-unknown-fields") and path != "metadata":
                # The root's metadata is an ObjectMeta, which the API server checks itself.
                errors.append(f"{child}: unknown field")


def structural_problems(schema, path="", root=True):
    """Why schema is not a structural schema that Kubernetes 1.24 accepts without CEL; empty when
    it is. Checks: a type on every node (but int-or-string and preserve-unknown-fields nodes), no
    CEL rules, additionalProperties never false nor beside properties, metadata not restricted
    beyond name/generateName, required properties declared, defaults valid for their node."""
    problems = []
    where = path or "<root>"
    if "x-kubernetes-validations" in schema:
        problems.append(f"{where}: x-kubernetes-validations (CEL) is not available on 1.24")
    int_or_string = schema.get("x-kubernetes-int-or-string")
    preserve = schema.get("x-kubernetes-preserve-unknown-fields")
    if "type" not in schema and not int_or_string and not preserve:
        problems.append(f"{where}: no type")
    if int_or_string and "type" in schema:
        problems.append(f"{where}: x-kubernetes-int-or-string with a type")
    additional = schema.get("additionalProperties")
    if additional is False:
        problems.append(f"{where}: additionalProperties must not be false")
    if additional is not None and "properties" in schema:
        problems.append(f"{where}: properties and additionalProperties together")
    for keyword in ("oneOf", "anyOf", "allOf", "not", "$ref"):
        if keyword in schema:
            problems.append(f"{where}: {keyword} is not used in tern's CRDs (keep them simple to "
                            f"load)")
    for name in schema.get("required", []):
        if name not in schema.get("properties", {}):
            problems.append(f"{where}: required {name} is not a property")
    if "default" in schema:
        errs = validate(schema["default"], {k: v for k, v in schema.items() if k != "default"},
                        f"{where}(default)")
        problems.extend(errs)
    for name, prop in schema.get("properties", {}).items():
        child = f"{path}.{name}" if path else name
        if root and name == "metadata":
            extra = set(prop.get("properties", {})) - {"name", "generateName"}
            if extra or set(prop) - {"type", "properties", "description"}:
                problems.append(f"{child}: only name and generateName may be restricted")
        problems.extend(structural_problems(prop, child, root=False))
    if isinstance(additional, dict):
        problems.extend(structural_problems(additional, f"{path}.*", root=False))
    if isinstance(schema.get("items"), dict):
        problems.extend(structural_problems(schema["items"], f"{path}[]", root=False))
    return problems


def schema_at(schema, json_path):
    """The schema node for a simple JSONPath like .status.conditions[?(@.type=="Ready")].status,
    or None when the schema has no such field."""
    node = schema
    for part in re.sub(r"\[[^\]]*\]", ".[]", json_path).strip(".").split("."):
        if part == "":
            continue
        if part == "[]":
            node = node.get("items")
        else:
            node = node.get("properties", {}).get(part)
        if node is None:
            return None
    return node

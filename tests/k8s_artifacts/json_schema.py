"""A small JSON Schema (draft-07) validator for the keywords charts/tern/values.schema.json uses.

type (one or a list), properties, additionalProperties (boolean or schema), required, enum,
const, minimum, maximum, minLength, maxLength, pattern, items, minItems, maxItems, anyOf, oneOf,
allOf. A keyword it does not know is an error, so the schema cannot silently outgrow it.
"""

import re

KNOWN = {"$schema", "$id", "title", "description", "default", "examples", "type", "properties",
         "additionalProperties", "required", "enum", "const", "minimum", "maximum", "minLength",
         "maxLength", "pattern", "items", "minItems", "maxItems", "anyOf", "oneOf", "allOf"}


def _is(x, t):
    return {
        "object": lambda: isinstance(x, dict),
        "array": lambda: isinstance(x, list),
        "string": lambda: isinstance(x, str),
        "boolean": lambda: isinstance(x, bool),
        "integer": lambda: (isinstance(x, int) and not isinstance(x, bool))
        or (isinstance(x, float) and x.is_integer()),
        "number": lambda: isinstance(x, (int, float)) and not isinstance(x, bool),
        "null": lambda: x is None,
    }[t]()


def unknown_keywords(schema, path="#"):
    """Keywords of schema (recursively) this validator does not implement."""
    out = [f"{path}/{k}" for k in schema if k not in KNOWN]
    for name, sub in schema.get("properties", {}).items():
        out += unknown_keywords(sub, f"{path}/properties/{name}")
    for key in ("additionalProperties", "items"):
        if isinstance(schema.get(key), dict):
            out += unknown_keywords(schema[key], f"{path}/{key}")
    for key in ("anyOf", "oneOf", "allOf"):
        for i, sub in enumerate(schema.get(key, [])):
            out += unknown_keywords(sub, f"{path}/{key}/{i}")
    return out


def validate(x, schema, path="$"):
    """The list of errors of instance x against schema; empty when valid."""
    errors = []
    types = schema.get("type")
    if types is not None:
        types = types if isinstance(types, list) else [types]
        if not any(_is(x, t) for t in types):
            return [f"{path}: expected {'/'.join(types)}, got {type(x).__name__}"]
    if "enum" in schema and x not in schema["enum"]:
        errors.append(f"{path}: {x!r} not in {schema['enum']}")
    if "const" in schema and x != schema["const"]:
        errors.append(f"{path}: must be {schema['const']!r}")
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        if "minimum" in schema and x < schema["minimum"]:
            errors.append(f"{path}: {x} < minimum {schema['minimum']}")
        if "maximum" in schema and x > schema["maximum"]:
            errors.append(f"{path}: {x} > maximum {schema['maximum']}")
    if isinstance(x, str):
        if "minLength" in schema and len(x) < schema["minLength"]:
            errors.append(f"{path}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(x) > schema["maxLength"]:
            errors.append(f"{path}: longer than {schema['maxLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], x):
            errors.append(f"{path}: {x!r} does not match {schema['pattern']}")
    if isinstance(x, list):
        if "minItems" in schema and len(x) < schema["minItems"]:
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(x) > schema["maxItems"]:
            errors.append(f"{path}: more than {schema['maxItems']} items")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(x):
                errors += validate(item, schema["items"], f"{path}[{i}]")
    if isinstance(x, dict):
        for name in schema.get("required", []):
            if name not in x:
                errors.append(f"{path}: {name} is required")
        props = schema.get("properties", {})
        additional = schema.get("additionalProperties", True)
        for name, value in x.items():
            if name in props:
                errors += validate(value, props[name], f"{path}.{name}")
            elif additional is False:
                errors.append(f"{path}.{name}: not allowed (unknown value)")
            elif isinstance(additional, dict):
                errors += validate(value, additional, f"{path}.{name}")
    if "allOf" in schema:
        for sub in schema["allOf"]:
            errors += validate(x, sub, path)
    if "anyOf" in schema and not any(not validate(x, sub, path) for sub in schema["anyOf"]):
        errors.append(f"{path}: matches none of anyOf")
    if "oneOf" in schema and sum(not validate(x, sub, path) for sub in schema["oneOf"]) != 1:
        errors.append(f"{path}: does not match exactly one of oneOf")
    return errors

"""Renders charts/tern with a small interpreter of Go templates, so its templates are tested here,
where there is no helm binary.

It implements what the tern chart uses and no more: actions with whitespace trimming, comments,
pipelines, variables, parenthesised expressions, if / else if / else, with, range, define,
include, .Values / .Chart / .Release / .Files (Get, Glob(...).AsConfig), and the functions listed
in FUNCS with Helm's and Sprig's argument orders. Anything else raises TemplateError, so a
template that starts using something new fails the tests until this file learns it. Values are
read as Helm reads them (numbers become float64); output is printed as Go prints it.
"""

import copy
import fnmatch
import json
import os
import re

import yaml


class TemplateError(Exception):
    pass


# ---------------------------------------------------------------- values and printing as in Go

def _helm_numbers(x):
    """Helm reads values through JSON: every number becomes a float64."""
    if isinstance(x, dict):
        return {k: _helm_numbers(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_helm_numbers(v) for v in x]
    if isinstance(x, int) and not isinstance(x, bool):
        return float(x)
    return x


def _go_float(f):
    # fmt's %v for float64: %g with the shortest precision; exponent form from 1e21 on and,
    # for integral values, from an exponent of 6 on (as Go prints 1e+06).
    if f.is_integer() and abs(f) < 1e6:
        return str(int(f))
    text = repr(f)
    if "e" in text or f.is_integer():
        mantissa, exp = f"{f:e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{exp[0]}{int(exp[1:]):02d}"
    return text


def go_str(x):
    if x is None:
        return ""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        return _go_float(x)
    if isinstance(x, (dict, list)):
        return _go_repr(x)
    return str(x)


def _go_repr(x):
    if isinstance(x, dict):
        return "map[" + " ".join(f"{k}:{_go_repr(v)}" for k, v in sorted(x.items())) + "]"
    if isinstance(x, list):
        return "[" + " ".join(_go_repr(v) for v in x) + "]"
    return go_str(x)


def truthy(x):
    if x is None or x is False:
        return False
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return x != 0
    if isinstance(x, (str, dict, list)):
        return len(x) > 0
    return True


def _plain(x):
    """For YAML output: float64 integers print as integers, as JSON encoding does."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def to_yaml(x):
    if x is None:
        return "null"
    text = yaml.safe_dump(_plain(x), sort_keys=True, default_flow_style=False, width=1 << 20,
                          allow_unicode=True)
    if text.endswith("\n...\n"):
        text = text[:-4]
    return text.rstrip("\n")


def _to_int(x):
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, (int, float)):
        return int(x)
    if isinstance(x, str):
        try:
            return int(float(x))
        except ValueError:
            return 0
    return 0


def _printf(fmt, *args):
    out, i, n = [], 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        verb = fmt[i + 1]
        i += 2
        if verb == "%":
            out.append("%")
            continue
        if n >= len(args):
            raise TemplateError(f"printf {fmt!r}: missing argument")
        a = args[n]
        n += 1
        if verb in "sv":
            out.append(go_str(a))
        elif verb == "d":
            out.append(str(_to_int(a)))
        elif verb == "q":
            out.append(json.dumps(go_str(a), ensure_ascii=False))
        else:
            raise TemplateError(f"printf verb %{verb} is not implemented")
    return "".join(out)


def _dig(*args):
    *keys, default, d = args
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def _fail(msg):
    raise TemplateError(f"fail: {msg}")


def _required(msg, value):
    if value is None or value == "":
        raise TemplateError(f"required: {msg}")
    return value


def _set(d, k, v):
    d[k] = v
    return d


def _eq(a, *bs):
    return any(a == b for b in bs)


FUNCS = {
    "default": lambda d, *given: given[0] if given and truthy(given[0]) else d,
    "trunc": lambda n, s: s[:_to_int(n)] if _to_int(n) >= 0 else s[_to_int(n):],
    "trimSuffix": lambda suffix, s: s[:-len(suffix)] if suffix and s.endswith(suffix) else s,
    "trimPrefix": lambda prefix, s: s[len(prefix):] if prefix and s.startswith(prefix) else s,
    "replace": lambda old, new, s: s.replace(old, new),
    "contains": lambda sub, s: sub in s,
    "quote": lambda *xs: " ".join(json.dumps(go_str(x), ensure_ascii=False)
                                  for x in xs if x is not None),
    "squote": lambda *xs: " ".join(f"'{go_str(x)}'" for x in xs if x is not None),
    "nindent": lambda n, s: "\n" + "\n".join(" " * _to_int(n) + line
                                             for line in go_str(s).split("\n")),
    "indent": lambda n, s: "\n".join(" " * _to_int(n) + line for line in go_str(s).split("\n")),
    "toYaml": to_yaml,
    "fromYaml": lambda s: _helm_numbers(yaml.safe_load(s) or {}),
    "toJson": lambda x: json.dumps(_plain(x), separators=(",", ":"), sort_keys=True),
    "printf": _printf,
    "print": lambda *xs: "".join(go_str(x) for x in xs),
    "dig": _dig,
    "deepCopy": copy.deepcopy,
    "hasKey": lambda d, k: isinstance(d, dict) and k in d,
    "set": _set,
    "dict": lambda *kv: {kv[i]: kv[i + 1] for i in range(0, len(kv), 2)},
    "list": lambda *xs: list(xs),
    "fail": _fail,
    "required": _required,
    "mul": lambda *xs: __import__("math").prod(_to_int(x) for x in xs),
    "add": lambda *xs: sum(_to_int(x) for x in xs),
    "int": _to_int,
    "toString": go_str,
    "not": lambda x: not truthy(x),
    "and": lambda *xs: next((x for x in xs if not truthy(x)), xs[-1]),
    "or": lambda *xs: next((x for x in xs if truthy(x)), xs[-1]),
    "eq": _eq,
    "ne": lambda a, b: a != b,
    "empty": lambda x: not truthy(x),
    "len": len,
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
}


class Files:
    """The chart's .Files: Get and Glob(...).AsConfig, relative to the chart directory."""

    def __init__(self, root, paths=None):
        self.root = root
        self.paths = paths

    def _all(self):
        for dirpath, _, names in os.walk(self.root):
            for name in names:
                yield os.path.relpath(os.path.join(dirpath, name), self.root)

    def Get(self, path):  # noqa: N802 (Helm's name)
        full = os.path.join(self.root, path)
        if not os.path.isfile(full):
            return ""
        with open(full, encoding="utf-8") as f:
            return f.read()

    def Glob(self, pattern):  # noqa: N802
        return Files(self.root, sorted(p for p in self._all() if fnmatch.fnmatch(p, pattern)))

    def AsConfig(self):  # noqa: N802
        if not self.paths:
            return ""
        return to_yaml({os.path.basename(p): self.Get(p) for p in self.paths})


# ---------------------------------------------------------------- lexing and parsing

_ACTION = re.compile(r"\{\{(-[ \t\r\n])?(.*?)([ \t\r\n]-)?\}\}", re.S)
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:\\.|[^"\\])*")
  | (?P<raw>`[^`]*`)
  | (?P<decl>:=)
  | (?P<assign>=)
  | (?P<pipe>\|)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
""", re.X)


def _tokens(text):
    pos, out, prev_end = 0, [], -1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise TemplateError(f"cannot lex {text[pos:]!r}")
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group(), m.start() == prev_end))
            prev_end = m.end()
        pos = m.end()
    return out


class _Parser:
    def __init__(self, tokens):
        self.t = tokens
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None, False)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def pipeline(self):
        decl = None
        if (len(self.t) > self.i + 1 and self.t[self.i][0] == "var"
                and self.t[self.i + 1][0] in ("decl", "assign")):
            decl = (self.t[self.i][1], self.t[self.i + 1][0])
            self.i += 2
        cmds = [self.command()]
        while self.peek()[0] == "pipe":
            self.take()
            cmds.append(self.command())
        return ("pipeline", decl, cmds)

    def command(self):
        operands = []
        while self.peek()[0] not in (None, "pipe", "rparen"):
            operands.append(self.operand())
        if not operands:
            raise TemplateError("empty command")
        return operands

    def operand(self):
        kind, text, _ = self.take()
        if kind == "string":
            node = ("lit", json.loads(text))
        elif kind == "raw":
            node = ("lit", text[1:-1])
        elif kind == "number":
            node = ("lit", float(text) if "." in text else int(text))
        elif kind == "var":
            name, *fields = text.split(".")
            node = ("var", name, fields)
        elif kind == "field":
            node = ("field", [f for f in text.split(".") if f])
        elif kind == "ident":
            node = {"true": ("lit", True), "false": ("lit", False),
                    "nil": ("lit", None)}.get(text, ("func", text))
        elif kind == "lparen":
            inner = self.pipeline()
            if self.take()[0] != "rparen":
                raise TemplateError("missing )")
            node = ("paren", inner)
        else:
            raise TemplateError(f"unexpected {text!r}")
        nxt = self.peek()
        if nxt[0] == "field" and nxt[2] and node[0] == "paren":
            self.take()
            node = ("chain", node, [f for f in nxt[1].split(".") if f])
        return node


def _parse_pipeline(text):
    p = _Parser(_tokens(text))
    pipe = p.pipeline()
    if p.i != len(p.t):
        raise TemplateError(f"trailing tokens in {text!r}")
    return pipe


def parse(source, name="template"):
    """The template's tree: lists of ("text", s) | ("action", pipeline) | block tuples, and the
    defines it holds as {name: body}."""
    items, pos = [], 0
    for m in _ACTION.finditer(source):
        items.append(["text", source[pos:m.start()]])
        if m.group(1):
            items[-1][1] = items[-1][1].rstrip(" \t\r\n")
        items.append(["act", m.group(2).strip(), bool(m.group(3))])
        pos = m.end()
    items.append(["text", source[pos:]])
    for i, item in enumerate(items):
        if item[0] == "act" and item[2] and i + 1 < len(items):
            items[i + 1][1] = items[i + 1][1].lstrip(" \t\r\n")

    defines = {}
    root = []
    stack = [("root", root, None)]  # (kind, body, node)
    for item in items:
        if item[0] == "text":
            if item[1]:
                stack[-1][1].append(("text", item[1]))
            continue
        body = item[1]
        if body.startswith("/*"):
            if not body.endswith("*/"):
                raise TemplateError(f"{name}: unterminated comment")
            continue
        word = body.split(None, 1)[0] if body else ""
        rest = body[len(word):].strip()
        if word in ("if", "with", "range"):
            node = [word, _parse_pipeline(rest), [], None]
            stack[-1][1].append(tuple_ref(node))
            stack.append((word, node[2], node))
        elif word == "define":
            dname = json.loads(rest)
            node = ["define", dname, [], None]
            defines[dname] = node[2]
            stack.append(("define", node[2], node))
        elif word == "else":
            kind, _, node = stack[-1]
            if kind not in ("if", "with", "range", "elseif"):
                raise TemplateError(f"{name}: else outside if/with/range")
            node[3] = []
            if rest.startswith("if "):
                inner = ["if", _parse_pipeline(rest[3:]), [], None]
                node[3].append(tuple_ref(inner))
                stack.append(("elseif", inner[2], inner))
            else:
                stack[-1] = (kind, node[3], node)
        elif word == "end":
            while stack[-1][0] == "elseif":
                stack.pop()
            if len(stack) == 1:
                raise TemplateError(f"{name}: end without a block")
            stack.pop()
        elif word in ("template", "block", "break", "continue"):
            raise TemplateError(f"{name}: {word} is not implemented here")
        else:
            stack[-1][1].append(("action", _parse_pipeline(body)))
    if len(stack) != 1:
        raise TemplateError(f"{name}: {stack[-1][0]} without end")
    return root, defines


def tuple_ref(node):
    # Blocks stay mutable lists (their else branch is filled in later); ("block", node) wraps them.
    return ("block", node)


# ---------------------------------------------------------------- evaluation

class Renderer:
    def __init__(self, chart_dir, values=None, release_name="tern", namespace="tern-system"):
        self.chart_dir = chart_dir
        with open(os.path.join(chart_dir, "Chart.yaml"), encoding="utf-8") as f:
            chart = yaml.safe_load(f)
        with open(os.path.join(chart_dir, "values.yaml"), encoding="utf-8") as f:
            base = _helm_numbers(yaml.safe_load(f) or {})
        merged = _merge(base, _helm_numbers(values or {}))
        self.root = {
            "Values": merged,
            "Chart": {k[0].upper() + k[1:]: v for k, v in chart.items()},
            "Release": {"Name": release_name, "Namespace": namespace, "Service": "Helm",
                        "IsInstall": True, "IsUpgrade": False, "Revision": 1},
            "Capabilities": {"KubeVersion": {"Version": "v1.24.0"}},
            "Template": {"BasePath": "tern/templates"},
            "Files": Files(chart_dir),
        }
        self.templates = {}
        self.defines = {}
        tdir = os.path.join(chart_dir, "templates")
        for dirpath, _, names in os.walk(tdir):
            for n in sorted(names):
                path = os.path.join(dirpath, n)
                rel = os.path.relpath(path, tdir)
                with open(path, encoding="utf-8") as f:
                    tree, defines = parse(f.read(), rel)
                self.templates[rel] = tree
                self.defines.update(defines)

    def render_all(self):
        """{template path: rendered text} for every template but partials (_*)."""
        return {rel: self.render(tree) for rel, tree in self.templates.items()
                if not os.path.basename(rel).startswith("_")}

    def render(self, tree, dot=None):
        out = []
        self._body(tree, self.root if dot is None else dot, [{"$": self.root}], out)
        return "".join(out)

    def _body(self, body, dot, scopes, out):
        for node in body:
            if node[0] == "text":
                out.append(node[1])
            elif node[0] == "action":
                value = self._pipeline(node[1], dot, scopes)
                if node[1][1] is None:
                    out.append(go_str(value))
            else:
                self._block(node[1], dot, scopes, out)

    def _block(self, node, dot, scopes, out):
        kind, pipe, body, else_body = node
        scopes.append({})
        try:
            value = self._pipeline(pipe, dot, scopes)
            if kind == "if":
                chosen = body if truthy(value) else else_body
                if chosen:
                    self._body(chosen, dot, scopes, out)
            elif kind == "with":
                if truthy(value):
                    self._body(body, value, scopes, out)
                elif else_body:
                    self._body(else_body, dot, scopes, out)
            elif kind == "range":
                items = (list(value.values()) if isinstance(value, dict)
                         else list(value or []))
                if not items and else_body:
                    self._body(else_body, dot, scopes, out)
                for item in items:
                    self._body(body, item, scopes, out)
        finally:
            scopes.pop()

    def _lookup_var(self, name, scopes):
        for scope in reversed(scopes):
            if name in scope:
                return scope[name]
        raise TemplateError(f"undefined variable {name}")

    def _pipeline(self, pipe, dot, scopes):
        _, decl, cmds = pipe
        value, have = None, False
        for cmd in cmds:
            value = self._command(cmd, dot, scopes, value if have else _NOARG)
            have = True
        if decl:
            name, op = decl
            if op == "decl":
                scopes[-1][name] = value
            else:
                for scope in reversed(scopes):
                    if name in scope:
                        scope[name] = value
                        break
                else:
                    raise TemplateError(f"assignment to undeclared {name}")
        return value

    def _command(self, operands, dot, scopes, piped):
        head = operands[0]
        args = [self._operand(o, dot, scopes) for o in operands[1:]]
        if piped is not _NOARG:
            args.append(piped)
        if head[0] == "func":
            name = head[1]
            if name == "include":
                tname, data = args
                if tname not in self.defines:
                    raise TemplateError(f"include of undefined template {tname!r}")
                out = []
                self._body(self.defines[tname], data, [{"$": data}], out)
                return "".join(out)
            if name not in FUNCS:
                raise TemplateError(f"function {name!r} is not implemented here")
            return FUNCS[name](*args)
        if head[0] in ("field", "var", "chain") and args:
            target = self._operand(head, dot, scopes, call_last=False)
            if not callable(target):
                raise TemplateError(f"{head} is not a method but has arguments")
            return target(*args)
        if args:
            raise TemplateError(f"{head} cannot take arguments")
        return self._operand(head, dot, scopes)

    def _operand(self, node, dot, scopes, call_last=True):
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "paren":
            return self._pipeline(node[1], dot, scopes)
        if kind == "func":
            return self._command([node], dot, scopes, _NOARG)
        if kind == "field":
            return self._fields(dot, node[1], call_last)
        if kind == "var":
            base = self._lookup_var(node[1], scopes)
            return self._fields(base, node[2], call_last)
        if kind == "chain":
            return self._fields(self._operand(node[1], dot, scopes), node[2], call_last)
        raise TemplateError(f"bad operand {node}")

    def _fields(self, value, fields, call_last):
        for i, f in enumerate(fields):
            if isinstance(value, dict):
                value = value.get(f)
            elif value is None:
                raise TemplateError(f"nil pointer evaluating .{f}")
            elif hasattr(value, f):
                value = getattr(value, f)
            else:
                raise TemplateError(f"can't evaluate field {f} in {type(value).__name__}")
            if callable(value) and (call_last or i < len(fields) - 1):
                value = value()
        return value


_NOARG = object()


def _merge(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def documents(rendered):
    """The non-empty YAML documents of rendered templates, as (template, object)."""
    docs = []
    for rel, text in sorted(rendered.items()):
        if not rel.endswith((".yaml", ".yml")):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                docs.append((rel, doc))
    return docs

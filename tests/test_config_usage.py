"""Every config key does something: each field of every schema section is read by gfjax's code.

A static walk over gfjax/ (AST, so comments and docstrings do not count): a field counts as
read where an attribute of that name is loaded from an object that holds the section, namely

- an expression ending in ``settings.<section>`` (``ctx.settings.msbas.lam``), or a name bound
  to one (``opts = ctx.settings.msbas``, also in tuple assignments);
- ``getattr(settings, "<section>", ...)``, and ``<scene>.spec`` (the synthetic scene keeps its
  ``SceneSpec`` there);
- a parameter annotated with the section's class (``opts: TrackingOptions``), a name bound to a
  call of a function returning it (``opts = resolve_options(...)``), or a parameter a section
  (or such a name) is passed to, by position or keyword, in a call of a gfjax function
  (``write_msbas_folder(..., ctx.settings.msbas)`` makes its ``msbas_opts`` one);
- ``self`` inside the section's class, outside its validation and conversion methods;
- ``getattr(<holder>, "field")``.

Interpolations in gfjax/conf (``${output.root}``) are uses too. Validation (``validate``,
``__post_init__``, ``to_settings``) is not. A key that only
validates is dead: remove it or make it work.
"""
import ast
import re
import dataclasses
import typing
from pathlib import Path

import pytest

from gfjax.config.schema import GfjaxConfig

PKG = Path(__file__).resolve().parents[1] / "gfjax"
NOT_USES = {"validate", "__post_init__", "to_attrs", "from_dict", "replace", "to_settings", "unknown_keys",
            "_check_method_options", "_unknown_key_message", "mutable_schema"}


def _sections() -> dict[str, tuple[type, set[str]]]:
    """section -> (schema class, field names); the ring's own class where the schema borrows one."""
    hints = typing.get_type_hints(GfjaxConfig)
    out = {"": (GfjaxConfig, {f.name for f in dataclasses.fields(GfjaxConfig)
                              if not dataclasses.is_dataclass(hints[f.name])})}
    for f in dataclasses.fields(GfjaxConfig):
        cls = hints[f.name]
        if dataclasses.is_dataclass(cls):
            cls = getattr(cls, "__gfjax_ring_class__", cls)
            out[f.name] = (cls, {g.name for g in dataclasses.fields(cls)})
    return out


HOLDERS = {"spec": "scene"}  # attributes that hold a section wherever they appear


def _is_settings(expr: ast.AST) -> bool:
    return (isinstance(expr, ast.Name) and expr.id in ("settings", "cfg")) or \
        (isinstance(expr, ast.Attribute) and expr.attr == "settings")


def _section_of(expr: ast.AST, aliases: dict[str, str]) -> str | None:
    """The section an expression holds: ``*.settings.<s>`` / ``settings.<s>`` /
    ``getattr(settings, "<s>")`` / ``<x>.spec`` / a known alias."""
    if isinstance(expr, ast.Name):
        return aliases.get(expr.id)
    if isinstance(expr, ast.Attribute):
        if _is_settings(expr.value):
            return expr.attr
        return HOLDERS.get(expr.attr)
    if (isinstance(expr, ast.Call) and getattr(expr.func, "id", None) == "getattr" and len(expr.args) >= 2
            and _is_settings(expr.args[0]) and isinstance(expr.args[1], ast.Constant)):
        return expr.args[1].value
    return None


class _Functions(ast.NodeVisitor):
    """Every function of gfjax by name: its parameters, for passing aliases into calls."""

    def __init__(self):
        self.params: dict[str, list[str]] = {}
        self.returns: dict[str, str] = {}

    def visit_FunctionDef(self, node):
        args = node.args
        self.params.setdefault(node.name, [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs])
        if node.returns is not None:
            self.returns.setdefault(node.name, ast.unparse(node.returns))
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef


def _reads(tree: ast.AST, sections, functions, passed: dict[str, dict[str, str]]) -> set[tuple[str, str]]:
    """(section, field) pairs read in ``tree``; records aliases passed into calls in ``passed``."""
    class_sections = {cls.__name__: name for name, (cls, _) in sections.items() if name}
    found: set[tuple[str, str]] = set()

    def _returned_section(value):
        if isinstance(value, ast.Call):
            name = value.func.attr if isinstance(value.func, ast.Attribute) else getattr(value.func, "id", None)
            for cls_name, sec in class_sections.items():
                if cls_name in functions.returns.get(name, ""):
                    return sec
        return None

    def walk_function(fn, outer: dict[str, str], owner: str | None):
        aliases = dict(outer)
        for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs:
            ann = ast.unparse(a.annotation) if a.annotation is not None else ""
            for cls_name, sec in class_sections.items():
                if cls_name in ann:
                    aliases[a.arg] = sec
            if a.arg in passed.get(fn.name, {}):
                aliases[a.arg] = passed[fn.name][a.arg]
        if owner is not None and fn.name not in NOT_USES:
            aliases["self"] = class_sections[owner]
        if fn.name in NOT_USES:
            return
        scan(fn.body, aliases)

    def scan(body, aliases):
        for stmt in body:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        pairs = (zip(target.elts, node.value.elts)
                                 if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                                 and len(target.elts) == len(node.value.elts) else [(target, node.value)])
                        for t, v in pairs:
                            sec = _section_of(v, aliases) or _returned_section(v)
                            if isinstance(t, ast.Name) and sec is not None:
                                aliases[t.id] = sec
            for node in ast.walk(stmt):
                if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                    sec = _section_of(node.value, aliases)
                    if sec is not None:
                        found.add((sec, node.attr))
                    # ``settings.<section>`` itself reads a top-level field
                    top = _section_of(node, {})
                    if top is not None and top not in sections:
                        found.add(("", top))
                elif isinstance(node, ast.Call):
                    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                    if name == "getattr" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                        sec = _section_of(node.args[0], aliases)
                        if sec is not None:
                            found.add((sec, node.args[1].value))
                    elif name in functions.params:
                        params = functions.params[name]
                        offset = 1 if params[:1] in (["self"], ["cls"]) and isinstance(node.func, ast.Attribute) else 0
                        for i, arg in enumerate(node.args):
                            sec = _section_of(arg, aliases)
                            if sec is not None and i + offset < len(params):
                                passed.setdefault(name, {})[params[i + offset]] = sec
                        for kw in node.keywords:
                            sec = _section_of(kw.value, aliases) if kw.arg else None
                            if sec is not None:
                                passed.setdefault(name, {})[kw.arg] = sec
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                walk_function(stmt, aliases, None)
            elif isinstance(stmt, ast.ClassDef):
                for item in stmt.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        walk_function(item, aliases, stmt.name if stmt.name in class_sections else None)

    scan(tree.body, {})
    return found


def read_fields() -> set[tuple[str, str]]:
    sections = _sections()
    trees = [ast.parse(p.read_text(), str(p)) for p in sorted(PKG.rglob("*.py"))]
    functions = _Functions()
    for tree in trees:
        functions.visit(tree)
    passed: dict[str, dict[str, str]] = {}
    found: set[tuple[str, str]] = set()
    for _ in range(3):  # aliases passed into calls reach functions defined in any module
        for tree in trees:
            found |= _reads(tree, sections, functions, passed)
    for path in (PKG / "conf").rglob("*.yaml"):
        for ref in re.findall(r"\$\{([A-Za-z_][\w.]*)\}", path.read_text()):
            sec, _, name = ref.rpartition(".")
            found.add((sec, name))
    return found


def test_every_schema_field_is_read_by_code():
    found = read_fields()
    dead = sorted(f"{sec + '.' if sec else ''}{name}" for sec, (_, names) in _sections().items()
                  for name in names if (sec, name) not in found)
    assert not dead, f"config keys that no code reads (remove them or make them work): {dead}"


def test_the_walk_finds_reads_and_misses_dead_keys(tmp_path):
    """The walk itself: a read through an alias, a call and ``self`` counts, validation does not."""
    src = '''
class MsbasOptions:
    def validate(self):
        return self.ridge > 0
    def rows(self):
        return self.dim
def stage(ctx):
    opts, geo = ctx.settings.msbas, ctx.settings.geometry
    helper(opts.lam, options=opts)
    return geo.epsg
def helper(x, options):
    return options.order
'''
    sections = {"": (GfjaxConfig, set()), "msbas": (type("MsbasOptions", (), {}), set()),
                "geometry": (type("GeometryConfig", (), {}), set())}
    tree = ast.parse(src)
    functions = _Functions()
    functions.visit(tree)
    passed: dict = {}
    found = _reads(tree, sections, functions, passed) | _reads(tree, sections, functions, passed)
    assert {("msbas", "lam"), ("msbas", "order"), ("msbas", "dim"), ("geometry", "epsg")} <= found
    assert ("msbas", "ridge") not in found

"""Regenerate the sketch (diagram views) of a Vensim ``.mdl`` from its equations.

The equations of ``models/digital_flywheel.mdl`` are written by hand; this tool lays
out one view per group (``.Group`` header): stocks with their flow valves and clouds
along the top, auxiliaries and constants in a grid below, influence arrows between
variables of the same view, and grey shadow copies of variables defined in another
view. It rewrites only the part of the file between the sketch markers.

Run after adding or renaming a variable::

    python tools/make_sketch.py models/digital_flywheel.mdl
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SKETCH_START = "\\\\\\---///"
SKETCH_END = "///---\\\\\\"
HEADER = "$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255|-1--1--1|-1--1--1|96,96,100,0"
SKIP_GROUPS = {"Control"}
NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9 _&]*")


def parse_equations(text: str) -> list[dict]:
    """Return the variables of the equation section, in file order, with group and body."""
    body = text.split(SKETCH_START)[0]
    variables, group = [], None
    for block in body.split("|"):
        block = block.strip().removeprefix("{UTF-8}").strip()
        if not block:
            continue
        header = re.match(r"\*+\s*\.(.+?)\s*\*+", block, re.S)
        if header:
            group = header.group(1).strip()
            continue
        equation = block.split("~")[0]
        if re.match(r"^[^=\[]+:", equation):  # subscript range definition
            continue
        left, _, right = equation.partition("=")
        name = re.sub(r"\[.*\]", "", left).strip()
        variables.append({"name": name, "group": group, "expr": " ".join(right.split())})
    return variables


def references(expr: str, names: set[str]) -> set[str]:
    """Names of model variables used in an expression (longest match first)."""
    found = set()
    for token in sorted(names, key=len, reverse=True):
        pattern = r"(?<![A-Za-z0-9_])" + re.escape(token) + r"(?![A-Za-z0-9_])"
        if re.search(pattern, expr):
            found.add(token)
            expr = re.sub(pattern, " ", expr)
    return found


def stock_flows(expr: str, names: set[str]) -> tuple[list[str], list[str]]:
    """Inflows and outflows of an INTEG expression."""
    rate = expr[expr.index("(") + 1 :].rsplit(",", 1)[0]
    inflows, outflows = [], []
    for sign, term in re.findall(r"([+-]?)\s*([^+-]+)", rate):
        term = term.strip()
        if term in names:
            (outflows if sign == "-" else inflows).append(term)
    return inflows, outflows


def layout_view(view_vars, all_vars, names, next_id):
    """Sketch lines for one view; returns (lines, next_id)."""
    lines, ids, pos = [], {}, {}
    defined_here = {v["name"] for v in view_vars}
    exprs = {v["name"]: v["expr"] for v in all_vars}
    stocks = [v for v in view_vars if v["expr"].startswith("INTEG")]
    placed_flows = set()

    def add_var(name, x, y, shape, bits="3", shadow=False):
        nonlocal next_id
        ids[name], pos[name] = next_id, (x, y)
        width = max(30, min(70, len(name) * 3))
        if shadow:
            lines.append(
                f"10,{next_id},{name},{x},{y},{width},18,8,2,0,3,-1,0,0,0,"
                "128-128-128,0-0-0,|12||128-128-128"
            )
        else:
            lines.append(f"10,{next_id},{name},{x},{y},{width},18,{shape},{bits},0,0,-1,0,0,0")
        next_id += 1

    def add_pipe(stock, flow, x, y, inflow):
        nonlocal next_id
        cloud_x = x - 90 if inflow else x + 90
        cloud_id = next_id
        lines.append(f"12,{cloud_id},48,{cloud_x},{y},10,8,0,3,0,0,-1,0,0,0")
        valve_id = cloud_id + 1
        stock_end, cloud_end = ("4", "100") if inflow else ("100", "4")
        pipe = f"0,0,22,0,0,0,-1--1--1,,1|({x},{y})|"
        lines.append(f"1,{cloud_id + 2},{valve_id},{ids[stock]},{stock_end},{pipe}")
        lines.append(f"1,{cloud_id + 3},{valve_id},{cloud_id},{cloud_end},{pipe}")
        lines.append(f"11,{valve_id},48,{x},{y},6,8,34,3,0,0,1,0,0,0")
        next_id = cloud_id + 4
        add_var(flow, x, y + 28, 40)
        placed_flows.add(flow)

    for i, stock in enumerate(stocks):
        sx, sy = 260 + 520 * i, 140
        add_var(stock["name"], sx, sy, 3)
        inflows, outflows = stock_flows(stock["expr"], names)
        for k, flow in enumerate(f for f in inflows if f in defined_here):
            add_pipe(stock["name"], flow, sx - 130, sy + 70 * k, True)
        for k, flow in enumerate(f for f in outflows if f in defined_here):
            add_pipe(stock["name"], flow, sx + 130, sy + 70 * k, False)

    rest = [v["name"] for v in view_vars if v["name"] not in ids]
    layer: dict[str, int] = {}

    def depth(name, seen=()):
        # rows follow the direction of influence: inputs above the variables they drive
        if name not in layer:
            inputs = [r for r in references(exprs[name], names) if r in rest and r not in seen]
            layer[name] = 1 + max((depth(r, seen + (name,)) for r in inputs), default=-1)
        return layer[name]

    ordered = sorted(rest, key=lambda name: (depth(name), rest.index(name)))
    columns = 5
    top = 300 if stocks else 80
    for k, name in enumerate(ordered):
        add_var(name, 140 + 230 * (k % columns), top + 70 * (k // columns), 8)

    external = sorted(
        {ref for name in defined_here for ref in references(exprs[name], names)} - defined_here
    )
    row0 = top + 70 * ((len(rest) + columns - 1) // columns) + 40
    for k, name in enumerate(external):
        add_var(name, 140 + 230 * (k % columns), row0 + 60 * (k // columns), 8, shadow=True)

    for name in sorted(defined_here):
        for ref in sorted(references(exprs[name], names)):
            if ref in ids and ref != name and not exprs[name].startswith("INTEG"):
                lines.append(
                    f"1,{next_id},{ids[ref]},{ids[name]},0,0,0,0,0,64,0,-1--1--1,,1|(0,0)|"
                )
                next_id += 1
    return lines, next_id


def make_sketch(text: str) -> str:
    """Return the model text with its sketch section regenerated."""
    variables = parse_equations(text)
    names = {v["name"] for v in variables}
    groups: dict[str, list[dict]] = {}
    for var in variables:
        if var["group"] not in SKIP_GROUPS:
            groups.setdefault(var["group"], []).append(var)
    sketch = []
    for group, view_vars in groups.items():
        lines, _ = layout_view(view_vars, variables, names, 1)
        sketch += [
            f"{SKETCH_START} Sketch information - do not modify anything except names",
            "V300  Do not put anything below this section - it will be ignored",
            f"*{group}",
            HEADER,
        ] + lines
    equations, _, tail = text.partition(SKETCH_START)
    settings = tail.partition(SKETCH_END)[2]
    return equations + "\n".join(sketch) + "\n" + SKETCH_END + settings


def main(argv: list[str] | None = None) -> int:
    """Rewrite the sketch of each model file named on the command line."""
    for path in argv if argv is not None else sys.argv[1:]:
        file = Path(path)
        file.write_text(make_sketch(file.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"sketch rewritten: {file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

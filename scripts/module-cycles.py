#!/usr/bin/env python3
"""Reports import cycles between the modules of a Rust crate.

Reads every `.rs` file under a crate's `src/`, maps each file to its module path
(`src/v2/users.rs` is `v2::users`, `src/v2/mod.rs` is `v2`), and records an edge a -> b for
every `crate::b…` or `super::…` path a names outside its `#[cfg(test)]` tail (a module's tests
may use anything). A module and its own child modules count as separate nodes: a parent that
declares `mod child;` does not depend on it through the declaration alone, but a parent that
names `child::item` does (relative paths to child modules count too). Prints every strongly connected component with more than one
module and exits 1 if there is any; exits 0 when the graph is acyclic.

Usage: scripts/module-cycles.py crates/http-actix
"""

import re
import sys
from pathlib import Path


def module_of(src: Path, file: Path) -> tuple[str, ...]:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts.pop()
    return tuple(parts)


def resolve(modules: set, current: tuple, path: list[str]) -> tuple | None:
    """The longest known module that `path` (absolute segments) names."""
    for n in range(len(path), 0, -1):
        if tuple(path[:n]) in modules:
            return tuple(path[:n])
    return None


PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super)::\{([^}]*)\}")


def code_without_tests(text: str) -> str:
    # The tail from the first `#[cfg(test)]` item on is test code.
    cut = text.find("#[cfg(test)]\nmod tests")
    text = text if cut < 0 else text[:cut]
    # Comments and doc comments do not import anything.
    return "\n".join(line.split("//")[0] for line in text.splitlines())


def main() -> int:
    crate = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    src = crate / "src"
    files = {module_of(src, f): f for f in src.rglob("*.rs")}
    modules = set(files)
    edges: dict[tuple, set] = {m: set() for m in modules}
    for module, file in files.items():
        code = code_without_tests(file.read_text())
        base_super = module[:-1]
        refs = []
        for root, tail in PATH.findall(code):
            refs.append((root, [s for s in tail.split("::") if s]))
        for root, inner in GROUP.findall(code):
            for item in inner.split(","):
                first = item.strip().split("::")[0].strip()
                if first and first not in ("self",):
                    refs.append((root, [first]))
        # A child module named by a relative path (`users::list_users`, `use family::V2`).
        for child in (m for m in modules if len(m) == len(module) + 1 and m[:-1] == module):
            if re.search(r"(?<![:\w])" + re.escape(child[-1]) + r"::", code):
                edges[module].add(child)
        for root, segments in refs:
            absolute = list(base_super if root == "super" else ()) + segments
            while root == "super" and segments and segments[0] == "super":
                segments = segments[1:]
                absolute = list(base_super[:-1]) + segments
            target = resolve(modules, module, absolute)
            if target is None or target == module:
                continue
            edges[module].add(target)
    # Tarjan's strongly connected components.
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            comps.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(modules):
        if v not in index:
            visit(v)
    cycles = [c for c in comps if len(c) > 1]
    name = lambda m: "::".join(m) or "crate"
    for c in cycles:
        print("cycle:", ", ".join(sorted(name(m) for m in c)))
    print(f"{len(modules)} modules, {sum(len(e) for e in edges.values())} import edges, "
          f"{len(cycles)} cycle(s)")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())

"""Count import cycles in the product's packages: `python -m tests.architecture.import_cycles`.

grimp (which import-linter is built on) reads every import statement, those inside functions and
under TYPE_CHECKING too, so a loop closed by a function-level import counts. A cycle here is a
group of modules that all reach each other (a strongly connected component of two or more);
each is printed with its modules. Exits 1 when there is any.
"""

from __future__ import annotations

import sys

import grimp

PRODUCT_PACKAGES = ("api", "automations", "backend", "integrations")


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of two or more modules (Tarjan's, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, imported = work[-1]
            for other in imported:
                if other not in index:
                    index[other] = low[other] = len(index)
                    stack.append(other)
                    on_stack.add(other)
                    work.append((other, iter(sorted(graph.find_modules_directly_imported_by(
                        other)))))
                    break
                if other in on_stack:
                    low[module] = min(low[module], index[other])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[module])
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return cycles


def build_graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PRODUCT_PACKAGES, cache_dir=None)


def main() -> int:
    graph = build_graph()
    cycles = import_cycles(graph)
    print(f"{len(graph.modules)} modules, {graph.count_imports()} imports (those inside "
          f"functions included) in {', '.join(PRODUCT_PACKAGES)}")
    for cycle in cycles:
        print(f"cycle of {len(cycle)}: {' '.join(cycle)}")
    print(f"import cycles: {len(cycles)}")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())

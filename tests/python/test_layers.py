"""The shape of plots/, read from its source: modules import downward only (no module imports
one that imports it back), none uses another's private (_name) helpers or names it merely
imports, nothing imports an entry-point script, and no function is longer than 60 lines.

Each check is also run on a crafted directory that breaks it, so it is seen to fail."""

import ast
import os
import tempfile
import textwrap
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLOTS = os.path.join(ROOT, "plots")
MAX_FUNCTION_LINES = 60


def parse_modules(directory):
    """{module name: its parsed source} of every .py file in directory."""
    out = {}
    for fname in sorted(os.listdir(directory)):
        if fname.endswith(".py"):
            with open(os.path.join(directory, fname), encoding="utf-8") as f:
                out[fname[:-3]] = ast.parse(f.read(), fname)
    return out


def imported(tree, local):
    """Each module of `local` this source imports, anywhere in it (a function's import too)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in local}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in local:
            found.add(node.module)
    return found


def cycles(modules):
    """Every module that reaches itself through imports, as the path that leads back: [[a, b, a]]."""
    graph = {name: imported(tree, modules) for name, tree in modules.items()}
    found = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            name, path = stack.pop()
            for nxt in sorted(graph[name]):
                if nxt == start:
                    found.append(path + [start])
                    stack = []
                    break
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
    return found


def own_names(tree):
    """The names a module defines at its top level (functions, classes, assignments), not the
    ones it imports."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_attributes(tree, aliases):
    """(line, module, attribute) of each `alias.attribute` in the source where alias names a
    module, not a parameter or local variable of the same name (transports, say)."""
    found = []

    def visit(node, hidden):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            hidden = hidden | {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x}
            hidden |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.value.id not in hidden):
            found.append((node.lineno, aliases[node.value.id], node.attr))
        for child in ast.iter_child_nodes(node):
            visit(child, hidden)

    visit(tree, frozenset())
    return found


def foreign_uses(modules):
    """(module, line, 'other.name') of every name a module takes from another module of the
    directory that is private there, or that the other module does not define itself."""
    defined = {name: own_names(tree) for name, tree in modules.items()}
    found = []
    for name, tree in modules.items():
        aliases = {}  # a local name bound to another module of the directory
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                aliases.update({(a.asname or a.name): a.name for a in node.names if a.name in modules})
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in modules:
                found += [(name, node.lineno, f"{node.module}.{a.name}") for a in node.names
                          if is_private(a.name) or a.name not in defined[node.module]]
        found += [(name, line, f"{other}.{attr}") for line, other, attr in module_attributes(tree, aliases)
                  if is_private(attr) or (attr not in defined[other] and not attr.startswith("__"))]
    return found


def entry_points(modules):
    """The scripts: modules with an `if __name__ == "__main__":` block."""
    return {name for name, tree in modules.items()
            if any(isinstance(node, ast.If) and "__main__" in ast.dump(node.test) for node in tree.body)}


def long_functions(modules, limit=MAX_FUNCTION_LINES):
    return [(name, node.name, node.end_lineno - node.lineno + 1) for name, tree in modules.items()
            for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > limit]


class Plots(unittest.TestCase):
    def setUp(self):
        self.modules = parse_modules(PLOTS)

    def test_no_module_imports_one_that_imports_it_back(self):
        self.assertEqual(cycles(self.modules), [])

    def test_no_module_uses_a_private_or_borrowed_name_of_another(self):
        self.assertEqual(foreign_uses(self.modules), [])

    def test_no_module_imports_an_entry_point(self):
        scripts = entry_points(self.modules)
        # The scripts run-suite.sh, ab.sh, netns-hosts.sh and CI call are among them.
        self.assertLessEqual({"summarize", "report", "check", "transports", "compare", "merge", "hosts", "stability"},
                             scripts)
        importers = [(name, sorted(imported(tree, scripts))) for name, tree in self.modules.items()
                     if imported(tree, scripts)]
        self.assertEqual(importers, [])

    def test_no_function_is_longer_than_sixty_lines(self):
        self.assertEqual(long_functions(self.modules), [])

    def test_every_module_says_what_it_is_for(self):
        for name, tree in self.modules.items():
            with self.subTest(module=name):
                self.assertTrue(ast.get_docstring(tree), f"plots/{name}.py has no docstring")


class TheChecksFail(unittest.TestCase):
    """Each check finds what it is there to find, in a directory written to break it."""

    def modules(self, **sources):
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in sources.items():
                with open(os.path.join(tmp, name + ".py"), "w", encoding="utf-8") as f:
                    f.write(textwrap.dedent(text))
            return parse_modules(tmp)

    def test_a_cycle_through_a_third_module_and_inside_a_function(self):
        found = cycles(self.modules(a="import b\n", b="from c import x\n",
                                    c="x = 1\n\ndef late():\n    import a\n", d="import a\n"))
        self.assertIn(["a", "b", "c", "a"], found)
        self.assertNotIn("d", {path[0] for path in found})  # d imports the cycle but is not in it

    def test_a_private_name_used_or_imported_and_a_name_borrowed(self):
        found = foreign_uses(self.modules(
            a="import b as bee\nfrom b import _hidden\nbee._helper()\nbee.os.getcwd()\nbee.public()\nbee.__doc__\n"
              "def f(bee):\n    return bee._own\n",  # a parameter, not the module
            b="import os\n\ndef _helper():\n    pass\n\ndef public():\n    pass\n\n_hidden = 1\n"))
        self.assertEqual(sorted(found), [("a", 2, "b._hidden"), ("a", 3, "b._helper"), ("a", 4, "b.os")])

    def test_an_entry_point_and_a_long_function(self):
        modules = self.modules(tool="def main():\n    pass\n\nif __name__ == '__main__':\n    main()\n",
                               lib="def f():\n" + "    x = 1\n" * 60)
        self.assertEqual(entry_points(modules), {"tool"})
        self.assertEqual(long_functions(modules), [("lib", "f", 61)])


if __name__ == "__main__":
    unittest.main()

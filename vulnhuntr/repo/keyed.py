"""Lookups by key: every definition ``ACTIONS[name]``, ``getattr(mod, name)`` or ``import_module(name)`` can reach.

Built on the name-following resolver: containers filled by registrations (literals, decorators,
calls), namespaces read with ``getattr``, ``globals()`` and modules imported by a computed name.
"""

from __future__ import annotations

import ast

from .dispatch import Dispatch, KeyPattern, Shape, Target, bounded, modules_matching, modules_reached, parse_lookup
from .dispatch import shape_of
from .index import MODULE_SCOPE, CallSite, Definition, ModuleIndex, Registration, RepoIndex, dotted, expression_text
from .names import NameResolver
from .symbols import _Def, _External, _function_node, _Instance, _Module, _module_symbol, _short, _symbol, _Target
from .symbols import enclosing_class, scope_at


class KeyedResolver(NameResolver):
    """Adds the lookups by key to :class:`NameResolver`, each memoised or indexed once per run."""

    def __init__(self, index: RepoIndex) -> None:
        super().__init__(index)
        self._dispatches: dict[tuple[str, str, str, tuple[str, str] | None], Dispatch | None] = {}
        self._registrations: dict[str, list[tuple[ModuleIndex, Registration]]] | None = None
        self._decorated: dict[str, list[tuple[ModuleIndex, Definition, str]]] | None = None
        self._calls_by_name: dict[str, list[tuple[ModuleIndex, CallSite]]] = {}  # see _calls_named
        self._module_targets: dict[str, Target] = {}  # see _module_target
        self._call_nodes: dict[str, dict[int, list[ast.Call]]] = {}
        self._derived: dict[tuple[str, str], list[_Def]] | None = None
        self._matching: dict[KeyPattern, list[ModuleIndex]] = {}  # see _modules_matching
        self._filled: dict[tuple[str, str, str, int], set[tuple[str, ...]]] = {}  # see _filled_keys

    def dispatch(
        self, lookup: str | ast.expr, file: str, line: int | None, receiver: tuple[str, str] | None = None
    ) -> Dispatch | None:
        """Every definition a lookup by key can reach (``ACTIONS[name]``, ``getattr(mod, name)``, ...).

        *lookup* is the callee as written (text or syntax); *receiver* is the runtime class of
        ``self`` (file, qualname) when the caller knows it better than the enclosing class.
        None when *lookup* is no lookup or looks into something that is no known container.
        """
        module = self.index.modules.get(file)
        if module is None:
            return None
        scope = scope_at(module, line) if line is not None else MODULE_SCOPE
        if isinstance(lookup, str):  # asked by text again and again (the context walk, the model): memoised first
            key = (lookup, file, scope, receiver)
            if key not in self._dispatches:
                node = parse_lookup(lookup)
                shape = shape_of(node) if node is not None else None
                self._dispatches[key] = self._dispatch(shape, lookup, module, scope, line, receiver) if shape else None
            return self._dispatches[key]
        shape = shape_of(lookup)
        if shape is None:
            return None
        return self._dispatch(shape, None, module, scope, line, receiver, lookup)

    def _dispatch(
        self, shape: Shape, text: str | None, module: ModuleIndex, scope: str, line: int | None,
        receiver: tuple[str, str] | None, node: ast.expr | None = None,
    ) -> Dispatch | None:
        if shape.kind == "container" and not self._registrations_named((shape.base or "").rsplit(".", 1)[-1]):
            return None  # nothing was ever put into a container of that name: the usual case, answered first
        if text is None:
            text = expression_text(node) if node is not None else ""
        pattern = shape.pattern
        if shape.kind == "container":
            found = self._container_targets(module, scope, line, shape.base or "", pattern)
            if found is None:
                return None
        elif not self._is_builtin_lookup(shape, module, scope, line):
            return None
        elif shape.kind == "getattr":
            found = self._namespace_targets(module, scope, line, shape.base, receiver, pattern)
        elif shape.kind == "globals":
            found = [(t, False) for t in self._globals(module) if pattern.matches(_short(t))]
        elif not shape.attributes:  # ``import_module(name)`` itself: the modules, which may be every one
            return modules_reached(text, self._modules_matching(pattern), module.path, self._module_target, pattern)
        else:
            found = [(_Module(m), False) for m in self._modules_matching(pattern)]
        targets = self._members_of(found, shape.attributes)
        targets.sort(key=lambda t: (t[1] != module.path, t[1], t[2]))
        unique = list(dict.fromkeys(t[0] for t in targets))
        return bounded(text, shape.kind, unique, shape.kind != "container", pattern.narrowed)

    def dispatch_member(self, found: Dispatch, attribute: str) -> Dispatch:
        """``mod = import_module(name); mod.run(...)``: the same lookup, then *attribute* of each candidate."""
        targets: list[tuple[_Target, bool]] = []
        for target in found.targets:
            symbol = target.symbol
            module = self.index.modules.get(symbol.file) if symbol is not None else None
            if module is None or symbol is None:
                continue
            if symbol.kind == "module":
                targets.append((_Module(module), False))
            elif symbol.qualname in module.definitions_by_name:
                targets.append((_Def(module, module.definitions_by_name[symbol.qualname]), False))
        members = list(dict.fromkeys(t[0] for t in self._members_of(targets, (attribute,))))
        return bounded(f"{found.via}.{attribute}", found.kind, members, found.open, found.narrowed)

    def _is_builtin_lookup(self, shape: Shape, module: ModuleIndex, scope: str, line: int | None) -> bool:
        """``getattr``, ``globals``, ``import_module`` really are the builtins and importlib (not a local helper)."""
        if shape.head is None:
            return False
        target = self._chain(shape.head.split("."), module, scope, line)
        return isinstance(target, _External) and target.name in (
            "builtins.getattr", "builtins.globals", "builtins.locals", "builtins.__import__",
            "importlib.import_module", "importlib.__import__",
        )

    def _members_of(
        self, found: list[tuple[_Target, bool]], attributes: tuple[str, ...]
    ) -> list[tuple[Target, str, int]]:
        """The definitions reached after reading *attributes* from each candidate, with where they are."""
        targets: list[tuple[Target, str, int]] = []
        for target, bound in found:
            current: _Target | None = target
            for attribute in attributes:
                owner = current
                current = self._member(current, attribute, 1) if current is not None else None
                bound = owner is not None and self._is_instance(owner)
            if not attributes and current is not None and self._is_instance(current):  # calling an object: ``__call__``
                current = self._member(current, "__call__", 1)
                bound = True
            if isinstance(current, _Def) and current.definition.kind in ("function", "class", "method"):
                symbol = _symbol(current)
                targets.append((Target(symbol, bound), symbol.file, symbol.start_line))
            elif isinstance(current, _Module):
                targets.append((self._module_target(current.module), current.module.path, 0))
            elif isinstance(current, _External) and not current.name.startswith("builtins."):
                targets.append((Target(None, external=current.name), "~", 0))
        return targets

    def _module_target(self, module: ModuleIndex) -> Target:
        """A module as a candidate, made once (``import_module(name)`` may reach every module, lookup after lookup)."""
        target = self._module_targets.get(module.path)
        if target is None:
            target = self._module_targets[module.path] = Target(_module_symbol(module))
        return target

    def _is_instance(self, target: _Target) -> bool:
        return isinstance(target, _Instance) or (isinstance(target, _Def) and self._as_instance(target, 0) is not None)

    def _container_targets(
        self, module: ModuleIndex, scope: str, line: int | None, base: str, pattern: KeyPattern
    ) -> list[tuple[_Target, bool]] | None:
        """What was put into the container *base* names, anywhere in the repository; None if nothing was."""
        if not self._registrations_named(base.rsplit(".", 1)[-1]):
            return None
        keys = self._container_keys(module, scope, base, line, query=True)
        if not keys:
            return None
        entries = [
            (m, r)
            for m, r in self._registrations_named(base.rsplit(".", 1)[-1])
            if pattern.matches(r.key) and self._filled_keys(m, r) & keys
        ]
        if not entries:
            return None
        found: list[tuple[_Target, bool]] = []
        for m, registration in entries:
            owner = enclosing_class(m, registration.line) if registration.value in ("self", "cls") else None
            if owner is not None:  # ``REGISTRY[cls.name] = cls`` in ``__init_subclass__``: every subclass
                found += [(t, False) for t in self._subclasses(_Def(m, owner))]
                continue
            built = registration.value.endswith("()")
            value = registration.value[:-2] if built else registration.value
            target = self._chain(value.split("."), m, registration.scope, registration.line)
            if built:  # an instance of the class called there; outside or unknown constructors say nothing
                is_class = isinstance(target, _Def) and target.definition.kind == "class"
                found += [(_Instance(target), True)] if is_class else []  # type: ignore[arg-type]
                continue
            if target is None and registration.scope != MODULE_SCOPE:  # a parameter: ``REGISTRY[name] = fn``
                found += [(t, False) for t in self._decorated_by(m, registration.scope)]
                found += [(t, False) for t in self._passed_to(m, registration.scope, registration.value)]
            elif target is not None:
                found.append((target, self._bound_value(m, registration)))
        return found

    def _bound_value(self, module: ModuleIndex, registration: Registration) -> bool:
        """``{"a": self.do_a}``, ``{"b": store.read}``: a method read from an object is bound to it."""
        parts = registration.value.split(".")
        if len(parts) < 2:
            return False
        owner = self._chain(parts[:-1], module, registration.scope, registration.line)
        return owner is not None and self._is_instance(owner)

    def _filled_keys(self, module: ModuleIndex, registration: Registration) -> set[tuple[str, ...]]:
        """What the container a registration fills names (memoised: every lookup into a container of that name asks)."""
        key = (module.path, registration.scope, registration.container, registration.line)
        if key not in self._filled:
            self._filled[key] = self._container_keys(module, registration.scope, registration.container, registration.line)
        return self._filled[key]

    def _container_keys(
        self, module: ModuleIndex, scope: str, text: str, line: int | None, query: bool = False
    ) -> set[tuple[str, ...]]:
        """What a container expression names, comparable across files: a variable, an instance attribute or a local."""
        parts = text.split(".")
        if parts[0] in ("self", "cls") and len(parts) == 2:
            owner = enclosing_class(module, line) if line is not None else None
            if owner is None:
                return set()
            member = self._class_member(_Def(module, owner), parts[1], 1)
            if isinstance(member, _Def) and member.definition.kind == "variable":
                return {("def", member.module.path, member.definition.qualname)}
            classes = [_Def(module, owner)] + (self._repo_bases(_Def(module, owner)) if query else [])
            return {("attr", c.module.path, c.definition.qualname, parts[1]) for c in classes}
        target = self._chain(parts, module, scope, line)
        if isinstance(target, _Def) and target.definition.kind == "variable":
            return {("def", target.module.path, target.definition.qualname)}
        if target is None and len(parts) == 1 and scope != MODULE_SCOPE:
            return {("local", module.path, scope, parts[0])}
        return set()

    def _subclasses(self, cls: _Def) -> list[_Target]:
        """Repository classes that derive from *cls*, directly or not (one pass over every class, memoised)."""
        if self._derived is None:
            table: dict[tuple[str, str], list[_Def]] = {}
            for m in self.index.modules.values():
                for d in m.definitions:
                    if d.kind == "class" and d.bases:
                        for base in self._repo_bases(_Def(m, d)):
                            table.setdefault((base.module.path, base.definition.qualname), []).append(_Def(m, d))
            self._derived = table
        return list(self._derived.get((cls.module.path, cls.definition.qualname), []))

    def _repo_bases(self, cls: _Def, depth: int = 0) -> list[_Def]:
        found: list[_Def] = []
        for base in cls.definition.bases:
            target = self._chain(base.split("."), cls.module, MODULE_SCOPE, None, depth + 1)
            if isinstance(target, _Def) and target.definition.kind == "class" and depth < 8:
                found += [target, *self._repo_bases(target, depth + 1)]
        return found

    def _registrations_named(self, name: str) -> list[tuple[ModuleIndex, Registration]]:
        """Registrations whose container's last name is *name* (``HANDLERS``, ``registry.HANDLERS``)."""
        if self._registrations is None:
            table: dict[str, list[tuple[ModuleIndex, Registration]]] = {}
            for m in self.index.modules.values():
                for registration in m.registrations:
                    table.setdefault(registration.container.rsplit(".", 1)[-1], []).append((m, registration))
            self._registrations = table
        return self._registrations.get(name, [])

    def _decorated_by(self, module: ModuleIndex, scope: str) -> list[_Target]:
        """Definitions decorated with the function running at *scope* or one enclosing it (``@register("x")``)."""
        parts = scope.split(".")
        functions = {
            ".".join(parts[:n])
            for n in range(1, len(parts) + 1)
            if (d := module.definitions_by_name.get(".".join(parts[:n]))) is not None and d.kind in ("function", "method")
        }
        if self._decorated is None:
            table: dict[str, list[tuple[ModuleIndex, Definition, str]]] = {}
            for m in self.index.modules.values():
                for d in m.definitions:
                    for decorator in d.decorators:
                        head = decorator.split("(", 1)[0]
                        table.setdefault(head.rsplit(".", 1)[-1], []).append((m, d, head))
            self._decorated = table
        found: list[_Target] = []
        for name in {f.rsplit(".", 1)[-1] for f in functions}:
            for m, definition, head in self._decorated.get(name, []):
                outer = definition.qualname.rsplit(".", 1)[0] if "." in definition.qualname else MODULE_SCOPE
                target = self._chain(head.split("."), m, outer, definition.line)
                if isinstance(target, _Def) and target.module is module and target.definition.qualname in functions:
                    found.append(_Def(m, definition))
        return found

    def _passed_to(self, module: ModuleIndex, scope: str, parameter: str) -> list[_Target]:
        """What calls of the function at *scope* pass for *parameter* (``add_command("ls", list_files)``)."""
        definition = module.definitions_by_name.get(scope)
        node = _function_node(module, definition) if definition is not None else None
        if definition is None or node is None:
            return []
        positional = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
        if definition.kind == "method" and positional:
            positional = positional[1:]
        position = positional.index(parameter) if parameter in positional else None
        found: list[_Target] = []
        for m, call in self._calls_named(definition.name):
            callee = self._chain(call.callee.split("."), m, call.scope, call.line)
            if not (isinstance(callee, _Def) and callee.module is module and callee.definition.qualname == scope):
                continue
            for site in self._calls_at(m, call.line, call.callee):
                given = [k.value for k in site.keywords if k.arg == parameter]
                if position is not None and position < len(site.args):
                    given.append(site.args[position])
                for value in given:
                    text = dotted(value)
                    target = self._chain(text.split("."), m, call.scope, call.line) if text else None
                    if target is not None:
                        found.append(target)
        return found

    def _calls_named(self, name: str) -> list[tuple[ModuleIndex, CallSite]]:
        """Calls whose callee's last name is *name*, in module and call order (memoised per name).

        Only the modules that call something of that name are read: ``called_names`` is a set
        each module has already (the detectors ask it), where searching every source for the
        name read the whole repository's text once per name.
        """
        if name not in self._calls_by_name:
            self._calls_by_name[name] = [
                (m, call)
                for m in self.index.modules.values()
                if name in m.called_names
                for call in m.calls
                if call.callee.rpartition(".")[2] == name
            ]
        return self._calls_by_name[name]

    def _calls_at(self, module: ModuleIndex, line: int, callee: str) -> list[ast.Call]:
        """The calls of *callee* (as the index writes it) on *line* of *module*; one walk per module."""
        if module.path not in self._call_nodes:
            by_line: dict[int, list[ast.Call]] = {}
            for node in ast.walk(module.tree):
                if isinstance(node, ast.Call):
                    by_line.setdefault(node.lineno, []).append(node)
            self._call_nodes[module.path] = by_line
        return [n for n in self._call_nodes[module.path].get(line, []) if expression_text(n.func) == callee]

    def _namespace_targets(
        self, module: ModuleIndex, scope: str, line: int | None, base: str | None,
        receiver: tuple[str, str] | None, pattern: KeyPattern,
    ) -> list[tuple[_Target, bool]]:
        """``getattr(base, name)``: the functions of a module, the methods of a class or instance."""
        if base is None:
            return []
        if base in ("self", "cls"):
            owner = self._receiver_class(module, line, receiver)
            return [(m, True) for m in self._methods(owner) if pattern.matches(_short(m))] if owner else []
        target = self._chain(base.split("."), module, scope, line)
        if isinstance(target, _Module):
            return [(t, False) for t in self._top_level(target.module) if pattern.matches(_short(t))]
        if isinstance(target, _Def) and target.definition.kind == "class":
            return [(m, False) for m in self._methods(target) if pattern.matches(_short(m))]
        instance = self._as_instance(target, 0) if target is not None else None
        if instance is not None and isinstance(instance.cls, _Def):
            return [(m, True) for m in self._methods(instance.cls) if pattern.matches(_short(m))]
        return []

    def _receiver_class(self, module: ModuleIndex, line: int | None, receiver: tuple[str, str] | None) -> _Def | None:
        if receiver is not None:
            other = self.index.modules.get(receiver[0])
            definition = other.definitions_by_name.get(receiver[1]) if other is not None else None
            if other is not None and definition is not None:
                return _Def(other, definition)
        owner = enclosing_class(module, line) if line is not None else None
        return _Def(module, owner) if owner is not None else None

    def _methods(self, cls: _Def, depth: int = 0) -> list[_Def]:
        """Methods of *cls* and of its repository bases (an override hides the base's method)."""
        prefix = cls.definition.qualname + "."
        own = [
            _Def(cls.module, d)
            for d in cls.module.definitions
            if d.kind == "method" and d.qualname.startswith(prefix) and "." not in d.qualname[len(prefix) :]
        ]
        names = {m.definition.name for m in own}
        if depth < 8:
            for base in self._repo_bases(cls, 7):
                own += [m for m in self._methods(base, 8) if m.definition.name not in names]
                names |= {m.definition.name for m in own}
        return own

    def _top_level(self, module: ModuleIndex) -> list[_Target]:
        return [_Def(module, d) for d in module.definitions if d.kind in ("function", "class") and "." not in d.qualname]

    def _globals(self, module: ModuleIndex) -> list[_Target]:
        """``globals()``: the module's functions and classes, and those it imports from the repository."""
        found = self._top_level(module)
        for record in module.imports:
            if record.scope == MODULE_SCOPE and record.name not in (None, "*"):
                target = self._import_target(record, 1, module.module)
                if isinstance(target, _Def) and target.definition.kind in ("function", "class"):
                    found.append(target)
        return found

    def _modules_matching(self, pattern: KeyPattern) -> list[ModuleIndex]:
        """``import_module("plugins." + name)``: repository modules whose name fits the fixed text (memoised)."""
        if pattern not in self._matching:
            self._matching[pattern] = modules_matching(self.index.modules.values(), pattern)
        return self._matching[pattern]

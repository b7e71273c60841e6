"""A definition parsed from its own lines is the node the whole module's parse gives, field for field."""

from __future__ import annotations

import ast

import pytest

from vulnhuntr.repo.index import ModuleIndex, RepoIndex, _index_text
from vulnhuntr.repo.resolve import Resolver
from vulnhuntr.static import segments
from vulnhuntr.static.lookup import Lookup, _definitions

SOURCE = '''import functools

def plain(x):
    return x

@functools.lru_cache(maxsize=None)
@staticmethod
async def decorated(a, *, b=(1,
2)):
    """A docstring
with a line at column 0."""
    await a

class Store:
    limit = 3

    @property
    def name(self):
        return "n"

    @name.setter
    def name(self, value):
        self._name = value

    def read(self, path):  # a comment
        def inner():
            return path
        return inner(); x = 1

    class Nested: pass

if True:
\tdef tabbed():
\t\treturn 1
def one_liner(): return 2
'''


def _module(text: str) -> ModuleIndex:
    module = _index_text("m.py", "0", text)
    assert isinstance(module, ModuleIndex)
    return module


def _dropped(text: str) -> ModuleIndex:
    module = _module(text)
    del module.__dict__["tree"]  # as mapping leaves a module no detector walks
    return module


@pytest.mark.parametrize("text", [SOURCE, SOURCE.replace("\n", "\r\n")])
def test_every_single_definition_parses_alone_to_the_same_node(text: str) -> None:
    module = _module(text)
    whole = _definitions(module.tree)
    by_name = segments.definitions_by_name(module)
    assert set(by_name) == set(whole)
    lines = module.source.split("\n")
    for qualname, named in by_name.items():
        node = segments.parse_definition(module, lines, named[0])
        if qualname == "Store.name":
            assert len(named) == 2  # defined twice: the lookup leaves it to the whole tree
            continue
        assert node is not None, qualname
        assert ast.dump(node, include_attributes=True) == ast.dump(whole[qualname], include_attributes=True)


def test_lookup_parses_only_the_definitions_asked_for_when_the_tree_was_dropped() -> None:
    module = _dropped(SOURCE)
    lookup = Lookup(RepoIndex(root=None, modules={"m.py": module}), Resolver(RepoIndex(root=None, modules={})))  # type: ignore[arg-type]
    read = lookup.function_def("m.py", "Store.read")
    assert read is not None and read.lineno == 25 and lookup.function_def("m.py", "Store.read") is read
    assert lookup.function_node("m.py", "missing") is None
    assert not segments.tree_held(module)  # no whole parse so far
    name = lookup.function_def("m.py", "Store.name")  # defined twice: the first, from the whole tree
    assert name is not None and name.lineno == 18 and segments.tree_held(module)


@pytest.mark.parametrize("text", ["x = 1\r\ndef f():\r    return 1\n", "from __future__ import barry_as_FLUFL\n"])
def test_sources_whose_lines_may_not_split_alike_are_not_segmented(text: str) -> None:
    assert not segments.segmentable(_module(text))


MODEL = '''class Base:
    pass

class Note(Base):
    """A note."""
    owner = ForeignKey(User)
    title: str = "t"

    def save(self):
        return 1

    if DEBUG:
        def debug(self):
            pass
        label = "x"

    class Meta:
        ordering = ["title"]
'''


def test_a_class_for_the_field_rules_is_parsed_without_its_members() -> None:
    module = _dropped(MODEL)
    lookup = Lookup(RepoIndex(root=None, modules={"m.py": module}), Resolver(RepoIndex(root=None, modules={})))  # type: ignore[arg-type]
    fields = lookup.class_fields("m.py", "Note")
    whole = _definitions(_module(MODEL).tree)["Note"]
    assert isinstance(fields, ast.ClassDef) and isinstance(whole, ast.ClassDef)
    kept = (ast.Assign, ast.AnnAssign, ast.Expr)
    assert [ast.dump(s, include_attributes=True) for s in fields.body if isinstance(s, kept)] == [
        ast.dump(s, include_attributes=True) for s in whole.body if isinstance(s, kept)
    ]
    assert ast.dump(fields.bases[0], include_attributes=True) == ast.dump(whole.bases[0], include_attributes=True)
    assert not any(isinstance(s, (ast.FunctionDef, ast.ClassDef)) for s in fields.body)
    assert lookup.function_node("m.py", "Note") is not fields  # other rules get the whole class

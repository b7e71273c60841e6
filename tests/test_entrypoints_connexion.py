"""connexion API operations: specs found from the code, read safely, operation ids mapped to functions."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import pytest

from vulnhuntr.repo.entrypoints import EntryPoint, find_entry_points
from vulnhuntr.repo.frameworks.specs import SpecError, inside_root, parse_text
from vulnhuntr.repo.index import build_index
from vulnhuntr.repo.resolve import Resolver
from vulnhuntr.repo.skipped import SkippedFile

from conftest import write_tree

Scan = Callable[[dict[str, str]], tuple[list[EntryPoint], list[SkippedFile]]]


@pytest.fixture
def scan(tmp_path: Path) -> Scan:
    """Entry points and skipped files of a repository holding Python files and spec files."""

    def run(files: dict[str, str]) -> tuple[list[EntryPoint], list[SkippedFile]]:
        write_tree(tmp_path, files)
        index = build_index(tmp_path, sorted(f for f in files if f.endswith(".py")))
        skipped: list[SkippedFile] = []
        return find_entry_points(index, Resolver(index), skipped), skipped

    return run


def operations(found: list[EntryPoint]) -> set[tuple[str, str, str | None, tuple[str, ...]]]:
    assert all(e.kind == "api-operation" and e.framework == "connexion" for e in found)
    return {(e.file, e.function, e.route, e.methods) for e in found}


HANDLERS = {
    "api/__init__.py": "",
    "api/users.py": """
        def get_user(user_id):
            return {}

        def search(q=None):
            return []

        def create(body):
            return body
        """,
}

OPENAPI = """
openapi: 3.0.3
info: {title: users, version: "1"}
servers:
  - url: https://example.com/v1
paths:
  /users/{user_id}:
    get:
      operationId: api.users.get_user
      parameters:
        - {name: user_id, in: path, required: true, schema: {type: string}}
  /users:
    x-openapi-router-controller: api.users
    get:
      operationId: search
    post:
      operationId: create
      requestBody: {content: {application/json: {schema: {type: object}}}}
  /gone:
    get:
      operationId: api.users.missing
"""


def test_operations_from_the_spec_dir_of_a_flask_app(scan) -> None:
    files = {
        **HANDLERS,
        "app.py": """
            import connexion

            app = connexion.FlaskApp(__name__, specification_dir="spec/")
            app.add_api("openapi.yaml")
            """,
        "spec/openapi.yaml": OPENAPI,
    }
    found, skipped = scan(files)
    assert operations(found) == {
        ("api/users.py", "get_user", "/v1/users/{user_id}", ("GET",)),
        ("api/users.py", "search", "/v1/users", ("GET",)),
        ("api/users.py", "create", "/v1/users", ("POST",)),
    }
    assert skipped == []
    assert next(e for e in found if e.function == "create").line == 7


def test_swagger2_base_path_controller_and_path_expressions(scan) -> None:
    files = {
        **HANDLERS,
        "server/__init__.py": """
            from pathlib import Path
            from connexion import App

            SPECS = Path(__file__).parent.parent / "contracts"
            application = App(__name__, specification_dir=SPECS)
            application.add_api("swagger.json", base_path="/api")
            """,
        "contracts/swagger.json": """
            {"swagger": "2.0", "basePath": "/ignored",
             "paths": {"/users/{user_id}": {"get": {"operationId": "get_user",
                                                     "x-swagger-router-controller": "api.users"}}}}
            """,
    }
    found, skipped = scan(files)
    assert operations(found) == {("api/users.py", "get_user", "/api/users/{user_id}", ("GET",))}
    assert skipped == []


def test_os_path_join_spec_and_resty_resolver(scan) -> None:
    files = {
        "api/__init__.py": "",
        "api/pets.py": """
            def search(limit=10):
                return []

            def post(body):
                return body

            def get(pet_id):
                return pet_id
            """,
        "api/pet_tags.py": """
            def search():
                return []
            """,
        "main.py": """
            import os
            import connexion
            from connexion.resolver import RestyResolver

            here = os.path.dirname(os.path.abspath(__file__))
            app = connexion.AsyncApp(__name__)
            app.add_api(os.path.join(here, "openapi", "pets.yaml"), resolver=RestyResolver("api"))
            """,
        "openapi/pets.yaml": """
            openapi: 3.1.0
            paths:
              /pets:
                get: {}
                post: {}
              /pets/{pet_id}:
                get: {}
              /pet-tags:
                get: {}
            """,
    }
    found, _ = scan(files)
    assert operations(found) == {
        ("api/pets.py", "search", "/pets", ("GET",)),
        ("api/pets.py", "post", "/pets", ("POST",)),
        ("api/pets.py", "get", "/pets/{pet_id}", ("GET",)),
        ("api/pet_tags.py", "search", "/pet-tags", ("GET",)),
    }


def test_method_view_resolver_names_methods_of_a_class_per_resource(scan) -> None:
    files = {
        "api/__init__.py": """
            from flask.views import MethodView

            class PetsView(MethodView):
                def search(self):
                    return []

                def get(self, pet_id):
                    return pet_id
            """,
        "main.py": """
            import connexion
            from connexion.resolver import MethodViewResolver

            app = connexion.FlaskApp(__name__)
            app.add_api("pets.yaml", resolver=MethodViewResolver("api"))
            """,
        "pets.yaml": "openapi: 3.0.0\npaths:\n  /pets:\n    get: {}\n  /pets/{pet_id}:\n    get: {}\n",
    }
    found, _ = scan(files)
    assert {(e.function, e.route, e.kind) for e in found} == {
        ("PetsView.search", "/pets", "api-operation"),
        ("PetsView.get", "/pets/{pet_id}", "api-operation"),
    }


def test_path_items_referenced_from_other_files(scan) -> None:
    files = {
        **HANDLERS,
        "app.py": """
            import connexion
            app = connexion.FlaskApp(__name__, specification_dir="spec")
            app.add_api("main.yaml")
            """,
        "spec/main.yaml": """
            openapi: 3.0.0
            paths:
              /users/{user_id}:
                $ref: "paths/users.yaml#/one"
              /users:
                $ref: "#/x-paths/many"
              /elsewhere:
                $ref: "../../outside.yaml"
            x-paths:
              many:
                get:
                  operationId: api.users.search
            """,
        "spec/paths/users.yaml": """
            one:
              get:
                operationId: api.users.get_user
            """,
    }
    found, skipped = scan(files)
    assert {(e.function, e.route) for e in found} == {("get_user", "/users/{user_id}"), ("search", "/users")}
    assert skipped == []


def test_relative_resolver_and_a_src_layout(scan) -> None:
    files = {
        "src/shop/__init__.py": "",
        "src/shop/orders.py": """
            from .impl import list_orders
            """,
        "src/shop/impl.py": """
            def list_orders(status=None):
                return []
            """,
        "src/shop/app.py": """
            import connexion
            from connexion.resolver import RelativeResolver

            app = connexion.App(__name__)
            app.add_api("orders.yaml", resolver=RelativeResolver("shop.orders"))
            """,
        "src/shop/orders.yaml": """
            openapi: 3.0.0
            paths:
              /orders:
                get:
                  operationId: list_orders
            """,
    }
    found, _ = scan(files)
    assert operations(found) == {("src/shop/impl.py", "list_orders", "/orders", ("GET",))}


def test_spec_found_by_name_elsewhere_and_without_add_api(scan) -> None:
    files = {
        **HANDLERS,
        "run.py": """
            import connexion
            app = connexion.App(__name__, specification_dir="/srv/app/specs")
            app.add_api("users.yaml")
            """,
        "deploy/users.yaml": OPENAPI,
    }
    found, _ = scan(files)
    assert {e.function for e in found} == {"get_user", "search", "create"}

    files = {
        **HANDLERS,
        "run.py": """
            import connexion
            from config import SPEC
            app = connexion.App(__name__)
            app.add_api(SPEC)
            """,
        "config.py": "SPEC = load()\n",
        "openapi/users.yml": OPENAPI,
        "openapi/not_a_spec.yaml": "name: something else\n",
    }
    found, skipped = scan(files)
    assert {e.function for e in found} == {"get_user", "search", "create"}
    assert skipped == []


def test_malformed_and_foreign_specs_are_skipped_with_a_reason(scan) -> None:
    files = {
        **HANDLERS,
        "app.py": """
            import connexion
            app = connexion.FlaskApp(__name__)
            app.add_api("broken.yaml")
            app.add_api("list.yaml")
            app.add_api("nothing.yaml")
            app.add_api("absent.yaml")
            """,
        "broken.yaml": "openapi: 3.0.0\npaths: [unclosed\n",
        "list.yaml": "- a\n- b\n",
        "nothing.yaml": "openapi: 3.0.0\npaths:\n  /x:\n    get:\n      operationId: nowhere.to_be.found\n",
    }
    found, skipped = scan(files)
    assert found == []
    reasons = {s.path: s.reason for s in skipped}
    assert reasons["broken.yaml"].startswith("malformed spec:")
    assert reasons["list.yaml"].startswith("not an OpenAPI or Swagger spec")
    assert reasons["nothing.yaml"] == "none of its 1 operations names a function of the repository"
    assert reasons["absent.yaml"] == "OpenAPI spec named in app.py not found in the repository"


def test_specs_outside_the_root_are_refused(scan, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "evil.yaml").write_text(OPENAPI)
    files = {
        **HANDLERS,
        "app.py": """
            import connexion
            app = connexion.FlaskApp(__name__, specification_dir="../%s")
            app.add_api("evil.yaml")
            app.add_api("linked.yaml")
            """
        % outside.name,
    }
    write_tree(tmp_path, files)
    os.symlink(outside / "evil.yaml", tmp_path / "linked.yaml")
    found, skipped = scan(files)
    assert found == []
    assert {s.path: s.reason for s in skipped} == {
        "evil.yaml": "OpenAPI spec named in app.py not found in the repository",
        "linked.yaml": "OpenAPI spec named in app.py not found in the repository",
    }


def test_paths_and_spec_text_are_checked() -> None:
    assert inside_root("a/../b/spec.yaml") == "b/spec.yaml"
    assert inside_root("../spec.yaml") is None
    assert inside_root("/etc/spec.yaml") is None
    assert parse_text('openapi: "{{ version }}"\ntitle: {{ title }}\n') == {"openapi": "x", "title": "x"}
    with pytest.raises(SpecError):
        parse_text('{"openapi": ', json_only=True)
    with pytest.raises(SpecError):
        parse_text("a: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(SpecError, match="nested too deeply"):
        parse_text("[" * 100_000, json_only=True)


def test_list_entrypoints_shows_the_kind_and_skipped_specs(tmp_path: Path, capsys, monkeypatch) -> None:
    from vulnhuntr.cli import main

    write_tree(
        tmp_path,
        {
            **HANDLERS,
            "app.py": """
                import connexion
                from flask import request
                app = connexion.FlaskApp(__name__)
                app.add_api("openapi.yaml")
                app.add_api("broken.yaml")

                @app.app.before_request
                def check():
                    return request.args.get("x")
                """,
            "openapi.yaml": OPENAPI,
            "broken.yaml": "openapi: [\n",
        },
    )
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["-r", str(tmp_path), "--list-entrypoints", "--format", "json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert {(e["function"], e["kind"]) for e in listing["entry_points"]} == {
        ("get_user", "api-operation"),
        ("search", "api-operation"),
        ("create", "api-operation"),
        ("check", "hook"),
    }
    assert {"path": "broken.yaml", "reason": listing["skipped"][0]["reason"]} in listing["skipped"]
    assert listing["skipped"][0]["reason"].startswith("malformed spec:")

    assert main(["-r", str(tmp_path), "--list-entrypoints"]) == 0
    out, err = capsys.readouterr()
    header = next(text for text in out.splitlines() if "framework" in text)
    assert [c.strip() for c in header.strip("┃ ").split("┃")][3:5] == ["framework", "kind"]
    assert "api-operation" in out and "skipped broken.yaml: malformed spec" in err

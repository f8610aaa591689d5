"""import openapi: an OpenAPI mapping in, a capability mapping (and its warnings) out. No files."""

from __future__ import annotations

from typing import Any

import pytest
from naftiko_lambda.cli.importer import Document, ImportOptions, OpenApiError, import_document, render
from naftiko_lambda.cli.importer.names import kebab, namespace_of, operation_name

TODAY = "2026-05-19"


def doc(paths: dict[str, Any], **top: Any) -> Document:
    root = {"openapi": "3.0.3", "info": {"title": "Pet Store API", "version": "1"}, "paths": paths}
    root.setdefault("servers", [{"url": "https://api.example.com/v1"}])
    root.update(top)
    return Document("pets.yaml", str(root["openapi"]), {"": root})


def one(paths: dict[str, Any], **top: Any) -> tuple[dict[str, Any], list[str]]:
    (file,) = import_document(doc(paths, **top), ImportOptions(today=TODAY))
    return dict(file.mapping), [str(i) for i in file.issues]


def consumed(mapping: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for r in mapping["capability"]["consumes"][0]["resources"] for op in r["operations"]]


def tools(mapping: dict[str, Any]) -> list[dict[str, Any]]:
    return mapping["capability"]["exposes"][-1]["tools"]


GET_PET = {
    "/pets/{petId}": {
        "parameters": [{"name": "petId", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "get": {
            "operationId": "getPetById",
            "summary": "Get a pet",
            "parameters": [
                {"name": "view", "in": "query", "schema": {"type": "string", "enum": ["full", "short"]}},
                {"name": "X-Trace", "in": "header", "description": "Trace id", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "integer"},
                                    "born": {"type": "string", "format": "date"},
                                    "owner": {"type": "object"},
                                },
                            }
                        }
                    },
                }
            },
        },
    }
}


def test_an_operation_becomes_a_consumed_operation_a_rest_operation_and_a_tool() -> None:
    mapping, issues = one(GET_PET)
    assert issues == []
    assert mapping["info"] == {
        "label": "Pet Store API",
        "description": "Pet Store API",
        "created": TODAY,
        "modified": TODAY,
    }
    consumes = mapping["capability"]["consumes"][0]
    assert (consumes["namespace"], consumes["baseUri"]) == ("pet-store", "https://api.example.com/v1")
    assert consumes["resources"][0]["path"] == "/pets/{{petId}}"
    assert consumed(mapping) == [
        {
            "name": "get-pet-by-id",
            "method": "GET",
            "description": "Get a pet",
            "inputParameters": [
                {
                    "name": "petId",
                    "in": "path",
                    "type": "integer",
                    "required": True,
                    "description": "Path parameter petId.",
                },
                {"name": "view", "in": "query", "type": "string", "description": "Query parameter view."},
                {"name": "X-Trace", "in": "header", "type": "string", "description": "Trace id"},
            ],
            "outputRawFormat": "json",
        }
    ]
    output = {
        "type": "object",
        "mapping": "$.",
        "properties": {
            "id": {"type": "number", "mapping": "$.id"},
            "born": {"type": "string", "mapping": "$.born"},
            "owner": {"type": "object", "mapping": "$.owner"},
        },
    }
    rest = mapping["capability"]["exposes"][0]
    assert rest["resources"][0]["path"] == "/pets/{petId}"
    assert rest["resources"][0]["operations"] == [
        {
            "method": "GET",
            "name": "get-pet-by-id",
            "label": "Get a pet",
            "description": "Get a pet",
            "call": "pet-store.get-pet-by-id",
            "with": {"petId": "rest.petId", "view": "rest.view", "X-Trace": "rest.X-Trace"},
            "outputParameters": [output],
        }
    ]
    (tool,) = tools(mapping)
    assert tool["hints"] == {"readOnly": True, "destructive": False, "idempotent": True, "openWorld": True}
    assert tool["inputParameters"] == [
        {"name": "petId", "type": "integer", "description": "Path parameter petId.", "required": True},
        {
            "name": "view",
            "type": "string",
            "description": "Query parameter view.",
            "required": False,
            "enum": ["full", "short"],
        },
        {"name": "X-Trace", "type": "string", "description": "Trace id", "required": False},
    ]
    assert tool["outputParameters"] == [output]


@pytest.mark.parametrize(
    ("method", "hints"),
    [
        ("put", (False, False, True)),
        ("delete", (False, True, True)),
        ("post", (False, False, False)),
        ("patch", (False, False, False)),
    ],
)
def test_hints_follow_the_method(method: str, hints: tuple[bool, bool, bool]) -> None:
    mapping, _ = one({"/a": {method: {"responses": {"204": {"description": "done"}}}}})
    (tool,) = tools(mapping)
    assert (tool["hints"]["readOnly"], tool["hints"]["destructive"], tool["hints"]["idempotent"]) == hints
    assert tool["name"] == f"{method}-a"


def body_op(content: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"/pets": {"post": {"operationId": "addPet", "requestBody": {"required": required, "content": content}}}}


PET = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "id": {"type": "integer", "readOnly": True},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}


def test_a_json_object_body_becomes_body_fields_and_read_only_properties_are_not_sent() -> None:
    mapping, _ = one(body_op({"application/json": {"schema": PET}}))
    assert [
        (p["name"], p["in"], p["type"], p.get("required", False)) for p in consumed(mapping)[0]["inputParameters"]
    ] == [
        ("name", "body", "string", True),
        ("tags", "body", "array", False),
    ]
    assert tools(mapping)[0]["inputParameters"][1]["items"] == {"type": "string"}


def test_an_optional_body_makes_no_field_required() -> None:
    mapping, _ = one(body_op({"application/json": {"schema": PET}}, required=False))
    assert not any(p.get("required") for p in consumed(mapping)[0]["inputParameters"])


def test_a_body_that_is_not_an_object_with_properties_travels_whole() -> None:
    mapping, _ = one(body_op({"application/json": {"schema": {"type": "array", "items": PET}}}))
    assert consumed(mapping)[0]["inputParameters"] == [
        {"name": "body", "in": "body", "type": "array", "required": True, "description": "Request body (JSON)."}
    ]


def test_a_form_body_is_sent_through_a_form_template() -> None:
    mapping, _ = one(body_op({"application/x-www-form-urlencoded": {"schema": PET}}))
    assert consumed(mapping)[0]["body"] == {"type": "formUrlEncoded", "data": {"name": "{{name}}", "tags": "{{tags}}"}}


def test_a_required_multipart_body_leaves_the_operation_out_with_a_warning() -> None:
    paths = {**body_op({"multipart/form-data": {"schema": PET}}), "/other": {"get": {"responses": {}}}}
    mapping, issues = one(paths)
    assert [op["name"] for op in consumed(mapping)] == ["get-other"]
    assert issues == [
        "/paths/~1pets/post/requestBody/content: request body media types ['multipart/form-data'] are not supported"
        " (JSON and forms are), and the body is required: operation not imported"
    ]


def test_all_of_is_merged_and_a_cycle_through_it_is_cut_at_a_named_pointer() -> None:
    schemas = {
        "A": {"allOf": [{"$ref": "#/components/schemas/B"}, {"properties": {"a": {"type": "string"}}}]},
        "B": {"allOf": [{"$ref": "#/components/schemas/A"}], "properties": {"b": {"type": "boolean"}}},
    }
    paths = {
        "/x": {
            "get": {
                "responses": {
                    "200": {
                        "description": "",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}},
                    }
                }
            }
        }
    }
    mapping, issues = one(paths, components={"schemas": schemas})
    assert set(tools(mapping)[0]["outputParameters"][0]["properties"]) == {"a", "b"}
    assert issues == ["/components/schemas/A/allOf: allOf nested deeper than 8 levels (a cycle): not merged below"]


def test_an_array_of_objects_is_typed_per_item_and_other_results_pass_through() -> None:
    items = {"type": "array", "items": {"type": "object", "properties": {"id": {"type": ["string", "null"]}}}}
    paths = {
        "/list": {
            "get": {"responses": {"200": {"description": "", "content": {"application/json": {"schema": items}}}}}
        },
        "/count": {
            "get": {
                "responses": {
                    "200": {"description": "", "content": {"application/json": {"schema": {"type": "integer"}}}}
                }
            }
        },
        "/csv": {"get": {"responses": {"200": {"description": "", "content": {"text/csv": {}}}}}},
    }
    mapping, _ = one(paths, openapi="3.1.0")
    outputs = [t["outputParameters"][0] for t in tools(mapping)]
    assert outputs == [
        {
            "type": "array",
            "mapping": "$.",
            "items": {"type": "object", "properties": {"id": {"type": "string", "mapping": "$.id"}}},
        },
        {"type": "object", "mapping": "$."},
        {"type": "object", "mapping": "$."},
    ]
    assert [op["outputRawFormat"] for op in consumed(mapping)] == ["json", "json", "csv"]


SCHEMES = {
    "bearer": ({"type": "http", "scheme": "bearer"}, {"type": "bearer", "token": "{{PET_STORE_TOKEN}}"}),
    "basic": (
        {"type": "http", "scheme": "basic"},
        {"type": "basic", "username": "{{PET_STORE_USERNAME}}", "password": "{{PET_STORE_PASSWORD}}"},
    ),
    "key": (
        {"type": "apiKey", "in": "query", "name": "api_key"},
        {"type": "apikey", "key": "api_key", "value": "{{PET_STORE_API_KEY}}", "placement": "query"},
    ),
    "veracode": (
        {"type": "http", "scheme": "VERACODE-HMAC-SHA-256"},
        {"type": "hmac", "apiId": "{{PET_STORE_API_ID}}", "apiKey": "{{PET_STORE_API_KEY}}"},
    ),
}


def test_an_http_oauth_scheme_is_mastercard_oauth1_with_a_note_on_its_binds() -> None:
    components = {"securitySchemes": {"mc": {"type": "http", "scheme": "OAuth"}}}
    mapping, issues = one({"/a": {"get": {}}}, components=components, security=[{"mc": []}])
    assert mapping["capability"]["consumes"][0]["authentication"] == {
        "type": "oauth1",
        "consumerKey": "{{PET_STORE_CONSUMER_KEY}}",
        "signingKey": "{{PET_STORE_SIGNING_KEY}}",
    }
    assert issues == [
        "/components/securitySchemes/mc: http scheme 'OAuth' is imported as Mastercard OAuth 1.0a (RSA-SHA256):"
        " bind PET_STORE_CONSUMER_KEY and PET_STORE_SIGNING_KEY (a PEM private key)"
    ]


def test_an_http_scheme_naming_no_known_signature_is_not_guessed() -> None:
    components = {"securitySchemes": {"sig": {"type": "http", "scheme": "Signature"}}}
    mapping, issues = one({"/a": {"get": {}}}, components=components, security=[{"sig": []}])
    assert "authentication" not in mapping["capability"]["consumes"][0]
    assert issues[0] == (
        "/components/securitySchemes/sig: http scheme 'signature' is not supported"
        " (bearer, basic, digest, OAuth, VERACODE-HMAC-SHA-256): not imported"
    )


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_security_schemes_become_authentication_with_bound_variables(name: str) -> None:
    scheme, block = SCHEMES[name]
    mapping, issues = one({"/a": {"get": {}}}, components={"securitySchemes": {name: scheme}}, security=[{name: []}])
    assert mapping["capability"]["consumes"][0]["authentication"] == block
    variables = [v[2:-2] for v in block.values() if v.startswith("{{")]
    assert mapping["binds"] == [{"namespace": "env", "keys": {v: v for v in variables}}]
    assert issues == []


def test_oauth2_client_credentials_is_a_bound_bearer_token_with_a_note_on_its_source() -> None:
    flows = {"clientCredentials": {"tokenUrl": "https://auth.example.com/token", "scopes": {}}}
    components = {"securitySchemes": {"oauth": {"type": "oauth2", "flows": flows}}}
    mapping, issues = one({"/a": {"get": {"security": [{"oauth": []}]}}}, components=components)
    assert mapping["capability"]["consumes"][0]["authentication"] == {"type": "bearer", "token": "{{PET_STORE_TOKEN}}"}
    assert issues == [
        "/components/securitySchemes/oauth: oauth2 is imported as a bearer token: bind PET_STORE_TOKEN to an access"
        " token from https://auth.example.com/token (client credentials); the runtime does not fetch or refresh it"
    ]


def test_an_operation_needing_a_scheme_the_capability_cannot_carry_is_warned() -> None:
    components = {"securitySchemes": {"cookie": {"type": "apiKey", "in": "cookie", "name": "sid"}}}
    mapping, issues = one({"/a": {"get": {"security": [{"cookie": []}]}}}, components=components)
    assert "authentication" not in mapping["capability"]["consumes"][0]
    assert issues == [
        "/components/securitySchemes/cookie: apiKey in 'cookie' is not supported (header, query): not imported",
        "/paths/~1a/get: requires cookie, which the capability does not carry: it sends no authentication",
    ]


def test_server_variables_take_their_defaults() -> None:
    servers = [
        {"url": "https://{region}.example.com/{v}/", "variables": {"region": {"default": "eu"}, "v": {"default": "v2"}}}
    ]
    mapping, issues = one({"/a": {"get": {}}}, servers=servers)
    assert mapping["capability"]["consumes"][0]["baseUri"] == "https://eu.example.com/v2"
    assert issues == []


def test_a_relative_server_is_a_bound_base_url_and_a_warning() -> None:
    mapping, issues = one({"/a": {"get": {}}}, servers=[{"url": "/v1"}])
    assert mapping["capability"]["consumes"][0]["baseUri"] == "{{PET_STORE_BASE_URL}}/v1"
    assert mapping["binds"] == [{"namespace": "env", "keys": {"PET_STORE_BASE_URL": "PET_STORE_BASE_URL"}}]
    assert issues == [
        "/servers/0/url: server URL '/v1' is relative: the base URI starts with the bound variable PET_STORE_BASE_URL"
    ]


def test_split_by_tag_files_filters_and_stable_names() -> None:
    paths = {
        "/a": {
            "get": {"operationId": "same", "tags": ["Alpha"]},
            "post": {"operationId": "same", "tags": ["Beta", "Alpha"]},
        },
        "/b": {"get": {"tags": ["Beta"], "deprecated": True}, "delete": {}},
    }
    files = import_document(doc(paths), ImportOptions(split_by_tag=True, today=TODAY))
    assert [(f.stem, [t["name"] for t in tools(dict(f.mapping))]) for f in files] == [
        ("pet-store-alpha", ["same"]),
        ("pet-store-beta", ["same-2", "get-b"]),
        ("pet-store-default", ["delete-b"]),
    ]
    options = ImportOptions(split_by_tag=True, include_tags=("Alpha",), exclude_deprecated=True, today=TODAY)
    files = import_document(doc(paths), options)
    assert [(f.stem, [t["name"] for t in tools(dict(f.mapping))]) for f in files] == [
        ("pet-store-alpha", ["same", "same-2"])
    ]
    assert tools(dict(files[0].mapping))[0]["description"] == "GET /a"


def test_nothing_left_to_import_is_an_error_naming_paths() -> None:
    with pytest.raises(OpenApiError, match=r"^pets.yaml#/paths: no operation is left"):
        import_document(doc({"/a": {"get": {"tags": ["A"]}}}), ImportOptions(include_tags=("B",)))


def test_render_puts_warnings_on_top_and_writes_shared_mappings_in_full() -> None:
    shared = {"type": "string"}
    text = render({"a": shared, "b": shared, "c": "two\nlines"}, ["from x"], [])
    assert text == "# from x\na:\n  type: string\nb:\n  type: string\nc: |-\n  two\n  lines\n"
    mapping, _ = one(GET_PET)
    assert render(mapping, [], []) == render(mapping, [], [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ListBillableMetrics", "list-billable-metrics"),
        ("getUserIDs", "get-user-ids"),
        ("HTTPServer", "http-server"),
        ("get_v2", "get-v2"),
    ],
)
def test_kebab(text: str, expected: str) -> None:
    assert kebab(text) == expected


def test_default_names() -> None:
    assert namespace_of("Suger API") == "suger"
    assert operation_name("delete", "/widgets/{widgetId}") == "delete-widgets-widget-id"

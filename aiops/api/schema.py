"""OpenAPI: our token authentication (the docs page then offers 'Authorize' with a Bearer token
and marks every endpoint as needing one; drf-spectacular finds this extension by the
authentication class it targets, once the module is imported: AiopsConfig.ready), and the
postprocessing hooks SPECTACULAR_SETTINGS names."""

import re

from djangorestframework_camel_case.util import camelize_re, underscore_to_camel
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "aiops.api.auth.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer"
        )
        scheme["description"] = (
            "An API token of one membership (user and organization): issue_token or the admin."
        )
        return scheme


def _camelize(name: str) -> str:
    return re.sub(camelize_re, underscore_to_camel, name)


def camelize_query_parameters(result, generator, request, public):
    """Query parameters as clients send them: camelCase like the bodies (every list endpoint's
    filter backend and every query serializer read them so, and snake_case too)."""
    for operations in result["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    parameter["name"] = _camelize(parameter["name"])
    return result


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a code, a message, and the messages of each field at "
    "fault (camelCase names; a list of messages, or for nested input an object of them).",
    "properties": {
        "error": {"type": "string", "example": "invalid"},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {}},
    },
    "required": ["error", "message", "fields"],
}


def document_errors(result, generator, request, public):
    """Declare the one error format (aiops.api.errors) as every operation's 4XX response."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for operations in result["paths"].values():
        for operation in operations.values():
            operation["responses"].setdefault(
                "4XX",
                {
                    "description": "The request was refused: see `error` and `fields`.",
                    "content": {"application/json": {"schema": reference}},
                },
            )
    return result

"""OpenAPI for our token authentication: the docs page then offers 'Authorize' with a Bearer
token and marks every endpoint as needing one (drf-spectacular finds this extension by the
authentication class it targets, once the module is imported: AiopsConfig.ready)."""

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

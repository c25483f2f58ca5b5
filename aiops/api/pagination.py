from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """?limit=&offset=, PAGE_SIZE rows by default and at most `max_limit`: a larger limit is
    capped (the page says so in its `next` link), so no request reads a whole table."""

    max_limit = 500

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["description"] = (
                    f"Number of results to return per page (default {self.default_limit}, "
                    f"at most {self.max_limit}: a larger limit is capped)."
                )
        return parameters

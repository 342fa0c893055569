"""Request body parsing for every API view (DRF's DEFAULT_PARSER_CLASSES).

Every JSON body this API takes is an object. JSON that parses to anything else (`null`, an
array, a string, a number, a boolean) is refused here, once, as a 400 `validation_error` (what
serializers answered for arrays before), so no view, serializer or audit hook ever sees a
non-mapping `request.data` (a `null` body once crashed the sign-in callback's audit).
"""

from rest_framework import exceptions
from rest_framework.parsers import JSONParser

NOT_AN_OBJECT = "Send a JSON object ({…}), not null, an array, a string, a number or a boolean."


class JSONObjectParser(JSONParser):
    """DRF's JSON parser that accepts only a JSON object at the top level."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise exceptions.ValidationError({"non_field_errors": [NOT_AN_OBJECT]},
                                             code="not_an_object")
        return data

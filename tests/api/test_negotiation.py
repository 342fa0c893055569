"""The fast path of content negotiation (api.negotiation) answers as DRF's own would."""

import pytest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.negotiation import ContentNegotiation

ACCEPTS = [None, "*/*", "application/json", "application/json; indent=4", "application/*",
           "text/html, */*;q=0.8", "text/html"]


def request_with(accept, query=""):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    return Request(APIRequestFactory().get("/api/v1/me" + query, **headers))


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("renderers", [[JSONRenderer()], [JSONRenderer(), BrowsableAPIRenderer()]],
                         ids=["json only", "two renderers"])
@pytest.mark.parametrize("query", ["", "?format=json", "?format=api"])
def test_the_same_renderer_and_media_type_as_drf(accept, renderers, query):
    def outcome(negotiation):
        try:
            renderer, media_type = negotiation.select_renderer(request_with(accept, query),
                                                               renderers)
        except Exception as exc:  # the refusal (406, 404) is part of the answer compared
            return type(exc)
        return type(renderer), media_type

    assert outcome(ContentNegotiation()) == outcome(DefaultContentNegotiation())


@pytest.mark.django_db
def test_an_api_client_asking_for_html_is_refused_with_406(api_client):
    response = api_client.get("/api/v1/health", HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"

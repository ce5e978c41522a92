"""Property-based run of the API document against the running server (signed requests).

Positive and negative cases for every operation: no 5xx, status codes, content types,
headers and bodies as the document says. Bounded by max_examples to stay well under a minute.
"""

from __future__ import annotations

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kiosk.platform.embedded import EmbeddedPlatform
from kiosk.platform.openapi import DOCUMENT_PATH
from kiosk.platform.signing import sign_request

# A PDF body (POST /v1/verify/{code}) goes on the wire as raw bytes, like any binary upload.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")
schema = schemathesis.openapi.from_path(str(DOCUMENT_PATH))
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=25,
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


class HmacAuth(requests.auth.AuthBase):
    """Signs the prepared request exactly as it goes on the wire."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = sign_request(EmbeddedPlatform.terminal_secret, EmbeddedPlatform.terminal_id,
                               request.method or "GET", request.path_url, body)  # fmt: skip
        request.headers.update(headers)
        return request


@pytest.fixture(scope="module")
def session():
    with requests.Session() as s:
        s.auth = HmacAuth()
        yield s


@schema.parametrize()
@hypothesis.settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_conforms_to_document(case, platform, session):
    response = case.call(base_url=platform.base_url, session=session, timeout=10)
    case.validate_response(response, checks=CHECKS)

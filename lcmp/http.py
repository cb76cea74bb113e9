"""CMP over HTTP(S) (RFC 6712 / RFC 9811) with the standard library: one POST per message.

Transport failures (DNS, TCP, TLS, timeouts, HTTP status, wrong content type) are
`CmpTransportError`: the message may or may not have arrived, and the caller resends the same
protected bytes. What the answer *says* is for `lcmp.codec.decode` and is a `CmpError`.
"""

from __future__ import annotations

import functools
import http.client
import ssl
import urllib.parse
from collections.abc import Callable

from lcmp.errors import CmpTransportError

CONTENT_TYPE = "application/pkixcmp"
MAX_RESPONSE = 1024 * 1024  # a cp with a chain is a few KB; this only stops a runaway peer


def post(
    url: str,
    der: bytes,
    *,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 30.0,
    max_response: int = MAX_RESPONSE,
) -> bytes:
    """POST one DER PKIMessage to `url`; return the DER answer of an HTTP 200 application/pkixcmp.

    For https, `ssl_context` carries the client certificate (mTLS) and the trusted server CAs;
    without one the system defaults verify the server. Redirects are not followed.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    if ssl_context is not None and parts.scheme != "https":
        raise ValueError("an SSL context was given for a plain http URL")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl_context if ssl_context is not None else ssl.create_default_context()
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(
            "POST",
            path,
            body=der,
            headers={"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE, "Connection": "close"},
        )
        response = connection.getresponse()
        body = response.read(max_response + 1)
    except (OSError, http.client.HTTPException) as exc:  # ssl.SSLError and timeouts are OSErrors
        raise CmpTransportError(f"POST {url}: {type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
    content_type = response.headers.get_content_type()
    if response.status != http.client.OK:
        raise CmpTransportError(
            f"POST {url}: HTTP {response.status} {response.reason}", http_status=response.status
        )
    if content_type != CONTENT_TYPE:
        raise CmpTransportError(f"POST {url}: answer is {content_type}, not {CONTENT_TYPE}", http_status=200)
    if len(body) > max_response:
        raise CmpTransportError(f"POST {url}: answer larger than {max_response} bytes", http_status=200)
    if not body:
        raise CmpTransportError(f"POST {url}: empty answer", http_status=200)
    return body


def transport(
    url: str, *, ssl_context: ssl.SSLContext | None = None, timeout: float = 30.0
) -> Callable[[bytes], bytes]:
    """`post` bound to one server: the `Transport` a `CmpClient` takes."""
    return functools.partial(post, url, ssl_context=ssl_context, timeout=timeout)

"""Clients for a running TensorFlow Serving model server (REST and gRPC).

Both clients call the `serving_default` signature that `keras_attn.export` writes
(input `text`, outputs `translation`, `scores`, `source_tokens`, `target_tokens`,
`attention`) and return the same thing: a dict with `translation` (list of str),
`source_tokens` / `target_tokens` (lists of lists of str, padded with ""),
`scores` (float32 `[B]`) and `attention` (float32 `[B, Tt, Ts]`).

- `RestClient` uses only the standard library (`urllib`): `predict` posts to
  `/v1/models/<name>[/versions/<v>]:predict` in the row (`instances`) or columnar
  (`inputs`) format; `status` and `metadata` read `/v1/models/<name>[...]` and
  `.../metadata`.
- `GrpcClient` sends a `PredictRequest` through `PredictionService`
  (tensorflow-serving-api, which brings grpcio).

Every failure raises a `ServingError` subclass with the URL or address in a short
message (a server's own text is quoted up to `QUOTED_CHARACTERS`):
`ServerUnavailableError` (nothing listening, connection refused or dropped, the
deadline passed) and `ModelNotFoundError` (the server runs but does not serve that
model or version). `timeout` is a deadline over the whole call, answer included, and
an answer larger than `max_answer_bytes` is refused while it is read. Answers are
checked (the outputs present, one row per input, strings where strings belong).
This module is a leaf: it imports nothing else from keras_attn.
"""

import base64
import binascii
import http.client
import json
import socket
import time
import urllib.parse

import numpy as np

SIGNATURE_NAME = "serving_default"
INPUT_NAME = "text"
STRING_OUTPUTS = ("translation", "source_tokens", "target_tokens")
FLOAT_OUTPUTS = ("scores", "attention")
# An answer is read in chunks of this size, the deadline and the size cap checked between them.
READ_CHUNK_BYTES = 64 * 1024
DEFAULT_MAX_ANSWER_BYTES = 64 * 2**20
# How much of a server's own text (an error body, an odd answer) an error message quotes.
QUOTED_CHARACTERS = 200
# What a malformed answer raises while it is taken apart.
_MALFORMED = (TypeError, KeyError, AttributeError, IndexError, ValueError, binascii.Error, RecursionError)


class ServingError(RuntimeError):
    """A request to TensorFlow Serving failed."""


class ServerUnavailableError(ServingError):
    """No server answered: connection refused, unknown host or timeout."""


class ModelNotFoundError(ServingError):
    """The server answered but does not serve the requested model / version."""


def _check_texts(texts):
    if isinstance(texts, (str, bytes)):
        raise TypeError("Expected a list of strings, got a single string; wrap it in a list.")
    texts = list(texts)
    for index, text in enumerate(texts):
        if not isinstance(text, (str, bytes)):
            raise TypeError(f"Expected a list of str or bytes; item {index} is a {type(text).__name__}: {text!r}.")
    return texts


def _check_model(model_name, version):
    if not isinstance(model_name, str) or not model_name or "/" in model_name:
        raise ValueError(f"`model_name` must be a non-empty str without '/', got {model_name!r}.")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        raise ValueError(f"`version` must be a positive int or None (latest), got {version!r}.")


def _as_text(value):
    """A JSON string, a `{"b64": ...}` object or bytes → str."""
    if isinstance(value, dict) and set(value) == {"b64"}:
        value = base64.b64decode(value["b64"], validate=True)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _strings(value):
    if isinstance(value, list):
        return [_strings(item) for item in value]
    return _as_text(value)


def _normalise(columns):
    """Columnar outputs (JSON lists or numpy arrays) → the documented Python types."""
    result = {}
    for key, value in columns.items():
        if key in STRING_OUTPUTS:
            if isinstance(value, np.ndarray):
                value = value.tolist()
            result[key] = _strings(value)
        elif key in FLOAT_OUTPUTS:
            result[key] = np.asarray(value, dtype=np.float32)
        else:
            result[key] = value
    return result


def _quoted(value):
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= QUOTED_CHARACTERS else text[:QUOTED_CHARACTERS] + f"... ({len(text)} characters)"


def checked_outputs(columns, batch_size, where, required=("translation",)):
    """`columns` as the documented types, or a `ServingError` saying what is wrong with them.

    Every output must have one row per input, the `required` ones must be there, and a
    translation must be a string.
    """
    try:
        if not isinstance(columns, dict):
            raise TypeError(f"expected a mapping of outputs, got {type(columns).__name__}")
        missing = [key for key in required if key not in columns]
        if missing:
            raise KeyError(f"no {', '.join(missing)} output")
        if not rows_match(columns, batch_size):
            raise ValueError(f"outputs for another batch size than the {batch_size} inputs")
        outputs = _normalise(columns)
        if "translation" in outputs and not all(isinstance(t, str) for t in outputs["translation"]):
            raise TypeError("a translation that is not a string")
    except _MALFORMED as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        raise ServingError(f"{where} gave a malformed answer ({message}): {_quoted(columns)}") from None
    return outputs


# --------------------------------------------------------------------------- #
# REST
# --------------------------------------------------------------------------- #


class _ModelAddress:
    """What both clients ask for: a model, an optional version, a signature, a timeout."""

    def __init__(self, model_name, version, signature_name, timeout):
        _check_model(model_name, version)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"`timeout` must be a number of seconds > 0, got {timeout!r}.")
        self.model_name = model_name
        self.version = version
        self.signature_name = signature_name
        self.timeout = timeout


class RestClient(_ModelAddress):
    """Talks to TF Serving's REST API (default port 8501) with `urllib`.

    Args:
        model_name: the served model name (`MODEL_NAME` of the container).
        host: server host name or address.
        port: the REST port.
        version: a version number, or `None` for the latest available one.
        signature_name: the signature to call.
        timeout: seconds the whole call may take (connecting, sending, reading
            the answer): a deadline, not a per-read timeout.
        max_answer_bytes: the largest answer read; a larger one is refused.

    Example:

    >>> client = RestClient("ko_en", port=8501)
    >>> client.translate(["나는 밥을 먹었다"])
    ['i ate rice']
    >>> client.status()["model_version_status"][0]["state"]
    'AVAILABLE'
    """

    def __init__(self, model_name, host="localhost", port=8501, version=None,
                 signature_name=SIGNATURE_NAME, timeout=10.0, max_answer_bytes=DEFAULT_MAX_ANSWER_BYTES):
        _ModelAddress.__init__(self, model_name, version, signature_name, timeout)
        self.host, self.port = host, int(port)
        self.base_url = f"http://{host}:{self.port}"
        self.max_answer_bytes = max_answer_bytes

    def model_url(self):
        """`http://host:port/v1/models/<name>[/versions/<v>]`."""
        url = f"{self.base_url}/v1/models/{urllib.parse.quote(self.model_name, safe='')}"
        return url if self.version is None else f"{url}/versions/{self.version}"

    def predict(self, texts, request_format="instances"):
        """Calls the signature on `texts`.

        Args:
            texts: a list of str (sent as JSON strings) or bytes (sent as
                `{"b64": ...}`, so any bytes, e.g. invalid UTF-8, get through).
            request_format: `"instances"` (row format, answered with
                `predictions`) or `"inputs"` (columnar, answered with `outputs`).

        Returns:
            The outputs, columnar: see the module docstring.
        """
        texts = _check_texts(texts)
        values = [text if isinstance(text, str) else {"b64": base64.b64encode(text).decode("ascii")}
                  for text in texts]
        if request_format == "instances":
            body = {"signature_name": self.signature_name, "instances": [{INPUT_NAME: v} for v in values]}
        elif request_format == "inputs":
            body = {"signature_name": self.signature_name, "inputs": {INPUT_NAME: values}}
        else:
            raise ValueError(f"`request_format` must be 'instances' or 'inputs', got {request_format!r}.")
        url = self.model_url() + ":predict"
        answer = self._request(url, body)
        try:
            if "predictions" in answer:
                rows = answer["predictions"]
                if rows and not isinstance(rows[0], dict):  # a one-output signature lists values directly
                    raise TypeError("one value per row, expected a dict of outputs")
                columns = {key: [row[key] for row in rows] for key in (rows[0] if rows else {})}
            else:
                columns = answer["outputs"]
        except _MALFORMED as error:
            raise ServingError(f"{url} gave a malformed answer ({error}): {_quoted(answer)}") from None
        return checked_outputs(columns, len(texts), url, required=() if not texts else ("translation",))

    def translate(self, texts, request_format="instances"):
        """The `translation` output of `predict` (a list of str)."""
        texts = _check_texts(texts)
        if not texts:
            return []
        return self.predict(texts, request_format)["translation"]

    def status(self):
        """`GET /v1/models/<name>[/versions/<v>]`: the version states (e.g. AVAILABLE)."""
        return self._request(self.model_url())

    def metadata(self):
        """`GET /v1/models/<name>[/versions/<v>]/metadata`: the signatures."""
        return self._request(self.model_url() + "/metadata")

    def _request(self, url, body=None):
        """The JSON answer to a GET (or, with `body`, a POST) of `url`, within the deadline."""
        deadline = time.monotonic() + self.timeout
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"} if data is not None else {}
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request("GET" if data is None else "POST", urllib.parse.urlsplit(url).path, data, headers)
            # Kept: the connection lets go of its socket once the answer's headers say "close".
            sock = connection.sock
            response = connection.getresponse()
            payload = self._read(sock, response, deadline, url)
        except ConnectionRefusedError as error:
            raise ServerUnavailableError(
                f"TF Serving REST API at {self.base_url} is not reachable ({error.strerror}); "
                "is the server running and publishing this port?") from None
        except (socket.timeout, TimeoutError):
            raise ServerUnavailableError(f"TF Serving at {self.base_url} did not answer {url} within {self.timeout} s.") from None
        except (OSError, http.client.HTTPException) as error:  # unknown host, a dropped or garbled answer
            raise ServerUnavailableError(f"TF Serving at {self.base_url}: the connection failed "
                                         f"({type(error).__name__}: {_quoted(str(error))}).") from None
        finally:
            connection.close()
        if response.status != 200:
            message = _error_message(payload)
            if response.status == 404:
                raise ModelNotFoundError(
                    f"TF Serving at {self.base_url} does not serve {self._what()} (HTTP 404 from {url}): {message}")
            raise ServingError(f"TF Serving request {url} failed with HTTP {response.status}: {message}")
        try:
            return json.loads(payload.decode("utf-8"))
        except (ValueError, RecursionError):
            raise ServingError(f"TF Serving answered {url} with invalid JSON: {_quoted(payload)}") from None

    def _read(self, sock, response, deadline, url):
        """The answer's bytes, read chunk by chunk until the deadline or `max_answer_bytes`."""
        chunks, size = [], 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)  # no single read outlives the deadline
            chunk = response.read1(READ_CHUNK_BYTES)
            if not chunk:
                if response.length:  # the server closed before the Content-Length it announced
                    raise http.client.IncompleteRead(b"".join(chunks), response.length)
                return b"".join(chunks)
            size += len(chunk)
            if size > self.max_answer_bytes:
                raise ServingError(f"TF Serving answered {url} with more than {self.max_answer_bytes} bytes "
                                   "(`max_answer_bytes`); the answer was refused.")
            chunks.append(chunk)

    def _what(self):
        return f"model {self.model_name!r}" + ("" if self.version is None else f" version {self.version}")


def _joined(parts):
    """Batches of one output joined along the batch: lists, or arrays padded to one shape."""
    if isinstance(parts[0], list):
        return [row for part in parts for row in part]
    width = tuple(max(sizes) for sizes in zip(*(part.shape[1:] for part in parts)))
    padded = [np.pad(part, [(0, 0)] + [(0, w - s) for w, s in zip(width, part.shape[1:])]) for part in parts]
    return np.concatenate(padded, axis=0)


def rows_match(columns, batch_size):
    """Every output has `batch_size` rows (used to reject a malformed answer)."""
    return all(len(value) == batch_size for value in columns.values())


def _error_message(payload):
    """The `error` of TF Serving's JSON error body, or the body itself, quoted briefly."""
    body = payload.decode("utf-8", errors="replace")
    try:
        return _quoted(json.loads(body).get("error", body))
    except (ValueError, AttributeError, RecursionError):
        return _quoted(body) if body else "(empty body)"


# --------------------------------------------------------------------------- #
# gRPC
# --------------------------------------------------------------------------- #


class GrpcClient(_ModelAddress):
    """Talks to TF Serving's gRPC API (default port 8500) with a `PredictRequest`.

    Args:
        model_name: the served model name.
        host: server host name or address.
        port: the gRPC port.
        version: a version number, or `None` for the latest.
        signature_name: the signature to call.
        timeout: seconds per request (gRPC deadline).
        batch_size: the most sentences per request: `predict` and `translate` split
            a longer list, so that no answer exceeds gRPC's 4 MB message limit (the
            attention of 1,500 short sentences does).

    Example:

    >>> with GrpcClient("ko_en", port=8500) as client:
    ...     client.translate(["나는 밥을 먹었다"])
    ['i ate rice']
    """

    def __init__(self, model_name, host="localhost", port=8500, version=None,
                 signature_name=SIGNATURE_NAME, timeout=10.0, batch_size=256):
        import grpc
        from tensorflow_serving.apis import prediction_service_pb2_grpc

        _ModelAddress.__init__(self, model_name, version, signature_name, timeout)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive int, got {batch_size!r}.")
        self.batch_size = batch_size
        self.address = f"{host}:{int(port)}"
        self._grpc = grpc
        self._channel = grpc.insecure_channel(self.address)
        self._stub = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)

    def request(self, texts, outputs=()):
        """The `PredictRequest` proto `predict` sends (asking only for `outputs`, if given)."""
        import tensorflow as tf
        from tensorflow_serving.apis import predict_pb2

        texts = _check_texts(texts)
        request = predict_pb2.PredictRequest()
        request.output_filter.extend(outputs)
        request.model_spec.name = self.model_name
        request.model_spec.signature_name = self.signature_name
        if self.version is not None:
            request.model_spec.version.value = self.version
        encoded = [t.encode("utf-8") if isinstance(t, str) else t for t in texts]
        request.inputs[INPUT_NAME].CopyFrom(tf.make_tensor_proto(encoded, dtype=tf.string, shape=[len(encoded)]))
        return request

    def predict(self, texts, outputs=()):
        """Calls the signature, `batch_size` sentences a request; returns the outputs as
        documented in the module (only `outputs`, when given)."""
        texts = _check_texts(texts)
        batches = [self._predict_batch(texts[start:start + self.batch_size], outputs)
                   for start in range(0, len(texts), self.batch_size)] or [self._predict_batch([], outputs)]
        if len(batches) == 1:
            return batches[0]
        return {key: _joined([batch[key] for batch in batches]) for key in batches[0]}

    def _predict_batch(self, texts, outputs):
        import tensorflow as tf

        try:
            response = self._stub.Predict(self.request(texts, outputs), timeout=self.timeout)
            columns = {key: tf.make_ndarray(proto) for key, proto in response.outputs.items()}
        except self._grpc.RpcError as error:
            raise self._error(error) from None
        except _MALFORMED as error:
            raise ServingError(f"TF Serving at {self.address} gave a malformed answer ({error}).") from None
        return checked_outputs(columns, len(texts), f"TF Serving at {self.address}",
                               required=tuple(outputs) or (("translation",) if texts else ()))

    def translate(self, texts):
        """The `translation` output of `predict` (a list of str); asks for no other output."""
        texts = _check_texts(texts)
        if not texts:
            return []
        return self.predict(texts, outputs=("translation",))["translation"]

    def _error(self, error):
        code, details = error.code(), error.details()
        codes = self._grpc.StatusCode
        if code == codes.UNAVAILABLE:
            return ServerUnavailableError(
                f"TF Serving gRPC API at {self.address} is not reachable ({details}); is the server running?"
            )
        if code == codes.DEADLINE_EXCEEDED:
            return ServerUnavailableError(f"TF Serving at {self.address} did not answer within {self.timeout} s.")
        if code == codes.NOT_FOUND:
            what = f"model {self.model_name!r}" + ("" if self.version is None else f" version {self.version}")
            return ModelNotFoundError(f"TF Serving at {self.address} does not serve {what}: {details}")
        return ServingError(f"TF Serving at {self.address} rejected the request ({code.name}): {details}")

    def close(self):
        """Closes the channel."""
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

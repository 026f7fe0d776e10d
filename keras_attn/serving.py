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

Failures raise `ServingError` subclasses with the URL or address in the message:
`ServerUnavailableError` (nothing listening, connection refused, timeout) and
`ModelNotFoundError` (the server runs but does not serve that model or version).
This module is a leaf: it imports nothing else from keras_attn.
"""

import base64
import json
import socket
import urllib.error
import urllib.parse
import urllib.request

import numpy as np

SIGNATURE_NAME = "serving_default"
INPUT_NAME = "text"
STRING_OUTPUTS = ("translation", "source_tokens", "target_tokens")
FLOAT_OUTPUTS = ("scores", "attention")


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
        value = base64.b64decode(value["b64"])
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


# --------------------------------------------------------------------------- #
# REST
# --------------------------------------------------------------------------- #


class _ModelAddress:
    """What both clients ask for: a model, an optional version, a signature, a timeout."""

    def __init__(self, model_name, version, signature_name, timeout):
        _check_model(model_name, version)
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
        timeout: seconds to wait for a connection and an answer.

    Example:

    >>> client = RestClient("ko_en", port=8501)
    >>> client.translate(["나는 밥을 먹었다"])
    ['i ate rice']
    >>> client.status()["model_version_status"][0]["state"]
    'AVAILABLE'
    """

    def __init__(self, model_name, host="localhost", port=8501, version=None,
                 signature_name=SIGNATURE_NAME, timeout=10.0):
        _ModelAddress.__init__(self, model_name, version, signature_name, timeout)
        self.base_url = f"http://{host}:{int(port)}"

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
        answer = self._request(self.model_url() + ":predict", body)
        if "predictions" in answer:
            rows = answer["predictions"]
            if rows and not isinstance(rows[0], dict):  # a one-output signature lists values directly
                raise ServingError(f"{self.model_url()}:predict returned one output per row, expected a dict: {rows[:1]!r}")
            columns = {key: [row[key] for row in rows] for key in (rows[0] if rows else {})}
        elif "outputs" in answer:
            columns = answer["outputs"]
        else:
            raise ServingError(f"{self.model_url()}:predict: unexpected answer without predictions/outputs: {answer!r}")
        if not rows_match(columns, len(texts)):
            raise ServingError(f"{self.model_url()}:predict returned outputs for a different batch size: {columns!r}")
        return _normalise(columns)

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
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            message = _error_message(error)
            if error.code == 404:
                raise ModelNotFoundError(
                    f"TF Serving at {self.base_url} does not serve {self._what()} (HTTP 404 from {url}): {message}"
                ) from None
            raise ServingError(f"TF Serving request {url} failed with HTTP {error.code}: {message}") from None
        except urllib.error.URLError as error:
            raise ServerUnavailableError(
                f"TF Serving REST API at {self.base_url} is not reachable ({error.reason}); is the server running "
                f"and publishing this port?"
            ) from None
        except (socket.timeout, TimeoutError):
            raise ServerUnavailableError(f"TF Serving at {self.base_url} did not answer {url} within {self.timeout} s.") from None
        except ConnectionError as error:
            raise ServerUnavailableError(f"TF Serving at {self.base_url}: connection failed ({error}).") from None
        try:
            return json.loads(payload.decode("utf-8"))
        except ValueError:
            raise ServingError(f"TF Serving answered {url} with invalid JSON: {payload[:200]!r}") from None

    def _what(self):
        return f"model {self.model_name!r}" + ("" if self.version is None else f" version {self.version}")


def rows_match(columns, batch_size):
    """Every output has `batch_size` rows (used to reject a malformed answer)."""
    return all(len(value) == batch_size for value in columns.values())


def _error_message(error):
    try:
        body = error.read().decode("utf-8", errors="replace")
    except OSError:
        return str(error)
    try:
        return json.loads(body).get("error", body)
    except (ValueError, AttributeError):
        return body or str(error)


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
        timeout: seconds per call (gRPC deadline).

    Example:

    >>> with GrpcClient("ko_en", port=8500) as client:
    ...     client.translate(["나는 밥을 먹었다"])
    ['i ate rice']
    """

    def __init__(self, model_name, host="localhost", port=8500, version=None,
                 signature_name=SIGNATURE_NAME, timeout=10.0):
        import grpc
        from tensorflow_serving.apis import prediction_service_pb2_grpc

        _ModelAddress.__init__(self, model_name, version, signature_name, timeout)
        self.address = f"{host}:{int(port)}"
        self._grpc = grpc
        self._channel = grpc.insecure_channel(self.address)
        self._stub = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)

    def request(self, texts):
        """The `PredictRequest` proto `predict` sends."""
        import tensorflow as tf
        from tensorflow_serving.apis import predict_pb2

        texts = _check_texts(texts)
        request = predict_pb2.PredictRequest()
        request.model_spec.name = self.model_name
        request.model_spec.signature_name = self.signature_name
        if self.version is not None:
            request.model_spec.version.value = self.version
        encoded = [t.encode("utf-8") if isinstance(t, str) else t for t in texts]
        request.inputs[INPUT_NAME].CopyFrom(tf.make_tensor_proto(encoded, dtype=tf.string, shape=[len(encoded)]))
        return request

    def predict(self, texts):
        """Calls the signature; returns the outputs as documented in the module."""
        import tensorflow as tf

        request = self.request(texts)
        try:
            response = self._stub.Predict(request, timeout=self.timeout)
        except self._grpc.RpcError as error:
            raise self._error(error) from None
        return _normalise({key: tf.make_ndarray(proto) for key, proto in response.outputs.items()})

    def translate(self, texts):
        """The `translation` output of `predict` (a list of str)."""
        texts = _check_texts(texts)
        if not texts:
            return []
        return self.predict(texts)["translation"]

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

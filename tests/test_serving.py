"""Tests of keras_attn.serving against local stand-ins for TF Serving.

The stand-ins (tests only) answer exactly the documented TF Serving APIs and are
backed by a real exported SavedModel, so a client round trip must give the
translations `Translator.translate` gives:

- REST: an `http.server` on 127.0.0.1, port 0, that accepts only
  `POST /v1/models/<name>[/versions/<v>]:predict` with `{"signature_name", "instances"}`
  or `{"signature_name", "inputs"}` bodies (`{"b64": ...}` for binary strings), and
  `GET /v1/models/<name>[/versions/<v>][/metadata]`; unknown models get a 404 with
  TF Serving's `{"error": ...}` body.
- gRPC: an in-process `PredictionService` registered with
  `prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server`.
"""

import base64
import http.server
import json
import re
import socket
import threading
import time
from concurrent import futures

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc

from keras_attn import export as export_lib
from keras_attn import serving
from tests.testing import untrained_translator

MODEL = "ko_en"
VERSION = 3
TEXTS = ["나는 밥을 먹었다", "", "오늘 음악이 쉬울 거야 !"]
_PATH = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+))?(?P<rest>:predict|/metadata)?$")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    translator = untrained_translator("fixed_context")
    path = export_lib.export(translator, tmp_path_factory.mktemp("serving"), MODEL, version=VERSION)
    signature = tf.saved_model.load(path).signatures["serving_default"]
    return {"translator": translator, "signature": signature}


def _run_signature(signature, texts):
    outputs = signature(text=tf.constant(texts, tf.string, shape=[len(texts)]))
    return {key: value.numpy() for key, value in outputs.items()}


def _jsonable(value):
    """numpy → JSON the way TF Serving writes it: strings as UTF-8 text."""
    value = value.tolist() if isinstance(value, np.ndarray) else value
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value.decode("utf-8") if isinstance(value, bytes) else value


# --------------------------------------------------------------------------- #
# REST stand-in
# --------------------------------------------------------------------------- #


class _Handler(http.server.BaseHTTPRequestHandler):
    signature = None
    requests = []

    def log_message(self, *args):  # keep the test output quiet
        pass

    def _reply(self, code, body):
        payload = json.dumps(body).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload)
        except BrokenPipeError:  # the client gave up (the timeout test)
            pass

    def _route(self):
        match = _PATH.match(self.path)
        if not match:
            self._reply(404, {"error": f"Malformed request: {self.command} {self.path}"})
            return None
        name, version = match["name"], match["version"]
        if name == "slow":
            time.sleep(2)
        if name != MODEL or (version is not None and int(version) != VERSION):
            self._reply(404, {"error": f"Servable not found for request: {'Latest' if version is None else 'Specific'}({name}, {version})"})
            return None
        return match

    def do_GET(self):
        match = self._route()
        if match is None:
            return
        type(self).requests.append(("GET", self.path, None))
        if match["rest"] == "/metadata":
            self._reply(200, {"model_spec": {"name": MODEL, "signature_name": "", "version": str(VERSION)},
                              "metadata": {"signature_def": {"signature_def": {"serving_default": {}}}}})
        elif match["rest"] is None:
            self._reply(200, {"model_version_status": [
                {"version": str(VERSION), "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]})
        else:
            self._reply(405, {"error": "predict needs POST"})

    def do_POST(self):
        match = self._route()
        if match is None:
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(("POST", self.path, body))
        if match["rest"] != ":predict" or self.headers["Content-Type"] != "application/json":
            self._reply(400, {"error": "expected a JSON :predict request"})
            return
        if set(body) not in ({"signature_name", "instances"}, {"signature_name", "inputs"}) or \
                body["signature_name"] != "serving_default":
            self._reply(400, {"error": f"bad request body keys {sorted(body)}"})
            return

        def decode(value):
            return base64.b64decode(value["b64"]) if isinstance(value, dict) else value.encode("utf-8")

        if "instances" in body:
            texts = [decode(row["text"]) for row in body["instances"]]
        else:
            texts = [decode(value) for value in body["inputs"]["text"]]
        outputs = _run_signature(type(self).signature, texts)
        if "instances" in body:
            rows = [{key: _jsonable(np.asarray(value[i])) for key, value in outputs.items()} for i in range(len(texts))]
            self._reply(200, {"predictions": rows})
        else:
            self._reply(200, {"outputs": {key: _jsonable(value) for key, value in outputs.items()}})


@pytest.fixture(scope="module")
def rest_server(served):
    handler = type("Handler", (_Handler,), {"signature": served["signature"], "requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"port": server.server_address[1], "handler": handler}
    server.shutdown()
    server.server_close()


def _free_port():
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("request_format", ["instances", "inputs"])
def test_rest_predict_matches_translator(served, rest_server, request_format):
    client = serving.RestClient(MODEL, host="127.0.0.1", port=rest_server["port"], timeout=30)
    outputs = client.predict(TEXTS, request_format=request_format)
    expected = served["translator"].run(TEXTS)
    assert outputs["translation"] == served["translator"].translate(TEXTS)
    assert outputs["source_tokens"] == [[t.decode() for t in row] for row in expected["source_tokens"]]
    assert outputs["attention"].dtype == np.float32 and outputs["attention"].shape == expected["attention"].shape
    np.testing.assert_allclose(outputs["scores"], expected["scores"], rtol=1e-5)
    method, path, body = rest_server["handler"].requests[-1]
    assert (method, path) == ("POST", f"/v1/models/{MODEL}:predict")
    if request_format == "instances":
        assert body == {"signature_name": "serving_default", "instances": [{"text": t} for t in TEXTS]}
    else:
        assert body == {"signature_name": "serving_default", "inputs": {"text": TEXTS}}


def test_rest_binary_strings_use_b64_and_versions(served, rest_server):
    client = serving.RestClient(MODEL, host="127.0.0.1", port=rest_server["port"], version=VERSION, timeout=30)
    raw = [b"\xff\xfe invalid", "나는".encode("utf-8")]
    assert len(client.translate(raw)) == 2
    method, path, body = rest_server["handler"].requests[-1]
    assert path == f"/v1/models/{MODEL}/versions/{VERSION}:predict"
    assert body["instances"][0] == {"text": {"b64": base64.b64encode(raw[0]).decode("ascii")}}
    assert client.translate([]) == []


def test_rest_status_and_metadata(rest_server):
    client = serving.RestClient(MODEL, host="127.0.0.1", port=rest_server["port"])
    assert client.status()["model_version_status"][0]["state"] == "AVAILABLE"
    assert rest_server["handler"].requests[-1][:2] == ("GET", f"/v1/models/{MODEL}")
    assert "serving_default" in client.metadata()["metadata"]["signature_def"]["signature_def"]
    assert rest_server["handler"].requests[-1][:2] == ("GET", f"/v1/models/{MODEL}/metadata")
    versioned = serving.RestClient(MODEL, host="127.0.0.1", port=rest_server["port"], version=VERSION)
    versioned.status()
    assert rest_server["handler"].requests[-1][:2] == ("GET", f"/v1/models/{MODEL}/versions/{VERSION}")


def test_rest_missing_model_or_version_is_a_clear_404(rest_server):
    port = rest_server["port"]
    with pytest.raises(serving.ModelNotFoundError, match=r"does not serve model 'nope'.*404.*Servable not found"):
        serving.RestClient("nope", host="127.0.0.1", port=port).translate(["x"])
    with pytest.raises(serving.ModelNotFoundError, match="version 9"):
        serving.RestClient(MODEL, host="127.0.0.1", port=port, version=9).status()


def test_rest_server_down_and_timeout(rest_server):
    port = _free_port()
    with pytest.raises(serving.ServerUnavailableError, match=rf"127.0.0.1:{port} is not reachable.*refused"):
        serving.RestClient(MODEL, host="127.0.0.1", port=port, timeout=2).translate(["x"])
    with pytest.raises(serving.ServerUnavailableError, match="within 0.3 s|timed out"):
        serving.RestClient("slow", host="127.0.0.1", port=rest_server["port"], timeout=0.3).status()


def test_client_argument_checks():
    with pytest.raises(ValueError, match="model_name"):
        serving.RestClient("a/b")
    with pytest.raises(ValueError, match="version"):
        serving.RestClient("a", version=0)
    with pytest.raises(TypeError, match="single string"):
        serving.RestClient("a").predict("text")
    with pytest.raises(ValueError, match="request_format"):
        serving.RestClient("a").predict(["x"], request_format="rows")


# --------------------------------------------------------------------------- #
# gRPC stand-in
# --------------------------------------------------------------------------- #


class _PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, signature):
        self.signature = signature
        self.requests = []

    def Predict(self, request, context):
        self.requests.append(request)
        spec = request.model_spec
        if spec.name != MODEL or (spec.HasField("version") and spec.version.value != VERSION):
            context.abort(grpc.StatusCode.NOT_FOUND, f"Servable not found for request: {spec.name}")
        if spec.signature_name != "serving_default" or list(request.inputs) != ["text"]:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad signature or inputs")
        texts = tf.make_ndarray(request.inputs["text"]).tolist()
        response = predict_pb2.PredictResponse()
        response.model_spec.CopyFrom(spec)
        for key, value in _run_signature(self.signature, texts).items():
            response.outputs[key].CopyFrom(tf.make_tensor_proto(value))
        return response


def _grpc_server_with(servicer):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


@pytest.fixture(scope="module")
def grpc_server(served):
    servicer = _PredictionService(served["signature"])
    server, port = _grpc_server_with(servicer)
    yield {"port": port, "servicer": servicer}
    server.stop(grace=None)


def test_grpc_predict_matches_translator(served, grpc_server):
    with serving.GrpcClient(MODEL, host="127.0.0.1", port=grpc_server["port"], timeout=30) as client:
        outputs = client.predict(TEXTS)
        assert client.translate(TEXTS) == served["translator"].translate(TEXTS)
        assert client.translate([b"\xff\xfe"]) == served["translator"].translate([b"\xff\xfe"])
    expected = served["translator"].run(TEXTS)
    assert outputs["target_tokens"] == [[t.decode() for t in row] for row in expected["target_tokens"]]
    np.testing.assert_allclose(outputs["attention"], expected["attention"], atol=1e-6)
    request = grpc_server["servicer"].requests[0]
    assert request.model_spec.name == MODEL and request.model_spec.signature_name == "serving_default"
    assert not request.model_spec.HasField("version")
    assert tf.make_ndarray(request.inputs["text"]).tolist() == [t.encode() for t in TEXTS]


def test_grpc_version_and_missing_model(grpc_server):
    port = grpc_server["port"]
    with serving.GrpcClient(MODEL, host="127.0.0.1", port=port, version=VERSION, timeout=30) as client:
        assert len(client.translate(["나는"])) == 1
    assert grpc_server["servicer"].requests[-1].model_spec.version.value == VERSION
    with serving.GrpcClient("nope", host="127.0.0.1", port=port, timeout=30) as client:
        with pytest.raises(serving.ModelNotFoundError, match="does not serve model 'nope'"):
            client.translate(["x"])
    with serving.GrpcClient(MODEL, host="127.0.0.1", port=port, version=9, timeout=30) as client:
        with pytest.raises(serving.ModelNotFoundError, match="version 9"):
            client.predict(["x"])


def test_grpc_server_down():
    port = _free_port()
    with serving.GrpcClient(MODEL, host="127.0.0.1", port=port, timeout=5) as client:
        with pytest.raises(serving.ServerUnavailableError, match=rf"127.0.0.1:{port} is not reachable"):
            client.translate(["x"])


# --------------------------------------------------------------------------- #
# Misbehaving servers (issue 19): a deadline over the whole call, a size cap, and
# every failure a ServingError with a short message.
# --------------------------------------------------------------------------- #


@pytest.fixture
def raw_server():
    """`start(reply)`: a one-thread server on 127.0.0.1 whose every connection gets `reply(conn)`."""
    servers = []

    def start(reply):
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.2)
        stop = threading.Event()

        def serve():
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except OSError:  # the accept timeout, or the listener closed
                    continue
                with conn:
                    conn.settimeout(5)
                    try:
                        conn.recv(65536)  # the request (small, in one read on the loopback)
                        reply(conn)
                    except OSError:  # the client gave up
                        pass

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        servers.append((listener, stop, thread))
        return listener.getsockname()[1]

    yield start
    for listener, stop, thread in servers:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def _http(status, body, length=None, reason="OK"):
    length = len(body) if length is None else length
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
            .encode() + body)


@pytest.mark.fault
def test_rest_timeout_is_a_deadline_over_a_drip_fed_answer(raw_server):
    def drip(conn):
        conn.sendall(_http(200, b"", length=1000))
        for _ in range(60):  # one byte every 0.2 s: each read is quick, the answer is not
            conn.sendall(b" ")
            time.sleep(0.2)

    port = raw_server(drip)
    start = time.monotonic()
    with pytest.raises(serving.ServerUnavailableError, match="did not answer .* within 1.0 s"):
        serving.RestClient(MODEL, host="127.0.0.1", port=port, timeout=1.0).status()
    assert time.monotonic() - start < 2.0  # it used to wait for the whole drip (29 s)


@pytest.mark.fault
def test_rest_refuses_an_oversized_answer_and_quotes_little_of_a_huge_error(raw_server):
    big = b"[" + b"1," * 1_000_000 + b"1]"
    port = raw_server(lambda conn: conn.sendall(_http(200, big)))
    with pytest.raises(serving.ServingError, match=r"more than 100000 bytes \(`max_answer_bytes`\)"):
        serving.RestClient(MODEL, host="127.0.0.1", port=port, max_answer_bytes=100_000).status()
    port = raw_server(lambda conn: conn.sendall(_http(500, b"x" * 5_000_000, reason="Internal Server Error")))
    with pytest.raises(serving.ServingError, match="HTTP 500") as error:
        serving.RestClient(MODEL, host="127.0.0.1", port=port).status()
    assert len(str(error.value)) < 400


@pytest.mark.fault
@pytest.mark.parametrize("answer", [
    b'{"predictions": [1]}', b'{"predictions": [{"translation": null}]}', b'{"predictions": [{"translation": 3}]}',
    b'{"outputs": {"translation": [1]}}', b'{"outputs": 5}', b'{"outputs": {"translation": ["a", "b", "c"]}}',
    b'{"predictions": [{"translation": {"b64": "%%%"}}]}', b'{"neither": 1}', b"not json", b"[" * 100_000,
])
def test_rest_odd_answers_are_serving_errors(answer, raw_server):
    port = raw_server(lambda conn: conn.sendall(_http(200, answer)))
    with pytest.raises(serving.ServingError) as error:
        serving.RestClient(MODEL, host="127.0.0.1", port=port).translate(["x"])
    assert len(str(error.value)) < 600


@pytest.mark.fault
@pytest.mark.parametrize("reply", [
    lambda conn: conn.sendall(_http(200, b'{"outputs"', length=100)),  # closed mid-answer: IncompleteRead
    lambda conn: conn.sendall(b"HELLO\r\n\r\n"),  # not HTTP: BadStatusLine
    lambda conn: None,  # closed without a word: RemoteDisconnected
])
def test_rest_broken_connections_are_server_unavailable(reply, raw_server):
    port = raw_server(reply)
    with pytest.raises(serving.ServerUnavailableError, match="the connection failed"):
        serving.RestClient(MODEL, host="127.0.0.1", port=port).translate(["x"])


class _WrongService(prediction_service_pb2_grpc.PredictionServiceServicer):
    """Answers every request with `outputs(texts)` instead of the model's."""

    def __init__(self, outputs):
        self.outputs = outputs
        self.requests = []

    def Predict(self, request, context):
        self.requests.append(request)
        response = predict_pb2.PredictResponse()
        texts = tf.make_ndarray(request.inputs["text"]).tolist()
        for key, value in self.outputs(texts).items():
            response.outputs[key].CopyFrom(tf.make_tensor_proto(value))
        return response


@pytest.mark.fault
def test_grpc_answers_are_checked_and_large_inputs_batched():
    for outputs, message in ((lambda texts: {"translation": np.array([b"a"] * (len(texts) + 1))}, "another batch size"),
                             (lambda texts: {"translation": np.ones(len(texts), "float32")}, "not a string"),
                             (lambda texts: {"scores": np.ones(len(texts), "float32")}, "no translation output")):
        server, port = _grpc_server_with(_WrongService(outputs))
        with serving.GrpcClient(MODEL, host="127.0.0.1", port=port, timeout=10) as client:
            with pytest.raises(serving.ServingError, match=message):
                client.translate(["x", "y"])
        server.stop(grace=None)
    echo = _WrongService(lambda texts: {"translation": np.array(texts, dtype=object)})
    server, port = _grpc_server_with(echo)
    texts = [f"sentence {i}" for i in range(600)]
    with serving.GrpcClient(MODEL, host="127.0.0.1", port=port, timeout=10, batch_size=256) as client:
        assert client.translate(texts) == texts
    server.stop(grace=None)
    assert [len(tf.make_ndarray(r.inputs["text"])) for r in echo.requests] == [256, 256, 88]
    assert all(list(r.output_filter) == ["translation"] for r in echo.requests)  # only what translate needs

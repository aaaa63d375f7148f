"""``make lambda``: dist/lambda.zip runs on the Lambda runtime with only what it ships.

The artifact is built by :mod:`skill.tools.lambda_zip` (cached: ``make test`` builds it
before pytest, so here it is usually up to date), unzipped into a temporary folder, and
answers real request envelopes in a separate CPython 3.12 (the runtime's version, when
this machine has it) whose ``sys.path`` is only that folder, a folder with boto3 (as the
runtime provides) and the standard library. Progress goes to DynamoDB on a local
moto server, in a table made from the SAM template's own key schema.
"""

from __future__ import annotations

import json
import posixpath
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest

from skill.alexa.envelopes import LocalDevice, slot_json
from skill.tools import lambda_zip
from tests.sam_template import load_template

REPO = Path(__file__).resolve().parents[1]
ZIP = REPO / "dist" / "lambda.zip"
DRIVER = Path(__file__).resolve().parent / "lambda_driver.py"
SKILL_ID = "amzn1.ask.skill.00000000-1111-2222-3333-444444444444"
#: What the runtime's boto3 brings; the only modules the stand-in may provide.
RUNTIME_PROVIDES = {"boto3", "botocore", "s3transfer", "jmespath", "urllib3"}

moto_server = pytest.importorskip(
    "moto.server", reason="moto[server] is not installed: pip install 'moto[server]'")
boto3 = pytest.importorskip("boto3", reason="the 'dynamodb' extra is not installed")


def _runtime_python() -> str:
    """CPython 3.12 when the machine has one (pyenv's too), else this interpreter."""
    return lambda_zip.runtime_python() or sys.executable


@pytest.fixture(scope="module")
def artifact() -> Path:
    return lambda_zip.build(REPO, ZIP)


@pytest.fixture(scope="module")
def runtime_standin() -> Path:
    """boto3 and its dependencies for the runtime's platform, as Lambda provides them."""
    target = REPO / "build" / "lambda" / "runtime-boto3"
    if not target.is_dir():
        staging = target.with_name("runtime-boto3.part")
        shutil.rmtree(staging, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
                        *lambda_zip.pip_platform_args(), "--target", str(staging), "boto3"],
                       check=True)
        staging.rename(target)
    return target


@pytest.fixture(scope="module")
def dynamo():
    srv = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    env = {"AWS_ENDPOINT_URL_DYNAMODB": f"http://{host}:{port}",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1",
           "AWS_EC2_METADATA_DISABLED": "true"}
    table = load_template()["Resources"]["ProgressTable"]["Properties"]
    name = "halsporre-" + uuid.uuid4().hex[:8]
    client = boto3.client("dynamodb", endpoint_url=env["AWS_ENDPOINT_URL_DYNAMODB"],
                          region_name="eu-west-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    client.create_table(TableName=name, BillingMode=table["BillingMode"],
                        KeySchema=table["KeySchema"],
                        AttributeDefinitions=table["AttributeDefinitions"])
    try:
        yield client, name, env
    finally:
        srv.stop()


def test_zip_is_small_and_ships_only_the_alexa_path(artifact) -> None:
    assert artifact.stat().st_size <= lambda_zip.MAX_BYTES
    with zipfile.ZipFile(artifact) as zf:
        names = zf.namelist()
    tops = {n.split("/")[0].split(".")[0] for n in names if ".dist-info/" not in n}
    assert not tops & lambda_zip.FORBIDDEN, tops & lambda_zip.FORBIDDEN
    assert not [n for n in names if n.startswith("bin/")]
    pycs = {n for n in names if n.endswith(".pyc")}
    assert all(".cpython-312.pyc" in n for n in pycs)
    if lambda_zip.runtime_python():  # compiled for the runtime: a cold start compiles nothing
        modules = [n for n in names if n.endswith(".py")]
        missing = [n for n in modules if posixpath.join(
            posixpath.dirname(n), "__pycache__",
            posixpath.basename(n)[:-3] + ".cpython-312.pyc") not in pycs]
        assert modules and not missing, missing[:5]
    for inside in ("skill/frontends/lambda_function.py", "skill/models/en-US.json",
                   "skill/models/en-GB.json", "skill/content/en-GB/core.yaml",
                   "skill/audio_files/sv-SE/manifest.json", "ask_sdk_core/skill.py",
                   "ask_sdk_dynamodb/adapter.py", "yaml/__init__.py", "tzdata/__init__.py"):
        assert inside in names, inside
    assert not [n for n in names if n.endswith(".mp3")]  # clips are hosted, not shipped


def test_zip_wheels_are_for_the_lambda_runtime(artifact) -> None:
    """Every binary wheel in the zip runs on manylinux2014 x86_64 with CPython 3.12."""
    with zipfile.ZipFile(artifact) as zf:
        wheel_files = [n for n in zf.namelist() if n.endswith(".dist-info/WHEEL")]
        tags = {n: [line.split(":", 1)[1].strip() for line in zf.read(n).decode().splitlines()
                    if line.startswith("Tag:")] for n in wheel_files}
        shared_objects = [n for n in zf.namelist() if n.endswith(".so")]
    ok_platforms = {"any", "manylinux1_x86_64", "manylinux2010_x86_64",
                    "manylinux2014_x86_64"} | {f"manylinux_2_{m}_x86_64" for m in range(5, 18)}
    for name, wheel_tags in tags.items():
        fits = [t for t in wheel_tags if t.split("-")[2] in ok_platforms
                and t.split("-")[0] in {"py3", "py2.py3", "cp312"} | {f"cp3{m}" for m in range(12)}]
        assert fits, f"{name}: {wheel_tags}"
    assert all("cpython-312-x86_64" in so or ".abi3." in so for so in shared_objects), \
        shared_objects


def _converse(folder: Path, runtime: Path, env: dict[str, str], envelopes, absorb):
    proc = subprocess.Popen(
        [_runtime_python(), "-I", "-S", str(DRIVER),
         str(folder), str(runtime)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=folder.parent, env=env)
    responses = []
    try:
        for make in envelopes:
            proc.stdin.write(json.dumps(make()) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            responses.append(json.loads(line))
            absorb(responses[-1])
        proc.stdin.close()
        trailer = json.loads(proc.stdout.readline())
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    return responses, trailer, proc.stderr.read()


@pytest.mark.parametrize("locale, clinic_words", [
    ("en-US", "Call this number"), ("en-GB", "Ring this number")])
def test_unzipped_artifact_answers_alexa(artifact, runtime_standin, dynamo, tmp_path,
                                         locale, clinic_words) -> None:
    client, table, aws_env = dynamo
    folder = tmp_path / "task"
    with zipfile.ZipFile(artifact) as zf:
        zf.extractall(folder)
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **aws_env,
           "HALSPORRE_PERSISTENCE": "dynamodb", "HALSPORRE_DYNAMODB_TABLE": table,
           "HALSPORRE_SKILL_ID": SKILL_ID, "HALSPORRE_LOG_SALT": "lambda-test-salt"}
    device = LocalDevice(locale=locale, application_id=SKILL_ID)
    causes = {"section": slot_json("section", "causes", "causes", "causes", "SectionType")}
    turns = [device.launch, lambda: device.intent("InfoIntent", causes),
             lambda: device.intent("ClinicIntent"), lambda: device.intent("StartStretchIntent"),
             lambda: device.intent("AMAZON.StopIntent")]
    responses, trailer, stderr = _converse(folder, runtime_standin, env, turns, device.absorb)

    speech = [r["response"]["outputSpeech"]["ssml"] for r in responses]
    assert "Welcome to Heel Spur Coach" in speech[0]
    assert "tendons under the foot" in speech[1]
    assert clinic_words in speech[2] and "08-123 264 44" in speech[2]
    assert responses[2]["response"]["card"]["title"] == "Rehab Öppenvård, Norrtälje"
    assert "<break" in speech[3] and responses[3]["response"]["shouldEndSession"] is False
    assert responses[4]["response"]["shouldEndSession"] is True
    # The stretch session's place went to DynamoDB under the adapter's key.
    item = client.get_item(TableName=table, Key={"id": {"S": device.user_id}})["Item"]
    assert "attributes" in item and "version" in item

    # Everything the handler loaded came from the zip, the runtime's boto3 or the stdlib.
    stdlib = tuple(trailer["stdlib"])
    from_runtime = set()
    for name, file in trailer["modules"].items():
        if file is None or file == str(DRIVER) or file.startswith(stdlib):
            continue
        if file.startswith(str(runtime_standin)):
            from_runtime.add(name.split(".")[0])
        else:
            assert file.startswith(str(folder)), (name, file)
    assert from_runtime <= RUNTIME_PROVIDES, from_runtime
    assert "boto3" in from_runtime  # the DynamoDB path really ran against the runtime's
    loaded = {name.split(".")[0] for name in trailer["modules"]}
    assert not loaded & {"flask", "rapidfuzz", "unicode_rbnf", "cryptography", "gtts"}
    assert "Traceback" not in stderr


def test_two_builds_give_the_same_zip(artifact, tmp_path) -> None:
    again = lambda_zip.build(REPO, tmp_path / "lambda.zip", force=True)
    assert again.read_bytes() == artifact.read_bytes()

"""deploy/aws/template.yaml: valid for cfn-lint, least privilege, and in step with the code."""

from __future__ import annotations

import inspect
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import skill.config
import skill.core.privacy
from skill.alexa.persistence import make_persistence_adapter
from skill.config import Settings
from tests.sam_template import TEMPLATE, load_template

CFN_LINT = shutil.which("cfn-lint", path=str(Path(sys.executable).parent))


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template()


def _lint(path: Path) -> subprocess.CompletedProcess:
    assert CFN_LINT, "cfn-lint is not installed: pip install -e '.[test]'"
    return subprocess.run([CFN_LINT, "--", str(path)], capture_output=True, text=True,
                          timeout=300)


def test_template_passes_cfn_lint() -> None:
    done = _lint(TEMPLATE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cfn_lint_catches_a_broken_template(tmp_path) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text(TEMPLATE.read_text().replace("KeyType: HASH", "KeyType: HASHED"))
    done = _lint(broken)
    assert done.returncode != 0 and "HASHED" in done.stdout


def test_table_has_the_adapters_key_schema(template, monkeypatch) -> None:
    pytest.importorskip("ask_sdk_dynamodb", reason="the 'dynamodb' extra is not installed")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    adapter = make_persistence_adapter(Settings(persistence="dynamodb", dynamodb_table="t"))
    table = template["Resources"]["ProgressTable"]["Properties"]
    assert table["KeySchema"] == [{"AttributeName": adapter.partition_key_name,
                                   "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": adapter.partition_key_name,
                                              "AttributeType": "S"}]


def test_function_settings_and_least_privilege(template) -> None:
    fn = template["Resources"]["SkillFunction"]["Properties"]
    assert fn["Handler"] == "skill.frontends.lambda_function.handler"
    assert template["Globals"]["Function"]["Runtime"] == "python3.12"
    env = fn["Environment"]["Variables"]
    settings_fields = {"HALSPORRE_PERSISTENCE": "persistence",
                       "HALSPORRE_DYNAMODB_TABLE": "dynamodb_table",
                       "HALSPORRE_SKILL_ID": "skill_id", "AUDIO_BASE_URL": "audio_base_url",
                       "HALSPORRE_DEFAULT_TIMEZONE": "default_timezone"}
    assert set(settings_fields) <= set(env)
    read_by_code = set(re.findall(r'"((?:HALSPORRE|AUDIO)_[A-Z_]+)"', "".join(
        inspect.getsource(m) for m in (skill.config, skill.core.privacy))))
    assert {"HALSPORRE_SKILL_ID", "HALSPORRE_LOG_SALT", "HALSPORRE_BOOKING_URL"} <= read_by_code
    # Every setting of the Alexa path is set by the template; the web page's, the
    # webservice's and SQLite's are not Lambda's.
    # the SQLite file, the webservice's proxies, log level and replay store (Lambda has none)
    not_lambda = {"HALSPORRE_DB_PATH", "HALSPORRE_PROXIES", "HALSPORRE_LOG_LEVEL",
                  "HALSPORRE_REPLAY_DB_PATH"}
    alexa_path = {v for v in read_by_code
                  if v not in not_lambda and not v.startswith("HALSPORRE_WEB_")}
    assert alexa_path <= set(env), alexa_path - set(env)
    read = Settings.from_env({k: "x" for k in settings_fields})
    assert all(getattr(read, field) == "x" for field in settings_fields.values())
    assert env["HALSPORRE_PERSISTENCE"] == "dynamodb"
    assert env["HALSPORRE_SKILL_ID"] == {"Ref": "SkillId"}
    (statement,) = fn["Policies"][0]["Statement"]
    assert statement["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem",
                                   "dynamodb:DeleteItem"]
    assert statement["Resource"] == {"Fn::GetAtt": "ProgressTable.Arn"}
    assert fn["Events"]["Alexa"] == {"Type": "AlexaSkill",
                                     "Properties": {"SkillId": {"Ref": "SkillId"}}}
    bucket = template["Resources"]["ClipsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())

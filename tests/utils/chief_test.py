"""`is_chief`: which worker of a TF_CONFIG cluster writes files."""

import json

import pytest

from keras_gan_losses.callbacks import is_chief

WORKERS = {"worker": ["w0:1", "w1:1"]}


def _config(task_type, index, cluster=WORKERS):
    return json.dumps({"cluster": cluster,
                       "task": {"type": task_type, "index": index}})


@pytest.mark.parametrize("task_type,index,cluster,expected", [
    ("worker", 0, WORKERS, True),
    ("worker", 1, WORKERS, False),
    ("worker", 0, {"chief": ["c:1"], **WORKERS}, False),
    ("chief", 0, {"chief": ["c:1"], **WORKERS}, True),
    ("master", 0, {"master": ["m:1"], **WORKERS}, True),
    ("evaluator", 0, {"evaluator": ["e:1"], **WORKERS}, False),
    ("ps", 0, {"ps": ["p:1"], **WORKERS}, False),
])
def test_chief_from_tf_config(monkeypatch, task_type, index, cluster,
                              expected):
    monkeypatch.setenv("TF_CONFIG", _config(task_type, index, cluster))
    assert is_chief() is expected


def test_without_tf_config_the_process_is_chief(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert is_chief() is True
    monkeypatch.setenv("TF_CONFIG", "")
    assert is_chief() is True
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": WORKERS}))
    assert is_chief() is True


def test_argument_overrides_environment(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", _config("worker", 1))
    assert is_chief({}) is True
    assert is_chief(_config("worker", 0)) is True


def test_bad_tf_config(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
        is_chief()
    with pytest.raises(ValueError, match="task index"):
        is_chief({"task": {"type": "worker", "index": "one"}})

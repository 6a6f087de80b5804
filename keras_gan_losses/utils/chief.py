"""Which worker of a multi-worker job writes files: `is_chief`."""

import json
import os

#: Task types that are the chief of a `tf.distribute` cluster ("master" is
#: the TF1 name of "chief").
CHIEF_TYPES = ("chief", "master")


def is_chief(tf_config=None) -> bool:
    """Whether this process is the chief of a multi-worker training job.

    Reads the cluster description that `tf.distribute` (e.g.
    `MultiWorkerMirroredStrategy`) reads, the `TF_CONFIG` environment
    variable. The chief is the task of type `"chief"` (or its TF1 name
    `"master"`) or, in a cluster without one, the `"worker"` of index 0.
    Evaluators, parameter servers and the other workers are not chiefs.
    Without `TF_CONFIG`, or without a `"task"` in it, the process trains
    alone and is the chief.

    Callbacks that write files (`SampleGrid`, `TensorBoardSamples`) use it
    so that only one worker writes.

    Args:
        tf_config (dict | str | None): Optional dict, or JSON string, in the
            `TF_CONFIG` format. Defaults to the `TF_CONFIG` environment
            variable.

    Returns:
        bool: A bool.

    Raises:
        ValueError: if `TF_CONFIG` is not valid JSON, or its task index is
            not an int.

    Example:

    >>> cluster = {"worker": ["host0:2222", "host1:2222"]}
    >>> is_chief({"cluster": cluster, "task": {"type": "worker", "index": 0}})
    True
    >>> is_chief({"cluster": cluster, "task": {"type": "worker", "index": 1}})
    False
    >>> with_chief = {"chief": ["host2:2222"], **cluster}
    >>> is_chief({"cluster": with_chief,
    ...           "task": {"type": "worker", "index": 0}})
    False
    >>> is_chief({})
    True
    """
    if tf_config is None:
        tf_config = os.environ.get("TF_CONFIG", "")
    if isinstance(tf_config, (str, bytes)):
        if not tf_config.strip():
            return True
        try:
            tf_config = json.loads(tf_config)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"TF_CONFIG is not valid JSON ({error}). Received: "
                f"{tf_config!r}"
            ) from None
    task = tf_config.get("task") or {}
    cluster = tf_config.get("cluster") or {}
    task_type = task.get("type")
    if not task_type:
        return True
    if task_type in CHIEF_TYPES:
        return True
    if task_type != "worker":
        return False
    try:
        index = int(task.get("index", 0))
    except (TypeError, ValueError):
        raise ValueError(
            "The task index in TF_CONFIG must be an int. Received: "
            f"{task.get('index')!r}"
        ) from None
    has_chief = any(cluster.get(name) for name in CHIEF_TYPES)
    return index == 0 and not has_chief

"""The ``inspect_ai`` entry point: registers the task as ``skill_eval/backend`` and the sandbox.

Inspect names an extension's task ``<top-level package>/<name>`` when the package is installed
from site-packages and leaves the prefix off for an editable install; this project's package is
``harness``. So the task is also registered under the one name the documentation gives,
``skill_eval/backend``, whichever way the project was installed; ``inspect eval`` loads this
module (the entry point named ``skill_eval``) when it meets that name.
"""

from __future__ import annotations

from inspect_ai._util.registry import RegistryInfo, registry_add, registry_info

from harness.inspect_task.sandbox import JailSandboxEnvironment
from harness.inspect_task.task import backend

TASK_NAME = "skill_eval/backend"

registry_add(
    backend, RegistryInfo(type="task", name=TASK_NAME, metadata=registry_info(backend).metadata)
)

__all__ = ["TASK_NAME", "JailSandboxEnvironment", "backend"]

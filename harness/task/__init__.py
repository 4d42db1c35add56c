"""Task stage: the task format, its loader and its content hash."""

from harness.task.loader import load_suite, load_task
from harness.task.model import CheckName, NegativeSpec, Task, TaskSpec

__all__ = ["CheckName", "NegativeSpec", "Task", "TaskSpec", "load_suite", "load_task"]

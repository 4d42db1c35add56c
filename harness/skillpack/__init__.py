"""The python-backend-architecture skill pack: lint, build and install.

``skill_content_hash`` identifies a built skill folder's content (the run store records it).
"""

from harness.skillpack.build import skill_content_hash
from harness.skillpack.pack import SKILL_NAME

__all__ = ["SKILL_NAME", "skill_content_hash"]

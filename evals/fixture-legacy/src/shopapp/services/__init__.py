"""Business operations moved out of the route handlers, one slice at a time.

Rules for a service function (see README, "Moving code into services"):

- a plain function whose first argument is the caller's ``Session`` (``db``);
- it never commits and never opens a session: the caller (a route, a script) owns the
  transaction and commits once; flush when you need a generated id;
- it returns ORM objects or plain dataclasses, not response schemas;
- it raises ``shopapp.errors.ApiError`` with the same status and code the API answers with;
- no FastAPI, Starlette or HTTP imports (import-linter enforces it).
"""

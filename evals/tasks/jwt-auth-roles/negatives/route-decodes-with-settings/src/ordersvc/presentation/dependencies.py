"""FastAPI dependencies. The use cases are built by the composition root at start-up."""

from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ordersvc.application.auth import AuthUseCases, Principal
from ordersvc.application.use_cases import UseCases
from ordersvc.config import Settings
from ordersvc.domain.errors import NotAuthenticated, PermissionDenied
from ordersvc.domain.user import Role


def get_use_cases(request: Request) -> UseCases:
    use_cases = request.app.state.use_cases
    if not isinstance(use_cases, UseCases):
        raise RuntimeError("app.state.use_cases is not set: was the lifespan run?")
    return use_cases


UseCasesDep = Annotated[UseCases, Depends(get_use_cases)]

# auto_error=False: a missing or non-Bearer Authorization header reaches the use case, which
# answers with our own 401 body and WWW-Authenticate header.
_bearer = HTTPBearer(auto_error=False)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def get_auth(request: Request) -> AuthUseCases:
    auth = request.app.state.auth_use_cases
    if not isinstance(auth, AuthUseCases):
        raise RuntimeError("app.state.auth_use_cases is not set: is auth enabled?")
    return auth


AuthDep = Annotated[AuthUseCases, Depends(get_auth)]


def require_admin(request: Request, credentials: BearerDep) -> Principal:
    settings: Settings = request.app.state.settings
    if credentials is None:
        raise NotAuthenticated("a bearer token is required")
    try:
        claims = jwt.decode(
            credentials.credentials,
            settings.jwt_secret.get_secret_value(),
            algorithms=["HS256"],
            options={"require": ["exp", "iat", "sub"]},
        )
        principal = Principal(user_id=int(claims["sub"]), role=Role(claims["role"]))
    except (jwt.PyJWTError, KeyError, ValueError):
        raise NotAuthenticated("invalid or expired token") from None
    if principal.role is not Role.ADMIN:
        raise PermissionDenied(f"role {principal.role} may not do this")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]

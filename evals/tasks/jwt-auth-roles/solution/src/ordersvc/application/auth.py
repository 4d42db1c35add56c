"""Users, sign-in and role checks."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ordersvc.application.ports import PasswordHasher, TokenService
from ordersvc.application.unit_of_work import UnitOfWorkFactory
from ordersvc.domain.errors import (
    DuplicateUser,
    InvalidCredentials,
    InvalidValue,
    NotAuthenticated,
    PermissionDenied,
)
from ordersvc.domain.user import Role, User

MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True, slots=True)
class NewUser:
    email: str
    password: str
    role: Role


@dataclass(frozen=True, slots=True)
class UserDTO:
    id: int
    email: str
    role: str

    @classmethod
    def from_domain(cls, user: User) -> UserDTO:
        return cls(id=user.identity, email=user.email, role=user.role.value)


@dataclass(frozen=True, slots=True)
class AccessToken:
    access_token: str
    expires_in: int
    token_type: str = "bearer"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as proven by a verified token."""

    user_id: int
    role: Role


class RegisterUser:
    def __init__(self, uow_factory: UnitOfWorkFactory, hasher: PasswordHasher) -> None:
        self._uow_factory = uow_factory
        self._hasher = hasher

    async def execute(self, command: NewUser) -> UserDTO:
        if len(command.password) < MIN_PASSWORD_LENGTH:
            raise InvalidValue(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
        user = User(
            email=command.email,
            password_hash=await self._hasher.hash(command.password),
            role=command.role,
        )
        async with self._uow_factory() as uow:
            if await uow.users.get_by_email(user.email) is not None:
                raise DuplicateUser(user.email)
            await uow.users.add(user)
            await uow.commit()
        return UserDTO.from_domain(user)


class EnsureAdmin:
    """Creates the bootstrap administrator unless a user with that email already exists."""

    def __init__(self, register: RegisterUser, uow_factory: UnitOfWorkFactory) -> None:
        self._register = register
        self._uow_factory = uow_factory

    async def execute(self, email: str, password: str) -> None:
        async with self._uow_factory() as uow:
            if await uow.users.get_by_email(email) is not None:
                return
        try:
            await self._register.execute(NewUser(email, password, Role.ADMIN))
        except DuplicateUser:  # another instance started at the same time
            return


class IssueToken:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, tokens: TokenService
    ) -> None:
        self._uow_factory = uow_factory
        self._hasher = hasher
        self._tokens = tokens
        self._dummy_hash: str | None = None

    async def execute(self, email: str, password: str) -> AccessToken:
        async with self._uow_factory() as uow:
            user = await uow.users.get_by_email(email)
        if user is None:
            # Spend the same time as for a real user, so response times do not reveal accounts.
            await self._hasher.verify(password, await self._dummy())
            raise InvalidCredentials()
        if not await self._hasher.verify(password, user.password_hash):
            raise InvalidCredentials()
        token, lifetime = self._tokens.issue(user.identity, user.role)
        return AccessToken(access_token=token, expires_in=lifetime)

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self._hasher.hash("not-a-real-password")
        return self._dummy_hash


class Authorize:
    """Verifies a bearer token and checks the caller's role."""

    def __init__(self, tokens: TokenService) -> None:
        self._tokens = tokens

    def execute(self, token: str | None, allowed: Collection[Role]) -> Principal:
        if not token:
            raise NotAuthenticated("a bearer token is required")
        user_id, role = self._tokens.verify(token)
        if role not in allowed:
            raise PermissionDenied(f"role {role} may not do this")
        return Principal(user_id=user_id, role=role)


@dataclass(frozen=True, slots=True)
class AuthUseCases:
    register_user: RegisterUser
    ensure_admin: EnsureAdmin
    issue_token: IssueToken
    authorize: Authorize


def build_auth_use_cases(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, tokens: TokenService
) -> AuthUseCases:
    register = RegisterUser(uow_factory, hasher)
    return AuthUseCases(
        register_user=register,
        ensure_admin=EnsureAdmin(register, uow_factory),
        issue_token=IssueToken(uow_factory, hasher, tokens),
        authorize=Authorize(tokens),
    )

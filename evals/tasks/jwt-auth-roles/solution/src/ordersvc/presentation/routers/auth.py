from fastapi import APIRouter, status

from ordersvc.application.auth import NewUser
from ordersvc.presentation.dependencies import AdminDep, AuthDep
from ordersvc.presentation.errors import AUTH_RESPONSES
from ordersvc.presentation.schemas import CredentialsIn, TokenOut, UserIn, UserOut

router = APIRouter(tags=["auth"], responses=AUTH_RESPONSES)


@router.post("/auth/token")
async def issue_token(body: CredentialsIn, auth: AuthDep) -> TokenOut:
    token = await auth.issue_token.execute(body.email, body.password.get_secret_value())
    return TokenOut.model_validate(token)


@router.post("/users", status_code=status.HTTP_201_CREATED)
async def register_user(body: UserIn, auth: AuthDep, admin: AdminDep) -> UserOut:
    command = NewUser(email=body.email, password=body.password.get_secret_value(), role=body.role)
    return UserOut.model_validate(await auth.register_user.execute(command))

from functools import wraps
from typing import Any, Callable

from flask import abort, g, session


def current_user_id() -> int:
    user_id = session.get("user_id")
    if user_id is None:
        abort(401)
    return int(user_id)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.user_id = current_user_id()
        return view(*args, **kwargs)

    return wrapper

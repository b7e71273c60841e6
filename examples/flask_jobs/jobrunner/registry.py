from typing import Any, Callable

Task = Callable[[dict], Any]

TASKS: dict[str, Task] = {}


def task(name: str) -> Callable[[Task], Task]:
    def register(func: Task) -> Task:
        TASKS[name] = func
        return func

    return register


def run(name: str, payload: dict) -> Any:
    try:
        handler = TASKS[name]
    except KeyError:
        raise LookupError(f"no task named {name}") from None
    return handler(payload)

"""``--dry-run``: what a scan would do and cost, without calling any LLM.

The number of calls depends on what the model suspects, so the plan gives a
range: the least (one call per file), a typical run (the file's one
chain judging two suspected types in three rounds) and the most (a chain on
every type up to the round limit). Input tokens follow from the prompts' real
sizes: the system prompt and the file's code are sent on every call, each
round adds its types' guidance and fetched context that grows round by round.

A file with a static path, and an unreached sink module, is planned without an initial
pass: its chain usually opens at once (:mod:`vulnhuntr.analysis.loop`; a large view still
gets one, ``analysis.always_initial_pass`` gives every file one).

Routes that read no request data and reach no sink get no initial pass
(:mod:`vulnhuntr.analysis.selection`); the plan lists them with the reason.
Files are listed in the order a scan sends them (by evidence): the plan prices the
scan's own choice of targets (:func:`vulnhuntr.analysis.targets.select_targets`, after
the static pass), so ``--prefilter`` and the static candidates count as they would.

Modules with dangerous sinks that no entry point reaches (see
:mod:`vulnhuntr.analysis.unreached`) are planned like entry-point files, after
them, up to ``analysis.unreached_modules``; the plan says how many the cap left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import ModelPrice, Settings
from ..findings import Usage, VulnType
from ..pricing import cost
from ..repo.map import RepositoryMap
from ..tokens import TYPICAL_OUTPUT_TOKENS, approx_tokens
from .targets import Targets

CONTEXT_TOKENS_PER_ROUND = 400  # a typical fetched definition
GUIDANCE_TOKENS_PER_TYPE = 140  # a type's guidance in a chain's prompt (prompts.GUIDANCE: 976 tokens for the seven)
TYPICAL_TYPES, TYPICAL_ROUNDS = 2, 3


@dataclass(frozen=True)
class Estimate:
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None


@dataclass(frozen=True)
class Plan:
    files: list[tuple[str, int, int]]  # (file, entry points, tokens of its code)
    low: Estimate
    typical: Estimate
    high: Estimate
    unreached: list[tuple[str, int, int]] = field(default_factory=list)  # (module, sink sites, tokens of its code)
    unreached_left_out: list[str] = field(default_factory=list)  # unreached sink modules over the cap
    left_out: list[tuple[str, str, str]] = field(default_factory=list)  # (file, entry point, why): no initial pass


def make_plan(targets: Targets, repository: RepositoryMap, settings: Settings, price: ModelPrice | None, *,
              system_tokens: int) -> Plan:
    """The plan for the *targets* a scan would send (:func:`select_targets`: every file, or an incremental run's).

    *system_tokens* is the size of the system prompt every analysis call sends
    (:func:`vulnhuntr.analysis.prompts.system_prompt_tokens`): the prompts are the
    analysis's, so the plan is told their size rather than building them.
    """
    modules = repository.index.modules
    files = [(f, len(e), approx_tokens(modules[f].source)) for f, e in targets.files.items()]
    unreached = [(m.file, len(m.sinks), approx_tokens(modules[m.file].source)) for m in targets.unreached.modules]
    planned = files + unreached
    rounds = settings.analysis.max_rounds
    opened = set() if settings.analysis.always_initial_pass else set(targets.traced) | {m[0] for m in unreached}
    return Plan(
        files=files,
        low=_estimate(planned, system_tokens, types=0, rounds=0, price=price),
        typical=_estimate(planned, system_tokens, types=TYPICAL_TYPES, rounds=min(TYPICAL_ROUNDS, rounds), price=price,
                          opened=opened),
        high=_estimate(planned, system_tokens, types=len(VulnType), rounds=rounds, price=price, opened=opened),
        unreached=unreached,
        unreached_left_out=list(targets.unreached.left_out),
        left_out=[(x.entry.file, x.entry.function, x.reason) for x in targets.left_out],
    )


def _estimate(
    files: list[tuple[str, int, int]], system: int, *, types: int, rounds: int, price: ModelPrice | None,
    opened: set[str] | frozenset[str] = frozenset(),
) -> Estimate:
    """Calls and tokens when every file's chain judges *types* for *rounds* (none: the triage alone).

    A file in *opened* has no triage before its chain; with no chain planned it still gets one call.
    """
    calls = 1 if files else 0  # the README summary
    input_tokens = 1000 if files else 0
    chains = 1 if types else 0  # one chain per file judges all its suspected types
    for file, _entries, code in files:
        triage = 0 if chains and file in opened else 1
        calls += triage + chains * rounds
        input_tokens += triage * (system + code)
        for round_number in range(1, rounds + 1):
            input_tokens += chains * (system + code + types * GUIDANCE_TOKENS_PER_TYPE + CONTEXT_TOKENS_PER_ROUND * round_number)
    output_tokens = calls * TYPICAL_OUTPUT_TOKENS
    return Estimate(calls, input_tokens, output_tokens, cost(Usage(calls, input_tokens, output_tokens), price))

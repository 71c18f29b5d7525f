"""The wizard's steps: their order, which apply to a migration, and which are done.

Every step page renders through :func:`step_context`, so the step indicator, "Back" and
"Next" agree everywhere. A step is reachable once every step before it is done; steps
already done stay reachable so the user can go back and change them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing import selectors as billing_selectors
from connectors.registry import UnknownConnectorError, registry
from migrator.models import Migration, Run
from migrator.policy import Action


@dataclass(frozen=True, slots=True)
class Step:
    slug: str
    title: str | Promise
    url_name: str

    def url(self, migration: Migration) -> str:
        return reverse(self.url_name, args=[migration.pk])

    @property
    def bar_title(self) -> str | Promise:
        """The step's name in the step bar: nine of them hold on one line at 1280 px, so a
        language whose titles run long gives shorter ones here (context "step bar")."""
        return BAR_TITLES.get(self.slug, self.title)


CONNECT = Step("connect", _("Connect"), "wizard_connect")
SCOPE = Step("scope", _("Target scope"), "wizard_scope")
SELECT = Step("select", _("Select data"), "wizard_select")
MATCH = Step("match", _("Match agents"), "wizard_match")
MAP = Step("map", _("Map fields"), "wizard_map")
OPTIONS = Step("options", _("Options"), "wizard_options")
DEMO = Step("demo", _("Demo"), "wizard_demo")
PAY = Step("pay", _("Pay"), "wizard_pay")
RUN = Step("run", _("Full migration"), "wizard_run")

ALL_STEPS: tuple[Step, ...] = (CONNECT, SCOPE, SELECT, MATCH, MAP, OPTIONS, DEMO, PAY, RUN)

#: The step bar's names: the titles in English, shorter where a translation needs it.
BAR_TITLES: dict[str, str | Promise] = {
    "connect": pgettext_lazy("step bar", "Connect"),
    "scope": pgettext_lazy("step bar", "Target scope"),
    "select": pgettext_lazy("step bar", "Select data"),
    "match": pgettext_lazy("step bar", "Match agents"),
    "map": pgettext_lazy("step bar", "Map fields"),
    "options": pgettext_lazy("step bar", "Options"),
    "demo": pgettext_lazy("step bar", "Demo"),
    "pay": pgettext_lazy("step bar", "Pay"),
    "run": pgettext_lazy("step bar", "Full migration"),
}

#: What a user must be allowed (migrator.policy) to open a step, and to save it (POST).
#: The connect and scope steps touch the credentials: restricted teammates never see them.
STEP_ACTIONS: dict[str, tuple[Action, Action]] = {
    CONNECT.slug: (Action.MANAGE_CONNECTIONS, Action.MANAGE_CONNECTIONS),
    SCOPE.slug: (Action.MANAGE_CONNECTIONS, Action.MANAGE_CONNECTIONS),
    SELECT.slug: (Action.VIEW, Action.CONFIGURE),
    MATCH.slug: (Action.VIEW, Action.EDIT_MAPPING),
    MAP.slug: (Action.VIEW, Action.EDIT_MAPPING),
    OPTIONS.slug: (Action.VIEW, Action.CONFIGURE),
    DEMO.slug: (Action.VIEW, Action.RUN),
    PAY.slug: (Action.PAY, Action.PAY),
    RUN.slug: (Action.VIEW, Action.RUN),
}


def step_action(step: Step, *, method: str) -> Action:
    """The policy action a request to the step needs; unknown steps need full rights."""
    read, write = STEP_ACTIONS.get(step.slug, (Action.CONFIGURE, Action.CONFIGURE))
    return read if method in ("GET", "HEAD") else write


def target_needs_scope(migration: Migration) -> bool:
    """Whether the target is divided into inboxes/channels the user must choose from."""
    if migration.target is None:
        return False
    try:
        target_class = registry.get(migration.target.platform)
    except UnknownConnectorError:
        return False
    return target_class.capabilities.scope_kind is not None


def steps_for(migration: Migration) -> list[Step]:
    """The steps that apply: the scope step only when the target needs one, the payment
    step only when billing is on."""
    billing_on = billing_selectors.billing_enabled()
    return [
        step
        for step in ALL_STEPS
        if (step is not SCOPE or target_needs_scope(migration)) and (step is not PAY or billing_on)
    ]


def is_step_done(migration: Migration, step: Step) -> bool:
    if step is CONNECT:
        return migration.source_id is not None and migration.target_id is not None
    if step is SCOPE:
        return bool(migration.target_scope_id)
    if step is SELECT:
        return bool(migration.entities)
    if step is MATCH:
        return bool(migration.matches)
    if step is MAP:
        return bool(migration.field_mappings)
    if step is OPTIONS:
        return bool(migration.options)
    if step is DEMO:
        return migration.runs.filter(kind=Run.Kind.DEMO, status=Run.Status.COMPLETED).exists()
    if step is PAY:
        return billing_selectors.is_step_done(migration=migration)
    if step is RUN:
        return migration.runs.filter(kind=Run.Kind.FULL, status=Run.Status.COMPLETED).exists()
    raise ValueError(f"unknown step {step.slug!r}")


@dataclass(frozen=True, slots=True)
class StepState:
    step: Step
    number: int
    url: str
    done: bool
    reachable: bool
    current: bool


def step_states(migration: Migration, *, current: Step | None = None) -> list[StepState]:
    states: list[StepState] = []
    reachable = True
    for number, step in enumerate(steps_for(migration), start=1):
        done = is_step_done(migration, step)
        states.append(
            StepState(
                step=step,
                number=number,
                url=step.url(migration),
                done=done,
                reachable=reachable,
                current=step is current,
            )
        )
        # The demo is optional before the full run: a user may go straight on.
        reachable = reachable and (done or step is DEMO)
    return states


def first_open_step(migration: Migration) -> Step:
    """Where "continue" takes the user: the first reachable step not done yet."""
    states = step_states(migration)
    for state in states:
        if state.reachable and not state.done:
            return state.step
    return states[-1].step


def is_reachable(migration: Migration, step: Step) -> bool:
    return any(state.step is step and state.reachable for state in step_states(migration))


def openable_steps(actions: Collection[Action]) -> frozenset[str]:
    """The slugs of the steps a user allowed ``actions`` (migrator.policy) may open."""
    return frozenset(step.slug for step in ALL_STEPS if step_action(step, method="GET") in actions)


def step_context(
    migration: Migration, current: Step, *, openable: Collection[str] | None = None
) -> dict[str, object]:
    """What every step page's layout reads: the indicator, "Back" and "Next".

    Steps outside ``openable`` (slugs; e.g. the connect step for a restricted teammate)
    are neither linked nor offered as "Back" or "Next": they would answer 404."""
    states = step_states(migration, current=current)
    if openable is not None:
        states = [
            replace(state, reachable=state.reachable and state.step.slug in openable)
            for state in states
        ]
    index = next(i for i, state in enumerate(states) if state.step is current)
    previous_state = states[index - 1] if index > 0 else None
    next_state = states[index + 1] if index + 1 < len(states) else None
    if openable is not None:
        previous_state = previous_state if previous_state and previous_state.reachable else None
        next_state = next_state if next_state and next_state.step.slug in openable else None
    return {
        "migration": migration,
        "step": current,
        "step_states": states,
        "step_number": index + 1,
        "step_count": len(states),
        "previous_step_url": previous_state.url if previous_state else None,
        # Evaluated only by the pages that show them (demo and full run).
        "support_notes": migration.support_notes.all()[:5],
        "next_step_url": next_state.url if next_state else None,
    }

"""The layers hold: no import cycles, every module has a layer, services enqueue through slots.

`make lint` runs the import-linter contracts themselves (pyproject.toml); these tests keep the
contracts honest: a new module left out of every layer would be checked by nothing.
"""

import pkgutil
import tomllib
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import integrations
from integrations import task_queue, tasks
from tests.architecture.import_cycles import build_graph, import_cycles

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE_THE_LAYERS = {"sandbox", "migrations"}  # its own process; Django's generated history


def contracts():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"]


def layered_modules() -> set[str]:
    (layers,) = [c["layers"] for c in contracts() if c["type"] == "layers"]
    return {name.strip() for layer in layers for name in layer.replace("|", ":").split(":")}


def test_the_product_has_no_import_cycles_counting_imports_inside_functions():
    assert import_cycles(build_graph()) == []


def test_the_cycle_count_finds_a_loop_added_to_the_graph():
    graph = build_graph()
    graph.add_import(importer="integrations.http", imported="integrations.services.page_posts")
    assert any("integrations.http" in cycle for cycle in import_cycles(graph))


def test_every_integrations_module_sits_in_a_layer():
    children = {f"integrations.{m.name}" for m in pkgutil.iter_modules(integrations.__path__)
                if m.name not in OUTSIDE_THE_LAYERS}
    assert children - layered_modules() == set()
    assert {"api", "automations"} <= layered_modules()


def test_the_sandbox_contracts_name_every_product_module():
    children = {f"integrations.{m.name}" for m in pkgutil.iter_modules(integrations.__path__)
                if m.name != "sandbox"}
    forbidden = [c for c in contracts() if c["type"] == "forbidden"]
    sandbox_out = next(c for c in forbidden if c["source_modules"] == ["integrations.sandbox"])
    sandbox_in = next(c for c in forbidden if c["forbidden_modules"] == ["integrations.sandbox"])
    assert children <= set(sandbox_out["forbidden_modules"])
    assert children <= set(sandbox_in["source_modules"])


def test_the_page_post_slots_are_bound_to_the_tasks_at_start_up():
    assert task_queue.ATTEMPT_PAGE_POST.task is tasks.attempt_page_post
    assert task_queue.RECONCILE_PAGE_POST.task is tasks.reconcile_page_post


def test_every_slot_is_bound_to_the_task_of_its_name():
    slots = [s for s in vars(task_queue).values() if isinstance(s, task_queue.TaskSlot)]
    assert slots
    for slot in slots:
        assert slot.task is getattr(tasks, slot.name)


def test_an_unbound_slot_refuses_to_enqueue_instead_of_dropping_the_task():
    slot = task_queue.TaskSlot("nobody_binds_this")
    with pytest.raises(ImproperlyConfigured, match="nobody_binds_this"):
        slot.enqueue_on_commit(1)


def test_a_slot_cannot_be_bound_to_a_second_task():
    with pytest.raises(ImproperlyConfigured, match="already bound"):
        task_queue.ATTEMPT_PAGE_POST.provides(tasks.sweep)

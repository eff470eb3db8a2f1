"""Find parameters a module holds but PyTorch cannot see (notebook 06).

``nn.Module`` registers a submodule or a ``Parameter`` only when it is assigned straight to an
attribute. One kept in a plain ``dict``, ``list``, ``tuple`` or ``set`` is invisible: missing from
``parameters()`` (so the optimizer never updates it), from ``state_dict()`` (so it is not saved)
and from ``.to(device)`` (so it stays behind). :func:`find_hidden` walks a model, through its
registered submodules and into such containers (nested ones too), and names each hidden module,
parameter, or tensor that requires grad (a tensor meant as a parameter), with its attribute path
and the fix. :func:`check_registration` wraps the result in a readable report.

    >>> class Buggy(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.ouch = {0: nn.Linear(543, 21)}
    >>> [h.path for h in find_hidden(Buggy())]
    ['ouch[0]']
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["Hidden", "RegistrationReport", "assert_registered", "check_registration", "find_hidden"]

# Attributes every nn.Module has (hook tables, the registries themselves): never user state.
_MODULE_INTERNALS = frozenset(vars(nn.Module()))

_CONTAINERS = (dict, list, tuple, set, frozenset)

_MODULE_FIX = {"dict": "nn.ModuleDict", "list": "nn.ModuleList", "tuple": "nn.ModuleList",
               "set": "nn.ModuleList", "frozenset": "nn.ModuleList"}
_PARAMETER_FIX = {"dict": "nn.ParameterDict", "list": "nn.ParameterList",
                  "tuple": "nn.ParameterList", "set": "nn.ParameterList",
                  "frozenset": "nn.ParameterList"}


@dataclass(frozen=True)
class Hidden:
    """One thing a model holds that ``parameters()`` does not see.

    ``path``: where it sits, from the model (``"block.ouch[0]"``); ``kind``: ``"module"``,
    ``"parameter"`` or ``"tensor"`` (a plain tensor with ``requires_grad=True``);
    ``containers``: the plain containers it is nested in, outermost first (``("dict",)``, or
    ``()`` for a bare attribute); ``numel``: how many numbers the optimizer misses;
    ``fix``: what to write instead.
    """

    path: str
    kind: str
    containers: tuple[str, ...]
    numel: int
    fix: str

    def __str__(self) -> str:
        where = (
            "in a plain " + " inside a ".join(reversed(self.containers))
            if self.containers
            else "as a plain attribute"
        )
        numbers = "1 number" if self.numel == 1 else f"{self.numel:,} numbers"
        return f"{self.path}: a {self.kind} ({numbers}) {where}. Fix: {self.fix}."


@dataclass(frozen=True)
class RegistrationReport:
    """The outcome of :func:`check_registration`: ``ok`` if nothing is hidden, and the list."""

    model: str
    hidden: tuple[Hidden, ...]

    @property
    def ok(self) -> bool:
        return not self.hidden

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return f"{self.model}: every module, parameter and trainable tensor is registered."
        total = sum(h.numel for h in self.hidden)
        lines = [
            f"{self.model}: {len(self.hidden)} hidden from parameters(), state_dict() and .to() "
            f"({total:,} numbers the optimizer will never update):"
        ]
        lines += [f"  - {h}" for h in self.hidden]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        if self.ok:
            return "✅ " + str(self)
        head, *items = str(self).splitlines()
        return "\n".join(["⚠️ " + head, ""] + [item.strip() for item in items])


def _container_name(obj) -> str:
    for kind in _CONTAINERS:
        if isinstance(obj, kind):
            return kind.__name__
    raise AssertionError(obj)  # pragma: no cover - only called on containers


def _fix(kind: str, attribute: str, containers: tuple[str, ...], keys_are_str: bool) -> str:
    """What to write instead; ``attribute`` is the attribute's path (``inner.ouch``)."""
    if not containers:  # a plain tensor that requires grad, straight on the module
        name = attribute.rsplit(".", 1)[-1]
        return (
            f"make {attribute} an nn.Parameter (assigning one registers it), "
            f"or call register_parameter({name!r}, nn.Parameter(...))"
        )
    # modules go in ModuleList/Dict; parameters in a ParameterList/Dict, itself a module, so
    # any outer containers become ModuleList/Dict of those
    table = _MODULE_FIX if kind == "module" else _PARAMETER_FIX
    chain = " of ".join([_MODULE_FIX[c] for c in containers[:-1]] + [table[containers[-1]]])
    fix = f"make {attribute} an {chain}"
    if kind == "tensor":
        fix += " holding nn.Parameter(tensor)s"
    elif kind == "parameter" and len(containers) == 1:
        fix += ", or register each one with register_parameter(name, p)"
    elif kind == "module" and containers == ("list",):
        fix += " (or nn.Sequential if the layers run one after the other)"
    if containers[-1] in ("set", "frozenset"):
        fix += " (a set has no order: use a list)"
    if "dict" in containers and not keys_are_str:
        fix += " (its keys must be strings: use str(key))"
    return fix


def _walk(obj, path, containers, attribute, registered, seen, keys_are_str, out):
    """Look inside one attribute value, recursing through plain containers."""
    if id(obj) in seen:
        return
    if isinstance(obj, nn.Module):
        if containers and id(obj) not in registered:
            n = sum(p.numel() for p in obj.parameters())
            out.append(Hidden(path, "module", containers, n,
                              _fix("module", attribute, containers, keys_are_str)))
        return
    if isinstance(obj, torch.Tensor):
        if id(obj) in registered:
            return
        if isinstance(obj, nn.Parameter):
            if containers:  # a bare Parameter attribute is registered by nn.Module itself
                out.append(Hidden(path, "parameter", containers, obj.numel(),
                                  _fix("parameter", attribute, containers, keys_are_str)))
        elif obj.requires_grad and obj.is_leaf:
            out.append(Hidden(path, "tensor", containers, obj.numel(),
                              _fix("tensor", attribute, containers, keys_are_str)))
        return
    if not isinstance(obj, _CONTAINERS):
        return
    seen = seen | {id(obj)}
    kind = _container_name(obj)
    inner = (*containers, kind)
    if isinstance(obj, dict):
        str_keys = keys_are_str and all(isinstance(k, str) for k in obj)
        for key, value in obj.items():
            _walk(value, f"{path}[{key!r}]", inner, attribute, registered, seen, str_keys, out)
    elif isinstance(obj, (set, frozenset)):
        for value in sorted(obj, key=lambda v: (type(v).__name__, repr(v))):  # stable order
            _walk(value, f"{path}{{{type(value).__name__}}}", inner, attribute, registered, seen,
                  keys_are_str, out)
    else:
        for i, value in enumerate(obj):
            _walk(value, f"{path}[{i}]", inner, attribute, registered, seen, keys_are_str, out)


def find_hidden(model: nn.Module) -> list[Hidden]:
    """Every module, parameter or trainable tensor in ``model`` that ``parameters()`` misses.

    Looks at the plain attributes of ``model`` and of each registered submodule, and inside
    ``dict``/``list``/``tuple``/``set`` values (nested to any depth). Something also registered
    elsewhere in the model (a plain list that merely refers to registered layers) is not hidden.
    Tensors that do not require grad are left alone (constants are a legitimate attribute).
    Returns the findings in attribute order; an empty list means the model is sound.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected an nn.Module (a model or layer), got {type(model).__name__}")
    registered = {id(m) for m in model.modules()}
    registered |= {id(p) for p in model.parameters()}
    registered |= {id(b) for b in model.buffers()}
    out: list[Hidden] = []
    for prefix, module in model.named_modules():
        for name, value in vars(module).items():
            if name in _MODULE_INTERNALS:
                continue
            path = f"{prefix}.{name}" if prefix else name
            _walk(value, path, (), path, registered, frozenset(), True, out)
    return out


def check_registration(model: nn.Module) -> RegistrationReport:
    """A report on ``model``: "every ... is registered", or what is hidden and the fix for each."""
    return RegistrationReport(type(model).__name__, tuple(find_hidden(model)))


def assert_registered(model: nn.Module) -> None:
    """Raise ``ValueError`` with the report if ``model`` hides anything from ``parameters()``."""
    report = check_registration(model)
    if not report.ok:
        raise ValueError(str(report))

"""Constructor parameters declared once: the training arguments every neural estimator shares,
and the ``__init__`` built from a declaration.

scikit-learn reads an estimator's parameters from its ``__init__`` signature and requires that
the constructor only store them. Writing that by hand in every class repeated the eleven
training arguments six times (and every new one had to be added everywhere); instead each class
declares ``__init__ = declared_init(positional, keyword)`` from these lists, the way
``dataclasses`` builds ``__init__`` from fields, and the signature stays explicit for
``inspect``, ``get_params``, ``clone`` and IDEs.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TRAINING", "training", "declared_init"]

#: (name, default) of the arguments of :func:`latentmix.train.fit_phases` an estimator exposes.
TRAINING: tuple[tuple[str, Any], ...] = (
    ("epochs", 20), ("batch_size", 128), ("lr", 1e-3), ("lr_schedule", "constant"), ("weight_decay", 0.0),
    ("patience", None), ("checkpoint_every", None), ("compile", False), ("device", "auto"),
    ("random_state", None), ("verbose", 1),
)


def training(*, exclude: tuple[str, ...] = (), **defaults) -> list[tuple[str, Any]]:
    """:data:`TRAINING` without ``exclude`` and with other ``defaults`` (e.g. ``batch_size=64``)."""
    unknown = set(defaults) - {name for name, _ in TRAINING}
    if unknown:
        raise TypeError(f"not training arguments: {sorted(unknown)}")
    return [(name, defaults.get(name, default)) for name, default in TRAINING if name not in exclude]


def declared_init(positional: list[tuple[str, Any]], keyword: list[tuple[str, Any]]):
    """``def __init__(self, <positional>, *, <keyword>)`` storing every argument unchanged."""
    names = [name for name, _ in [*positional, *keyword]]
    if len(set(names)) != len(names):
        raise TypeError(f"a parameter is declared twice: {names}")
    defaults = dict([*positional, *keyword])
    args = [f"{name}=_defaults[{name!r}]" for name, _ in positional]
    if keyword:
        args += ["*"] + [f"{name}=_defaults[{name!r}]" for name, _ in keyword]
    body = "".join(f"    self.{name} = {name}\n" for name in names)
    namespace = {"_defaults": defaults}
    exec(f"def __init__(self, {', '.join(args)}):\n{body or '    pass'}\n", namespace)  # noqa: S102
    init = namespace["__init__"]
    init.__doc__ = "Store the parameters (scikit-learn's rule: fitting never changes them)."
    return init

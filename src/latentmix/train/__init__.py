"""Training: models declare their phases, one loop runs them (see ``DESIGN.md``, "Architecture").

::

    from latentmix.train import Phase, fit_phases, save_weights, load_weights, TrainResult

A model given to :func:`fit_phases` has ``networks_`` (a ``torch.nn.ModuleDict``),
``training_phases() -> list[Phase]`` and optionally ``validation_loss(batch) -> 0-d tensor``.
"""

from .checkpoint import latest_checkpoint, load_weights, save_weights
from .loop import TrainResult, fit_phases
from .phases import SCHEDULES, Phase, adam, cosine_schedule, default_optimizer

__all__ = ["Phase", "fit_phases", "TrainResult", "save_weights", "load_weights", "adam",
           "default_optimizer", "latest_checkpoint", "cosine_schedule", "SCHEDULES"]

"""One rank of the 2-process training test (started by test_train_distributed.py).

Environment: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (as torchrun sets them); argv: output
prefix, run folder. Trains the toy autoencoder (per-rank batch 8, validation, checkpoints), the
two-phase adversarial toy, the same toy with a phase that only rank 1 asks to skip, a
BatchNorm/Dropout autoencoder, and a run where only rank 1 gets a NaN loss; writes each rank's
weights, history and divergence report.
"""

import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).parent))
from _train_toy import ToyAdversarial, ToyAutoEncoder, toy_data  # noqa: E402

from latentmix.exceptions import TrainingDivergedError  # noqa: E402
from latentmix.train import fit_phases, save_weights  # noqa: E402


class RankSkip(ToyAdversarial):
    """The adversarial toy whose generator phase (every second step) rank 1 alone asks to skip at
    steps 0, 4 and 8: the ranks must agree to skip them together, or their replicas would differ."""

    def __init__(self, rank: int):
        super().__init__()
        self.rank, self.stepped = rank, []

    def training_phases(self):
        critic, generator = super().training_phases()
        generator.active = lambda ctx: not (self.rank == 1 and ctx.step % 4 == 0)
        generator.after_step = self.stepped.append
        return [critic, generator]


def main(prefix: str, run_dir: str) -> None:
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    ae = ToyAutoEncoder()
    r = fit_phases(ae, toy_data(64), epochs=3, batch_size=8, seed=0, validation=toy_data(20, seed=1),
                   run_dir=run_dir, checkpoint_every=5, verbose=0)
    assert isinstance(ae.networks_["encoder"], torch.nn.Sequential)  # the DDP wrappers are gone
    save_weights(ae.networks_, f"{prefix}.ae.rank{rank}.safetensors")
    torch.manual_seed(1)
    adv = ToyAdversarial()
    fit_phases(adv, toy_data(40, dim=4), epochs=2, batch_size=4, seed=0, verbose=0)
    save_weights(adv.networks_, f"{prefix}.adv.rank{rank}.safetensors")
    torch.manual_seed(1)
    skip = RankSkip(rank)  # only rank 1 asks to skip the generator at steps 0, 4, 8
    fit_phases(skip, toy_data(40, dim=4), epochs=2, batch_size=4, seed=0, verbose=0)
    save_weights(skip.networks_, f"{prefix}.skip.rank{rank}.safetensors")
    torch.manual_seed(2)
    bn = ToyAutoEncoder(batchnorm=True, dropout=0.1)  # buffers: rank 0's are broadcast at the end
    fit_phases(bn, toy_data(32), epochs=1, batch_size=8, seed=0, verbose=0)
    save_weights(bn.networks_, f"{prefix}.bn.rank{rank}.safetensors")
    torch.manual_seed(0)
    nan = ToyAutoEncoder(nan_at=3 if rank == 1 else None)  # only rank 1 sees a NaN loss
    try:
        fit_phases(nan, toy_data(64), epochs=2, batch_size=8, run_dir=run_dir + "-nan", checkpoint_every=2,
                   verbose=0)
        diverged = None
    except TrainingDivergedError as exc:
        diverged = {"step": exc.step, "epoch": exc.epoch, "phase": exc.phase}
    Path(f"{prefix}.rank{rank}.json").write_text(json.dumps({"history": r.history, "calls": adv.calls,
                                                             "diverged": diverged, "stepped": skip.stepped}))
    dist.barrier()  # gloo: a rank that tears down while its peer is mid-collective can abort the peer
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

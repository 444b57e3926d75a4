"""Environment for starting real torch.distributed worker processes in tests (gloo, loopback)."""

import os
import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_env(world_size: int = 2) -> dict:
    """What torchrun would set, less RANK (set per process), one thread per process."""
    return {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()),
            "WORLD_SIZE": str(world_size), "OMP_NUM_THREADS": "1"}

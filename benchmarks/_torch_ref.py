"""The PyTorch reference of `speed.py`, run in its own process.

`speed.py` starts `python _torch_ref.py --worker --data IMAGES.npy` and
drives it with one JSON command per line on stdin (build a cell, run N
steps, measure the matmul rate or a step's memory); each answer is one JSON
line on stdout. A separate process keeps PyTorch's OpenMP threads and
TensorFlow's thread pools apart (in one process they slowed each other
down unpredictably) while the repetitions stay interleaved with the
TensorFlow cells. This module imports neither TensorFlow nor Keras.
"""

import argparse
import json
import sys
import time

import _common
import numpy as np


def torch_nets(torch, net, latent_dim):
    """The networks of `speed.py` in PyTorch (NCHW)."""
    tnn = torch.nn

    class Reshape(tnn.Module):
        def __init__(self, *shape):
            super().__init__()
            self.shape = shape

        def forward(self, x):
            return x.reshape(x.shape[0], *self.shape)

    class Crop(tnn.Module):
        def forward(self, x):
            return x[:, :, 2:-2, 2:-2]

    bn = dict(eps=1e-3, momentum=0.01)  # Keras's BatchNormalization
    if net == "keras_io_wgan_gp":
        def up(cin, cout, act):
            return [tnn.Upsample(scale_factor=2, mode="nearest"),
                    tnn.Conv2d(cin, cout, 3, padding=1, bias=False),
                    tnn.BatchNorm2d(cout, **bn), act]
        generator = tnn.Sequential(
            tnn.Linear(latent_dim, 4 * 4 * 256, bias=False),
            tnn.BatchNorm1d(4 * 4 * 256, **bn), tnn.LeakyReLU(0.2),
            Reshape(256, 4, 4),
            *up(256, 128, tnn.LeakyReLU(0.2)),
            *up(128, 64, tnn.LeakyReLU(0.2)),
            *up(64, 1, tnn.Tanh()),
            Crop(),
        )
        critic = tnn.Sequential(
            tnn.ZeroPad2d(2),
            tnn.Conv2d(1, 64, 5, 2, 2), tnn.LeakyReLU(0.2),
            tnn.Conv2d(64, 128, 5, 2, 2), tnn.LeakyReLU(0.2),
            tnn.Dropout(0.3),
            tnn.Conv2d(128, 256, 5, 2, 2), tnn.LeakyReLU(0.2),
            tnn.Dropout(0.3),
            tnn.Conv2d(256, 512, 5, 2, 2), tnn.LeakyReLU(0.2),
            tnn.Flatten(), tnn.Dropout(0.2), tnn.Linear(2 * 2 * 512, 1),
        )
    elif net == "dcgan_w32":
        w = 32
        generator = tnn.Sequential(
            tnn.Linear(latent_dim, 7 * 7 * 2 * w, bias=False),
            Reshape(2 * w, 7, 7), tnn.BatchNorm2d(2 * w, **bn), tnn.ReLU(),
            tnn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False),
            tnn.BatchNorm2d(w, **bn), tnn.ReLU(),
            tnn.ConvTranspose2d(w, 1, 4, 2, 1), tnn.Tanh(),
        )
        critic = tnn.Sequential(
            tnn.Conv2d(1, w, 4, 2, 1), tnn.LeakyReLU(0.2),
            tnn.Conv2d(w, 2 * w, 4, 2, 1), tnn.LeakyReLU(0.2),
            tnn.Flatten(), tnn.Linear(7 * 7 * 2 * w, 1),
        )
    else:
        raise ValueError(net)
    return generator, critic


class Trainer:
    """Alternating critic and generator updates, as in `speed.py`."""

    def __init__(self, torch, data, net, latent_dim, batch_size, d_steps,
                 gp, gp_weight, d_lr, g_lr, beta_1, beta_2):
        self.torch, self.F = torch, torch.nn.functional
        torch.manual_seed(0)
        self.generator, self.critic = torch_nets(torch, net, latent_dim)
        self.generator.train()
        self.critic.train()
        betas = (beta_1, beta_2)
        self.d_optimizer = torch.optim.Adam(self.critic.parameters(),
                                            lr=d_lr, betas=betas)
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(),
                                            lr=g_lr, betas=betas)
        self.data = data
        self.latent_dim, self.batch_size = latent_dim, batch_size
        self.d_steps, self.gp, self.gp_weight = d_steps, gp, gp_weight

    def step(self):
        torch, F = self.torch, self.F
        batch, latent = self.batch_size, self.latent_dim
        real = self.data[torch.randint(len(self.data), (batch,))]
        for _ in range(self.d_steps):
            with torch.no_grad():
                fake = self.generator(torch.randn(batch, latent))
            real_logits, fake_logits = self.critic(real), self.critic(fake)
            if self.gp:
                d_loss = fake_logits.mean() - real_logits.mean()
                alpha = torch.rand(batch, 1, 1, 1)
                mixed = (real + alpha * (fake - real)).requires_grad_(True)
                (grads,) = torch.autograd.grad(self.critic(mixed).sum(),
                                               mixed, create_graph=True)
                norm = (grads.flatten(1).pow(2).sum(1) + 1e-12).sqrt()
                d_loss = d_loss + self.gp_weight * (norm - 1).pow(2).mean()
            else:
                d_loss = (F.softplus(-real_logits).mean()
                          + F.softplus(fake_logits).mean())
            self.d_optimizer.zero_grad(set_to_none=True)
            d_loss.backward()
            self.d_optimizer.step()
        # Generator step: no weight gradients for the critic.
        for p in self.critic.parameters():
            p.requires_grad_(False)
        fake_logits = self.critic(self.generator(torch.randn(batch, latent)))
        g_loss = (-fake_logits.mean() if self.gp
                  else F.softplus(-fake_logits).mean())
        self.g_optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_optimizer.step()
        for p in self.critic.parameters():
            p.requires_grad_(True)

    def run(self, steps):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            self.step()
        return time.perf_counter() - wall, time.process_time() - cpu


def matmul_rate(torch, n, reps):
    a = torch.randn(n, n)
    torch.mm(a, a)
    start = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, a)
    return 2 * n**3 * reps / (time.perf_counter() - start) / 1e9


def worker(args):
    def say(**message):
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    try:
        import torch
    except Exception as error:  # noqa: BLE001 - report and stop
        say(error=f"{type(error).__name__}: {error}")
        return
    torch.set_num_threads(args.threads)
    images = np.load(args.data)  # (n, 28, 28, 1) float32 in [-1, 1]
    data = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1,
                                                                  2)))
    say(ready=True, torch=torch.__version__,
        threads=torch.get_num_threads())
    trainers = {}
    for line in sys.stdin:
        command = json.loads(line)
        op = command.pop("op")
        if op == "quit":
            break
        if op == "build":
            key = command.pop("id")
            trainers[key] = Trainer(torch, data, **command)
            say(ok=True)
        elif op == "run":
            wall, cpu = trainers[command["id"]].run(command["steps"])
            say(seconds=wall, cpu=cpu)
        elif op == "matmul":
            say(gflops=matmul_rate(torch, command["n"], command["reps"]))
        elif op == "memory":
            trainer = trainers[command["id"]]
            trainer.run(1)
            with _common.PeakRSS() as probe:
                trainer.run(command["steps"])
            say(bytes=probe.peak - probe.start)
        else:
            say(error=f"unknown op {op!r}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", action="store_true", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--threads", type=int, default=2)
    worker(parser.parse_args())

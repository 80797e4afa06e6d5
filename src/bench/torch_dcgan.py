"""The PyTorch reference for `sparkgan bench --torch`: the same DCGAN (28x28x1, two stages) and the
same GAN step as a sparkgan executor (D on real and generated images, D update, G through D, G
update, Adam), timed on random images with a fixed thread count. Prints one JSON object.

Needs python3 with torch (Debian: apt-get install python3-torch)."""
import argparse, json, time

import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--g-features", type=int, default=32)
p.add_argument("--d-features", type=int, default=32)
p.add_argument("--latent-dim", type=int, default=100)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--warmup", type=int, default=3)
a = p.parse_args()
torch.manual_seed(0)
torch.set_num_threads(a.threads)
g0, g1, d0, d1 = 2 * a.g_features, a.g_features, a.d_features, 2 * a.d_features


def init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0, 0.02)
    if isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1, 0.02)
        nn.init.zeros_(m.bias)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.project = nn.Linear(a.latent_dim, g0 * 49, bias=False)
        self.net = nn.Sequential(
            nn.BatchNorm2d(g0), nn.ReLU(True), nn.ConvTranspose2d(g0, g1, 4, 2, 1, bias=False),
            nn.BatchNorm2d(g1), nn.ReLU(True), nn.ConvTranspose2d(g1, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.net(self.project(z).view(-1, g0, 7, 7))


G = Generator()
D = nn.Sequential(nn.Conv2d(1, d0, 4, 2, 1), nn.LeakyReLU(0.2, True), nn.Conv2d(d0, d1, 4, 2, 1, bias=False),
                  nn.BatchNorm2d(d1), nn.LeakyReLU(0.2, True), nn.Flatten(), nn.Linear(d1 * 49, 1))
G.apply(init)
D.apply(init)
opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss(reduction="sum")
b = a.batch
data = torch.rand(1024, 1, 28, 28) * 2 - 1
ones, zeros = torch.ones(b, 1), torch.zeros(b, 1)
times = []
for step in range(a.warmup + a.steps):
    t = time.perf_counter()
    real = data[torch.randint(0, len(data), (b,))]
    with torch.no_grad():
        fake = G(torch.randn(b, a.latent_dim))
    opt_d.zero_grad()
    (bce(D(real), ones) + bce(D(fake), zeros)).backward()
    opt_d.step()
    opt_g.zero_grad()
    bce(D(G(torch.randn(b, a.latent_dim))), ones).backward()
    opt_g.step()
    if step >= a.warmup:
        times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"torch_version": torch.__version__, "threads": a.threads, "batch": b,
                  "torch_images_per_s": b / times[len(times) // 2]}))

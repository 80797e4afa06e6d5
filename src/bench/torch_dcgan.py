"""The PyTorch reference for `sparkgan bench --torch`: the same DCGAN (any image size sparkgan takes:
28x28x1 has two stages, 64x64x3 four) and the same GAN step as a sparkgan executor (D on real and generated images, D update, G through D, G
update, Adam), timed on random images with a fixed thread count. Prints one JSON object.

Needs python3 with torch (Debian: apt-get install python3-torch)."""
import argparse, json, time

import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--g-features", type=int, default=32)
p.add_argument("--d-features", type=int, default=32)
p.add_argument("--latent-dim", type=int, default=100)
p.add_argument("--image-size", type=int, default=28)
p.add_argument("--channels", type=int, default=1)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--warmup", type=int, default=3)
a, _ = p.parse_known_args()  # the StyleGAN2 twin's options are not this one's
torch.manual_seed(0)
torch.set_num_threads(a.threads)
# As model.GanArchitecture: halve the side while it is even and larger than 7.
stages, base = 0, a.image_size
while base % 2 == 0 and base > 7:
    base, stages = base // 2, stages + 1
g_ch = [a.g_features << (stages - 1 - s) for s in range(stages)]
d_ch = [a.d_features << s for s in range(stages)]


def init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0, 0.02)
    if isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1, 0.02)
        nn.init.zeros_(m.bias)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.project = nn.Linear(a.latent_dim, g_ch[0] * base * base, bias=False)
        layers = [nn.BatchNorm2d(g_ch[0]), nn.ReLU(True)]
        for s in range(1, stages):
            layers += [nn.ConvTranspose2d(g_ch[s - 1], g_ch[s], 4, 2, 1, bias=False), nn.BatchNorm2d(g_ch[s]),
                       nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(g_ch[-1], a.channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(self.project(z).view(-1, g_ch[0], base, base))


G = Generator()
d_layers, previous = [], a.channels
for s in range(stages):
    d_layers.append(nn.Conv2d(previous, d_ch[s], 4, 2, 1, bias=(s == 0)))
    if s > 0:
        d_layers.append(nn.BatchNorm2d(d_ch[s]))
    d_layers.append(nn.LeakyReLU(0.2, True))
    previous = d_ch[s]
D = nn.Sequential(*d_layers, nn.Flatten(), nn.Linear(d_ch[-1] * base * base, 1))
G.apply(init)
D.apply(init)
opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss(reduction="sum")
b = a.batch
data = torch.rand(1024, a.channels, a.image_size, a.image_size) * 2 - 1
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
                  "g_parameters": sum(p.numel() for p in G.parameters()),
                  "d_parameters": sum(p.numel() for p in D.parameters()),
                  "image": [a.channels, a.image_size, a.image_size],
                  "torch_images_per_s": b / times[len(times) // 2]}))

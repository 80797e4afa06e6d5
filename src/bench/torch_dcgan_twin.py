"""The PyTorch twin of a sparkgan DCGAN run (docs/dcgan-twin.sh): the network of torch_dcgan.py,
started from the run's step-0 parameters and fed its images and noise in the same slots
(io.sparkgan.bench.TwinInputs writes them), trained with pytorch/examples' loop: D on the real batch
and on G(z_D) (batch norm in training mode, real and generated batches apart), Adam; then G through
the updated D on G(z_G), Adam. Writes the parameters after each step asked for, flattened in
sparkgan's layout (twin-step-NNNNNNNN.npz: generator, discriminator), and each step's losses
(twin-losses.jsonl).

  python3 torch_dcgan_twin.py --inputs DIR --steps 100 --save 1,10,100 --out DIR [--free]
      [--samples 10000 --samples-dir DIR]

--free trains with the twin's own seed (--seed) instead: its own initial weights, images in its own
shuffled order and its own noise, for comparing the two trainings' outcomes rather than their steps.

Needs python3 with torch (Debian: apt-get install python3-torch)."""
import argparse, json, os

import numpy as np
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--inputs", required=True)
p.add_argument("--steps", type=int, required=True)
p.add_argument("--save", default="")
p.add_argument("--out", required=True)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--free", action="store_true")
p.add_argument("--run-order", action="store_true", help="with --free: the run's image order, not the twin's own")
p.add_argument("--reuse-fake", action="store_true",
               help="with --free: G's update on the fake batch D has just judged, as pytorch/examples' loop, "
                    "not on fresh noise as sparkgan's")
p.add_argument("--zero-biases", action="store_true", help="with --free: biases start at 0, as sparkgan's do")
p.add_argument("--seed", type=int, default=1)
p.add_argument("--samples", type=int, default=0, help="after training, write this many samples as PNGs")
p.add_argument("--samples-dir", default=None)
p.add_argument("--bias-bounds", default=None,
               help="write PyTorch's initial range of each bias, 1/sqrt(fan-in) as torch computes it, by name")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
settings = json.load(open(os.path.join(a.inputs, "settings.json")))
if settings["loss"] != "NON_SATURATING":
    raise SystemExit("the twin trains the non-saturating loss, the run used " + settings["loss"])


def named(layout, flat):
    """sparkgan's flat parameter vector as {name: array of its layout shape}."""
    out = {}
    for entry in layout:
        n = int(np.prod(entry["shape"]))
        out[entry["name"]] = flat[entry["offset"]:entry["offset"] + n].reshape(entry["shape"])
    return out


g_layout, d_layout = settings["generator"], settings["discriminator"]
g0 = named(g_layout, np.load(os.path.join(a.inputs, "g0.npy")))
d0 = named(d_layout, np.load(os.path.join(a.inputs, "d0.npy")))
latent, channels, size = settings["latent_dim"], settings["channels"], settings["image_size"]
g_stages = sum(1 for e in g_layout if e["name"].startswith("g/up") and e["name"].endswith("/W"))
d_stages = sum(1 for e in d_layout if e["name"].startswith("d/down") and e["name"].endswith("/W"))
c0 = g0["g/project/gamma"].shape[0]
base = int(round((g0["g/project/W"].shape[1] // c0) ** 0.5))


class Generator(nn.Module):
    """torch_dcgan.py's G: project (no bias), BN, ReLU; transposed convolutions 4/2/1 with BN and ReLU; the
    last with a bias, then tanh."""

    def __init__(self):
        super().__init__()
        self.project = nn.Linear(latent, c0 * base * base, bias=False)
        layers = [nn.BatchNorm2d(c0), nn.ReLU()]
        for s in range(1, g_stages + 1):
            w = g0["g/up%d/W" % s]  # [kH, kW, out, in]
            last = s == g_stages
            layers.append(nn.ConvTranspose2d(w.shape[3], w.shape[2], 4, 2, 1, bias=last))
            layers += [nn.Tanh()] if last else [nn.BatchNorm2d(w.shape[2]), nn.ReLU()]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(self.project(z).view(-1, c0, base, base))


def discriminator():
    """torch_dcgan.py's D: convolutions 4/2/1, a bias in the first, BN after the others, leaky ReLU 0.2; a
    linear logit."""
    layers, features = [], None
    for s in range(d_stages):
        w = d0["d/down%d/W" % s]  # [kH, kW, in, out]
        layers.append(nn.Conv2d(w.shape[2], w.shape[3], 4, 2, 1, bias=(s == 0)))
        if s > 0:
            layers.append(nn.BatchNorm2d(w.shape[3]))
        layers.append(nn.LeakyReLU(0.2))
    logit = d0["d/logit/W"]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(logit.shape[0], 1))


G, D = Generator(), discriminator()
if a.bias_bounds:
    last_up = [m for m in G.net if isinstance(m, nn.ConvTranspose2d)][-1]
    biased = {"g/up%d/b" % g_stages: last_up, "d/down0/b": D[0], "d/logit/b": D[-1]}
    with open(a.bias_bounds, "w") as f:
        json.dump({name: 1 / nn.init._calculate_fan_in_and_fan_out(m.weight)[0] ** 0.5
                   for name, m in biased.items()}, f)


def g_params():
    """(module parameter, sparkgan name, to torch, from torch) in sparkgan's layout order."""
    out = [(G.project.weight, "g/project/W", lambda x: x.T, lambda x: x.T),
           (G.net[0].weight, "g/project/gamma", None, None), (G.net[0].bias, "g/project/beta", None, None)]
    convs = [m for m in G.net if isinstance(m, nn.ConvTranspose2d)]
    norms = [m for m in G.net if isinstance(m, nn.BatchNorm2d)][1:]
    for s, conv in enumerate(convs, start=1):
        out.append((conv.weight, "g/up%d/W" % s, lambda x: x.transpose(3, 2, 0, 1), lambda x: x.transpose(2, 3, 1, 0)))
        if s < len(convs):
            out += [(norms[s - 1].weight, "g/up%d/gamma" % s, None, None),
                    (norms[s - 1].bias, "g/up%d/beta" % s, None, None)]
        else:
            out.append((conv.bias, "g/up%d/b" % s, None, None))
    return out


def d_params():
    out = []
    convs = [m for m in D if isinstance(m, nn.Conv2d)]
    norms = [m for m in D if isinstance(m, nn.BatchNorm2d)]
    for s, conv in enumerate(convs):
        out.append((conv.weight, "d/down%d/W" % s, lambda x: x.transpose(3, 2, 0, 1), lambda x: x.transpose(2, 3, 1, 0)))
        if s == 0:
            out.append((conv.bias, "d/down0/b", None, None))
        else:
            out += [(norms[s - 1].weight, "d/down%d/gamma" % s, None, None),
                    (norms[s - 1].bias, "d/down%d/beta" % s, None, None)]
    linear = D[-1]
    out += [(linear.weight, "d/logit/W", lambda x: x.T, lambda x: x.T), (linear.bias, "d/logit/b", None, None)]
    return out


def load(params, values):
    with torch.no_grad():
        for tensor, name, to_torch, _ in params:
            v = values[name]
            tensor.copy_(torch.from_numpy(np.ascontiguousarray(to_torch(v) if to_torch else v)))


def flat(params, layout):
    out = np.zeros(sum(int(np.prod(e["shape"])) for e in layout), np.float32)
    offsets = {e["name"]: e["offset"] for e in layout}
    for tensor, name, _, from_torch in params:
        v = tensor.detach().numpy()
        v = from_torch(v) if from_torch else v
        out[offsets[name]:offsets[name] + v.size] = np.ascontiguousarray(v).reshape(-1)
    return out


if a.free:
    def init(m):  # pytorch/examples' initialisation, from the twin's own seed
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0, 0.02)
        if isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1, 0.02)
            nn.init.zeros_(m.bias)
        if a.zero_biases and isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)) and m.bias is not None:
            nn.init.zeros_(m.bias)
    G.apply(init)
    D.apply(init)
else:
    load(g_params(), g0)
    load(d_params(), d0)
real = np.load(os.path.join(a.inputs, "real.npy"), mmap_mode="r")
zd = np.load(os.path.join(a.inputs, "zd.npy"), mmap_mode="r")
zg = np.load(os.path.join(a.inputs, "zg.npy"), mmap_mode="r")
batch = settings["batch"]
opt_d = torch.optim.Adam(D.parameters(), settings["d_learning_rate"],
                         betas=(settings["adam_beta1"], settings["adam_beta2"]), eps=settings["adam_epsilon"])
opt_g = torch.optim.Adam(G.parameters(), settings["g_learning_rate"],
                         betas=(settings["adam_beta1"], settings["adam_beta2"]), eps=settings["adam_epsilon"])
bce = nn.BCEWithLogitsLoss()  # the mean over the batch, as sparkgan divides its sums by the image count
ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
save = {int(s) for s in a.save.split(",") if s}
os.makedirs(a.out, exist_ok=True)
order = torch.randperm(real.shape[0] * batch) if a.free else None
losses = open(os.path.join(a.out, "twin-losses.jsonl"), "w")
for t in range(a.steps):
    if a.free:
        if a.run_order:
            images = torch.from_numpy(np.array(real[t]))
        else:
            picked = order[(t * batch) % len(order):][:batch]
            images = torch.from_numpy(np.stack([real[i // batch, i % batch] for i in picked.tolist()]))
        z_d = torch.randn(batch, latent)
        z_g = z_d if a.reuse_fake else torch.randn(batch, latent)
    else:
        images = torch.from_numpy(np.array(real[t]))
        z_d, z_g = torch.from_numpy(np.array(zd[t])), torch.from_numpy(np.array(zg[t]))
    x = images.float() / 127.5 - 1  # as sparkgan normalises: x / 127.5 - 1 in float32
    with torch.no_grad():
        fake = G(z_d)
    opt_d.zero_grad()
    on_real, on_fake = D(x), D(fake)
    loss_d = bce(on_real, ones) + bce(on_fake, zeros)
    loss_d.backward()
    opt_d.step()
    opt_g.zero_grad()
    loss_g = bce(D(G(z_g)), ones)
    loss_g.backward()
    opt_g.step()
    losses.write(json.dumps({"step": t + 1, "d_loss": loss_d.item(), "g_loss": loss_g.item()}) + "\n")
    if t + 1 in save:
        np.savez(os.path.join(a.out, "twin-step-%08d.npz" % (t + 1)), generator=flat(g_params(), g_layout),
                 discriminator=flat(d_params(), d_layout))
losses.close()
if a.samples:
    # as pytorch/examples samples: G as trained (batch statistics of each batch of 64), from its own noise
    from PIL import Image
    os.makedirs(a.samples_dir, exist_ok=True)
    with torch.no_grad():
        for first in range(0, a.samples, 64):
            n = min(64, a.samples - first)
            images = ((G(torch.randn(n, latent)) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()
            for i in range(n):
                pixels = images[i, 0] if channels == 1 else images[i].transpose(1, 2, 0)
                Image.fromarray(pixels).save(os.path.join(a.samples_dir, "sample-%06d.png" % (first + i)))

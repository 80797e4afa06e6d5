"""The PyTorch twin for `sparkgan bench --torch` with model.architecture = stylegan2: the same StyleGAN2
(Karras et al. 2020) as sparkgan's model/networks/StyleGan2, written here from the paper in plain
torch.nn ops, and the same step as a sparkgan executor with that architecture's defaults: D on real and
generated images (style mixing 0.9, per-pixel noise drawn per image), lazy R1 every 16 D steps taken on
the gradient of D summed over the batch, D update; G through D, G update, w_avg update; Adam 0.0025 with
betas (0, 0.99). Widths: min(F*R/r, 8F) at resolution r of side R. Timed on random images with a fixed
thread count. Prints one JSON object.

Needs python3 with torch (Debian: apt-get install python3-torch)."""
import argparse, json, math, time

import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--g-features", type=int, default=16)
p.add_argument("--d-features", type=int, default=16)
p.add_argument("--latent-dim", type=int, default=128)
p.add_argument("--image-size", type=int, default=32)
p.add_argument("--channels", type=int, default=1)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--mapping-layers", type=int, default=2)
p.add_argument("--mbstd-group", type=int, default=4)
p.add_argument("--style-mixing", type=float, default=0.9)
p.add_argument("--r1-gamma", type=float, default=0.01)
p.add_argument("--r1-every", type=int, default=16)
a, _ = p.parse_known_args()
torch.manual_seed(0)
torch.set_num_threads(a.threads)
R, C, W = a.image_size, a.channels, a.latent_dim
RES = [4 << i for i in range(int(math.log2(R)) - 1)]  # 4, 8, ..., R
NUM_WS = 2 * len(RES)
SQRT2 = math.sqrt(2)


def width(f, r):
    return f * min(R // r, 8)


def lrelu(x):
    return F.leaky_relu(x, 0.2) * SQRT2


def normalise(x):
    return x * (x.square().mean(1, keepdim=True) + 1e-8).rsqrt()


FIR = torch.tensor([1., 3., 3., 1.])
FIR = torch.outer(FIR, FIR) / 64


def planes(op, x):  # the filter on every channel, folded into the batch as one-channel images (as sparkgan runs it)
    n, c, h, w = x.shape
    y = op(x.reshape(n * c, 1, h, w))
    return y.reshape(n, c, y.shape[2], y.shape[3])


def blur(x, pad, gain=1.0):
    return planes(lambda v: F.conv2d(v, (FIR * gain)[None, None], padding=pad), x)


def up(x):  # zeros between samples, then the filter times 4
    return planes(lambda v: F.conv_transpose2d(v, (FIR * 4)[None, None], stride=2, padding=1), x)


def down(x):
    return planes(lambda v: F.conv2d(v, FIR[None, None], stride=2, padding=1), x)


class Dense(nn.Module):  # equalised learning rate with a multiplier; bias started at `bias`
    def __init__(self, i, o, mult=1.0, bias=0.0):
        super().__init__()
        self.w = nn.Parameter(torch.randn(o, i) / mult)
        self.b = nn.Parameter(torch.full([o], bias / mult))
        self.scale, self.mult = mult / math.sqrt(i), mult

    def forward(self, x):
        return F.linear(x, self.w * self.scale, self.b * self.mult)


class Conv(nn.Module):  # equalised 2-d convolution
    def __init__(self, i, o, k, bias=True):
        super().__init__()
        self.w = nn.Parameter(torch.randn(o, i, k, k))
        self.b = nn.Parameter(torch.zeros(o)) if bias else None
        self.scale = 1 / math.sqrt(i * k * k)

    def forward(self, x, stride=1, padding=0):
        return F.conv2d(x, self.w * self.scale, self.b, stride=stride, padding=padding)


class ModConv(nn.Module):  # the non-fused modulated convolution: x*s, one shared conv, times d
    def __init__(self, i, o, k, upsample=False, demodulate=True):
        super().__init__()
        self.affine = Dense(W, i, bias=1.0)
        self.w = nn.Parameter(torch.randn(o, i, k, k))
        self.b = nn.Parameter(torch.zeros(o))
        self.scale, self.k, self.up, self.demod = 1 / math.sqrt(i * k * k), k, upsample, demodulate

    def forward(self, x, w):
        s = self.affine(w)
        weight = self.w * self.scale
        x = x * s[:, :, None, None]
        if self.up:
            x = blur(F.conv_transpose2d(x, weight.transpose(0, 1), stride=2), 1, 4)
        else:
            x = F.conv2d(x, weight, padding=self.k // 2)
        if self.demod:
            d = (s.square() @ weight.square().sum([2, 3]).t() + 1e-8).rsqrt()
            x = x * d[:, :, None, None]
        return x + self.b[None, :, None, None]


class Layer(nn.Module):  # modulated conv, noise, bias, lrelu
    def __init__(self, i, o, r, upsample):
        super().__init__()
        self.conv = ModConv(i, o, 3, upsample)
        self.strength = nn.Parameter(torch.zeros([]))
        self.r = r

    def forward(self, x, w):
        x = self.conv(x, w)
        return lrelu(x + self.strength * torch.randn(x.shape[0], 1, self.r, self.r))


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.mapping = nn.ModuleList([Dense(W, W, 0.01) for _ in range(a.mapping_layers)])
        self.register_buffer("w_avg", torch.zeros(W))
        self.const = nn.Parameter(torch.randn(width(a.g_features, 4), 4, 4))
        self.layers, self.rgb = nn.ModuleList(), nn.ModuleList()
        for r in RES:
            o = width(a.g_features, r)
            if r > 4:
                self.layers.append(Layer(width(a.g_features, r // 2), o, r, True))
            self.layers.append(Layer(o, o, r, False))
            self.rgb.append(ModConv(o, C, 1, demodulate=False))

    def map(self, z):
        x = normalise(z)
        for layer in self.mapping:
            x = lrelu(layer(x))
        return x

    def forward(self, z, mixing):
        w = self.map(z)
        ws = w[:, None, :].repeat(1, NUM_WS, 1)
        if mixing > 0:  # a crossover per image
            w2 = self.map(torch.randn_like(z))
            cut = torch.randint(1, NUM_WS, (z.shape[0],))
            cut = torch.where(torch.rand(z.shape[0]) < mixing, cut, torch.full_like(cut, NUM_WS))
            later = torch.arange(NUM_WS)[None, :] >= cut[:, None]
            ws = torch.where(later[:, :, None], w2[:, None, :], ws)
        x = self.const[None].repeat(z.shape[0], 1, 1, 1)
        img, li, s = None, 0, 0
        for b, r in enumerate(RES):
            if r > 4:
                x = self.layers[li](x, ws[:, s]); li += 1; s += 1
            x = self.layers[li](x, ws[:, s]); li += 1
            rgb = self.rgb[b](x, ws[:, s + 1]); s += 1
            img = rgb if img is None else up(img) + rgb
        return img, w


class DBlock(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.conv0, self.conv1, self.skip = Conv(i, i, 3), Conv(i, o, 3), Conv(i, o, 1, bias=False)

    def forward(self, x):
        y = self.skip(down(x))
        x = lrelu(self.conv0(x, padding=1))
        x = lrelu(self.conv1(blur(x, 2), stride=2))
        return (x + y) / SQRT2


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fromrgb = Conv(C, width(a.d_features, R), 1)
        self.blocks = nn.ModuleList([DBlock(width(a.d_features, r), width(a.d_features, r // 2))
                                     for r in reversed(RES[1:])])
        c = width(a.d_features, 4)
        self.conv, self.fc, self.out = Conv(c + 1, c, 3), Dense(c * 16, c), Dense(c, 1)

    def forward(self, x):
        x = lrelu(self.fromrgb(x))
        for block in self.blocks:
            x = block(x)
        n, c, h, w = x.shape
        g = a.mbstd_group
        y = x.reshape(g, n // g, c, h, w)
        y = (y - y.mean(0)).square().mean(0).add(1e-8).sqrt().mean([1, 2, 3])  # one per group
        x = torch.cat([x, y.repeat(g).reshape(n, 1, 1, 1).expand(n, 1, h, w)], 1)
        x = lrelu(self.conv(x, padding=1))
        return self.out(lrelu(self.fc(x.flatten(1))))


G, D = Generator(), Discriminator()
opt_g = torch.optim.Adam(G.parameters(), 0.0025, betas=(0, 0.99), eps=1e-8)
opt_d = torch.optim.Adam(D.parameters(), 0.0025, betas=(0, 0.99), eps=1e-8)
b = a.batch
data = torch.rand(1024, C, R, R) * 2 - 1
times = []
for step in range(a.warmup + a.steps):
    t = time.perf_counter()
    real = data[torch.randint(0, len(data), (b,))]
    with torch.no_grad():
        fake, _ = G(torch.randn(b, W), a.style_mixing)
    opt_d.zero_grad()
    loss = F.softplus(-D(real)).sum() + F.softplus(D(fake)).sum()
    if step % a.r1_every == 0:  # lazy R1 on the gradient of D summed over the batch
        x = real.detach().requires_grad_(True)
        grad, = torch.autograd.grad(D(x).sum(), x, create_graph=True)
        loss = loss + grad.square().sum() * (a.r1_gamma / 2) * a.r1_every
    loss.backward()
    opt_d.step()
    opt_g.zero_grad()
    fake, w = G(torch.randn(b, W), a.style_mixing)
    F.softplus(-D(fake)).sum().backward()
    opt_g.step()
    with torch.no_grad():
        G.w_avg.copy_(w.mean(0).lerp(G.w_avg, 0.995))
    if step >= a.warmup:
        times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"torch_version": torch.__version__, "threads": a.threads, "batch": b,
                  "g_parameters": sum(p.numel() for p in G.parameters()),
                  "d_parameters": sum(p.numel() for p in D.parameters()),
                  "image": [C, R, R], "num_ws": NUM_WS,
                  "torch_images_per_s": b / times[len(times) // 2]}))
